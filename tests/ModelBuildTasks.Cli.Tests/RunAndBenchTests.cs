using System.Runtime.InteropServices;
using System.Text.Json;
using ModelBuildTasks.Cli.Commands;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Npy;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Cli.Tests;

/// <summary>`mbt run` and `mbt bench` on a real model.</summary>
[TestClass]
public sealed class RunAndBenchTests
{
    private const string Model = "selfie_segmentation";

    [TestMethod]
    public void RunWritesEveryOutputAsNpyMatchingLiteRT()
    {
        var model = Corpus.GetPath(Model);
        var info = Oracle.Info(model);
        var input = info.Inputs[0];
        var bytes = SeededInputs.Generate(11, info.Inputs)[0];
        var dir = Path.Combine(Path.GetTempPath(), $"mbt-run-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var npy = Path.Combine(dir, "in.npy");
            new NpyArray(TensorType.FLOAT32, input.Shape, bytes).WriteFile(npy);
            var (code, output, error) = Mbt.Run("run", model, "--input", $"{input.Name}={npy}", "--output-dir", Path.Combine(dir, "out"));
            Assert.AreEqual(0, code, error);

            var expected = Oracle.Run(model, [bytes]);
            foreach (var want in expected.Outputs)
            {
                var file = Path.Combine(dir, "out", want.Name + ".npy");
                StringAssert.Contains(output, file);
                var got = NpyArray.ReadFile(file);
                CollectionAssert.AreEqual(want.Shape, got.Shape);
                var ours = MemoryMarshal.Cast<byte, float>(got.Data);
                var theirs = want.AsFloats();
                for (var i = 0; i < theirs.Length; i++)
                {
                    Assert.AreEqual(theirs[i], ours[i], 1e-4 * Math.Max(1, Math.Abs(theirs[i])), $"{want.Name}[{i}]");
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("StatefulPartitionedCall:0", "StatefulPartitionedCall_0.npy")]
    [DataRow("model/conv 1/BiasAdd", "model_conv_1_BiasAdd.npy")]
    [DataRow("Identity_2.x-y", "Identity_2.x-y.npy")]
    [DataRow("ünïcode", "_n_code.npy")]
    [DataRow("", "output.npy")]
    public void OutputFileNamesKeepOnlySafeCharacters(string tensor, string file)
    {
        Assert.AreEqual(file, RunCommand.UniqueFileName(tensor, []));
    }

    [TestMethod]
    public void OutputFileNamesAreDeduplicated()
    {
        var used = new HashSet<string>();
        Assert.AreEqual("a_b.npy", RunCommand.UniqueFileName("a:b", used));
        Assert.AreEqual("a_b_2.npy", RunCommand.UniqueFileName("a/b", used));
        Assert.AreEqual("a_b_3.npy", RunCommand.UniqueFileName("a b", used));
    }

    [TestMethod]
    public void BadInputsAreCodedErrors()
    {
        var model = Corpus.GetPath(Model);
        var dir = Path.Combine(Path.GetTempPath(), $"mbt-run-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var outDir = Path.Combine(dir, "out");
            var garbage = Path.Combine(dir, "garbage.npy");
            File.WriteAllText(garbage, "not numpy");
            var ints = Path.Combine(dir, "ints.npy");
            new NpyArray(TensorType.INT32, [1, 256, 256, 3], new byte[256 * 256 * 3 * 4]).WriteFile(ints);
            var small = Path.Combine(dir, "small.npy");
            new NpyArray(TensorType.FLOAT32, [1, 8, 8, 3], new byte[8 * 8 * 3 * 4]).WriteFile(small);

            AssertError(("run", model, $"input_1={Path.Combine(dir, "missing.npy")}"), "MBT1001", outDir);
            AssertError(("run", model, $"input_1={garbage}"), "MBT2007", outDir);
            AssertError(("run", model, $"input_1={ints}"), "MBT2007", outDir);
            AssertError(("run", model, $"input_1={small}"), "MBT2007", outDir);
            AssertError(("run", model, $"no_such_input={small}"), "MBT2004", outDir);
            Assert.IsFalse(Directory.Exists(outDir), "no output folder after a failed run");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void BenchPrintsOrderedStatisticsAsJson()
    {
        var (code, output, error) = Mbt.Run("bench", Corpus.GetPath("face_detection_short_range"), "--runs", "5", "--warmup", "1", "--json");
        Assert.AreEqual(0, code, error);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.AreEqual(5, r.GetProperty("runs").GetInt32());
        Assert.AreEqual(1, r.GetProperty("threads").GetInt32());
        var min = r.GetProperty("minMs").GetDouble();
        var median = r.GetProperty("medianMs").GetDouble();
        Assert.IsGreaterThan(0, min);
        Assert.IsLessThanOrEqualTo(median, min);
        Assert.IsLessThanOrEqualTo(r.GetProperty("p90Ms").GetDouble(), median);
        Assert.IsGreaterThan(0L, r.GetProperty("peakActivationBytes").GetInt64());
    }

    [TestMethod]
    public void BenchRejectsZeroRuns()
    {
        var (code, _, error) = Mbt.Run("bench", Corpus.GetPath("face_detection_short_range"), "--runs", "0");
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, "--runs");
    }

    private static void AssertError((string Command, string Model, string Input) args, string expectedCode, string outDir)
    {
        var (code, _, error) = Mbt.Run(args.Command, args.Model, "--input", args.Input, "--output-dir", outDir);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, expectedCode);
    }
}
