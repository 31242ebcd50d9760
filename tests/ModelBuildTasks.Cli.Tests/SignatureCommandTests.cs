using System.Runtime.InteropServices;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Npy;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Cli.Tests;

/// <summary>`mbt run --signature KEY` and the signatures `mbt inspect` lists, on the two-subgraph fixture.</summary>
[TestClass]
public sealed class SignatureCommandTests
{
    [TestMethod]
    public void RunASignatureByKeyWritesItsOutputsUnderItsNames()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mbt-run-sig-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var model = Path.Combine(dir, "two.tflite");
            ModelWriter.WriteFile(SignatureModels.TwoSubgraphs(), model);
            float[] value = [1, 2, 3, 4, 5, 6];
            var npy = Path.Combine(dir, "value.npy");
            new NpyArray(TensorType.FLOAT32, [2, 3], MemoryMarshal.AsBytes(value.AsSpan()).ToArray()).WriteFile(npy);

            var (code, output, error) = Mbt.Run("run", model, "--signature", "mul", "--input", $"value={npy}", "--output-dir", Path.Combine(dir, "out"));

            Assert.AreEqual(0, code, error);
            StringAssert.Contains(output, "doubled float32[2,3]");
            var doubled = MemoryMarshal.Cast<byte, float>(NpyArray.ReadFile(Path.Combine(dir, "out", "doubled.npy")).Data).ToArray();
            for (var i = 0; i < value.Length; i++)
            {
                Assert.AreEqual(2 * value[i] * SignatureModels.Factors[i % 3], doubled[i]);
            }

            var (unknown, _, message) = Mbt.Run("run", model, "--signature", "div", "--input", npy, "--output-dir", Path.Combine(dir, "out"));
            Assert.AreNotEqual(0, unknown);
            StringAssert.Contains(message, "MBT2008");
            StringAssert.Contains(message, "'add', 'mul'");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void BenchTimesASignatureByKey()
    {
        var model = Path.Combine(Path.GetTempPath(), $"mbt-bench-sig-{Guid.NewGuid():N}.tflite");
        try
        {
            ModelWriter.WriteFile(SignatureModels.TwoSubgraphs(), model);

            var (code, output, error) = Mbt.Run("bench", model, "--signature", "mul", "--runs", "3", "--warmup", "1", "--json");

            Assert.AreEqual(0, code, error);
            using var json = System.Text.Json.JsonDocument.Parse(output);
            Assert.AreEqual("mul", json.RootElement.GetProperty("signature").GetString());
            Assert.AreEqual(3, json.RootElement.GetProperty("runs").GetInt32());
            var (unknown, _, message) = Mbt.Run("bench", model, "--signature", "div", "--runs", "1");
            Assert.AreNotEqual(0, unknown);
            StringAssert.Contains(message, "MBT2008");
        }
        finally
        {
            File.Delete(model);
        }
    }

    [TestMethod]
    public void InspectListsEverySignature()
    {
        var model = Path.Combine(Path.GetTempPath(), $"mbt-inspect-sig-{Guid.NewGuid():N}.tflite");
        try
        {
            ModelWriter.WriteFile(SignatureModels.TwoSubgraphs("serving_default", "encode-v2"), model);

            var (code, output, error) = Mbt.Run("inspect", model);

            Assert.AreEqual(0, code, error);
            StringAssert.Contains(output, "signature 'serving_default' (subgraph 0): in [x, y] out [sum]");
            StringAssert.Contains(output, "signature 'encode-v2' (subgraph 1): in [value] out [scaled, doubled]");
        }
        finally
        {
            File.Delete(model);
        }
    }
}
