using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Cli.Tests;

[TestClass]
public sealed class EvaluateTests
{
    [TestMethod]
    public void Json_reports_outputs_layers_and_accuracy_of_a_labeled_batch()
    {
        using var data = DigitBatch(50);
        var model = MnistClassifier.GetPath();
        var candidate = Path.Combine(data.Folder, "perturbed.tflite");
        var graph = ModelReader.ReadFile(model);
        var kernel = graph.Main.FindTensor("dense_2/kernel")!;
        var values = MemoryMarshal.Cast<byte, float>(kernel.Data.Span).ToArray();
        for (var i = 0; i < values.Length; i += 3)
        {
            values[i] = -values[i];
        }
        kernel.Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        ModelWriter.WriteFile(graph, candidate);

        var (code, output, error) = Mbt.Run("evaluate", model, candidate, "--data", data.Npy, "--labels", data.Labels, "--json", "--max-samples", "40");

        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "evaluation: 40/40");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.AreEqual(1, root.GetProperty("formatVersion").GetInt32());
        Assert.AreEqual(40, root.GetProperty("samples").GetInt32());
        Assert.AreEqual("perturbed.tflite", root.GetProperty("candidate").GetString());
        var accuracy = root.GetProperty("accuracy");
        var drop = accuracy.GetProperty("referenceAccuracy").GetDouble() - accuracy.GetProperty("candidateAccuracy").GetDouble();
        Assert.AreEqual(drop, accuracy.GetProperty("drop").GetDouble(), 1e-12);
        Assert.IsGreaterThan(0.85, accuracy.GetProperty("referenceAccuracy").GetDouble());
        var output0 = root.GetProperty("outputs")[0];
        Assert.AreEqual("probabilities", output0.GetProperty("name").GetString());
        Assert.IsLessThan(1.0, output0.GetProperty("cosine").GetDouble());
        Assert.AreEqual(root.GetProperty("minCosine").GetDouble(), output0.GetProperty("cosine").GetDouble());
        Assert.AreEqual(JsonValueKind.Number, output0.GetProperty("top1Agreement").ValueKind);
        Assert.AreEqual(2, root.GetProperty("layersCompared").GetInt32());
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.AreEqual("logits", layers[0].GetProperty("name").GetString());
        Assert.AreEqual(JsonValueKind.Null, layers[1].GetProperty("sqnrDb").ValueKind, "identical layer: infinite SQNR is null");
    }

    [TestMethod]
    public void Text_form_lists_accuracy_outputs_and_layers()
    {
        using var data = DigitBatch(10);
        var model = MnistClassifier.GetPath();

        var (code, output, error) = Mbt.Run("evaluate", model, model, "--data", data.Npy, "--labels", data.Labels);

        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "10 sample(s)");
        StringAssert.Contains(output, "drop 0.00 points");
        StringAssert.Contains(output, "probabilities");
        StringAssert.Contains(output, "layers, worst first (2 of 2 compared):");
        StringAssert.Contains(output, "inf");
    }

    [TestMethod]
    public void Bad_data_exits_with_2_and_a_coded_error()
    {
        var model = MnistClassifier.GetPath();
        var missing = Path.Combine(Path.GetTempPath(), "mbt-no-such-data");

        var (code, output, error) = Mbt.Run("evaluate", model, model, "--data", missing);

        Assert.AreEqual(2, code);
        Assert.AreEqual("", output);
        StringAssert.StartsWith(error, "error MBT2040: ");
        StringAssert.Contains(error, missing);
    }

    /// <summary>Held-out digits as one batched float32 .npy [n,784] and their labels as a CSV of row indices.</summary>
    private static DataFiles DigitBatch(int count)
    {
        var (_, held) = MnistClassifier.Split();
        var files = new DataFiles();
        var pixels = new float[count * 784];
        var csv = new StringBuilder("file,label\n");
        for (var i = 0; i < count; i++)
        {
            var k = i * (held.Count / count);
            held.Images[k].CopyTo(pixels, i * 784);
            csv.Append($"{i},{held.Labels[k]}\n");
        }
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count}, 784), }}";
        header = header.PadRight(118) + "\n"; // 10-byte prefix + 118 = 128, a multiple of 64
        using (var file = File.Create(files.Npy))
        {
            file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            file.Write(length);
            file.Write(Encoding.ASCII.GetBytes(header));
            file.Write(MemoryMarshal.AsBytes(pixels.AsSpan()));
        }
        File.WriteAllText(files.Labels, csv.ToString());
        return files;
    }

    private sealed class DataFiles : IDisposable
    {
        public DataFiles() => Directory.CreateDirectory(Folder);

        public string Folder { get; } = Path.Combine(Path.GetTempPath(), "mbt-eval-" + Guid.NewGuid().ToString("N"));

        public string Npy => Path.Combine(Folder, "digits.npy");

        public string Labels => Path.Combine(Folder, "labels.csv");

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }
}
