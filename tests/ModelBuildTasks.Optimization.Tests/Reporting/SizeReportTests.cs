using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Inspection;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Reporting;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Reporting;

[TestClass]
public sealed class SizeReportTests
{
    [TestMethod]
    public void Sparsity_and_unique_values_per_constant_tensor()
    {
        var report = SizeReport.Create(new byte[100], Synthetic(), "synthetic.tflite", new SizeReportOptions { Compress = false });
        var t = report.Tensors.ToDictionary(x => x.Name);

        Assert.AreEqual(0.5, t["f32"].Sparsity);
        Assert.AreEqual(4, t["f32"].UniqueValues, "0 and -0 are one value: {0, 1.5, -2, 3}");
        Assert.AreEqual(0.5, t["f16"].Sparsity);
        Assert.AreEqual(2, t["f16"].UniqueValues);
        Assert.AreEqual(0.5, t["i8q"].Sparsity, "an exact zero of a quantized tensor is its zero point");
        Assert.AreEqual(3, t["i8q"].UniqueValues);
        Assert.AreEqual(0.75, t["i8pc"].Sparsity, "per-channel zero points");
        Assert.AreEqual(3, t["i8pc"].UniqueValues);
        Assert.AreEqual(1 / 3.0, t["i32"].Sparsity!.Value, 1e-12);
        Assert.AreEqual(2, t["i32"].UniqueValues);
        Assert.IsTrue(t["sparse"].Sparse);
        Assert.AreEqual(14 / 16.0, t["sparse"].Sparsity, "13 implicit zeros and one stored zero of 16");
        Assert.AreEqual(3, t["sparse"].UniqueValues);
        Assert.AreEqual(12, t["sparse"].Bytes, "stored values only");
        Assert.AreEqual(0, report.GzipBytes);

        Assert.AreEqual(3, report.BytesByType["float32"].Tensors);
        Assert.AreEqual(32 + 12, report.BytesByType["float32"].Bytes, "the tensor sharing f32's buffer is not counted twice");
        Assert.AreEqual(32 + 8 + 4 + 4 + 12 + 12, report.ConstantBytes);
        CollectionAssert.AreEqual(new[] { "f32", "f32_alias", "f16", "i8q", "i8pc", "i32", "sparse" }, report.Tensors.Select(x => x.Name).ToArray(),
            "tensors in file order");
    }

    [TestMethod]
    public void Compressed_sizes_are_deterministic_and_reflect_redundancy()
    {
        var model = Synthetic();
        var zeros = model.Main.AddTensor(new Tensor("zeros", TensorType.FLOAT32, [16384]) { Data = new byte[65536] });
        var noise = new byte[65536];
        new Random(3).NextBytes(noise);
        var random = model.Main.AddTensor(new Tensor("noise", TensorType.FLOAT32, [16384]) { Data = noise });
        var op = new Operator(new OperatorCode(BuiltinOperator.ADD)) { Options = BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()) };
        op.Inputs.AddRange([zeros, random]);
        var sum = model.Main.AddTensor(new Tensor("sum", TensorType.FLOAT32, [16384]));
        op.Outputs.Add(sum);
        model.Main.Operators.Add(op);
        model.Main.Outputs.Add(sum);
        var bytes = ModelWriter.ToBytes(model);

        var a = SizeReport.Create(bytes, ModelReader.Read(bytes), "m.tflite");
        var b = SizeReport.Create(bytes, ModelReader.Read(bytes), "m.tflite");

        Assert.AreEqual(a.ToJson(), b.ToJson());
        Assert.AreEqual(bytes.Length, a.Bytes);
        // The zeros compress away; the 64 KB of noise cannot: every size lands between the two.
        foreach (var size in new[] { a.GzipBytes, a.BrotliBytes, a.ZstdBytes })
        {
            Assert.IsGreaterThan(65536L, size);
            Assert.IsLessThan(65536L + 8192, size);
        }
        Assert.IsLessThan(a.GzipBytes, a.ZstdBytes, "zstd 19 beats deflate on this data");
        Assert.AreEqual(1.0, a.Tensors.Single(t => t.Name == "zeros").Sparsity);
        Assert.AreEqual(1, a.Tensors.Single(t => t.Name == "zeros").UniqueValues);
    }

    [TestMethod]
    public void A_corpus_model_report_agrees_with_the_file_and_the_inspection_summary()
    {
        var path = Corpus.GetPath("face_detection_short_range");
        var file = File.ReadAllBytes(path);

        var report = SizeReport.ForFile(path);
        var summary = ModelSummary.Create(ModelReader.Read(file), Path.GetFileName(path), file);

        Assert.AreEqual(file.Length, report.Bytes);
        Assert.AreEqual(Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant(), report.Sha256);
        Assert.AreEqual(summary.ConstantBytes, report.ConstantBytes);
        CollectionAssert.AreEquivalent(summary.TensorBytesByType.Keys.ToArray(), report.BytesByType.Keys.ToArray());
        foreach (var (type, bytes) in summary.TensorBytesByType)
        {
            Assert.AreEqual(bytes.Bytes, report.BytesByType[type].Bytes, type);
            Assert.AreEqual(bytes.Tensors, report.BytesByType[type].Tensors, type);
        }
        Assert.IsTrue(report.GzipBytes > 0 && report.GzipBytes < file.Length);
        Assert.IsTrue(report.BrotliBytes > 0 && report.BrotliBytes < report.GzipBytes, "Brotli 11 beats deflate");
        Assert.IsTrue(report.ZstdBytes > 0 && report.ZstdBytes < file.Length);
        Assert.IsTrue(report.Tensors.Where(t => t.Type == "float16").All(t => t.UniqueValues is > 0 and <= 65536 && t.Sparsity is >= 0 and <= 1));
        Assert.AreEqual(summary.TensorBytesByType.Values.Sum(t => t.Tensors), report.Tensors.Count);

        var json = report.ToJson();
        StringAssert.Contains(json, "\"gzipBytes\":");
        StringAssert.Contains(json, "\"uniqueValues\":");
        Assert.AreEqual(json, SizeReport.FromJson(json).ToJson());
    }

    [TestMethod]
    public void Sparse_corpus_weights_are_reported_as_sparse()
    {
        var report = SizeReport.ForFile(Corpus.GetPath("face_detection_full_range_sparse"), new SizeReportOptions { Compress = false });

        var sparse = report.Tensors.Where(t => t.Sparse).ToList();
        Assert.IsNotEmpty(sparse);
        Assert.IsTrue(sparse.All(t => t.Sparsity >= 0.3), "the converter stores only tensors with at least 30 % zeros sparse");
    }

    [TestMethod]
    public void Missing_or_invalid_files_get_model_error_codes()
    {
        var missing = Path.Combine(Path.GetTempPath(), "mbt-no-such-model.tflite");
        Assert.AreEqual(ModelErrorCodes.FileUnreadable, Assert.ThrowsExactly<ModelFormatException>(() => SizeReport.ForFile(missing)).Code);
        var notModel = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(notModel, new byte[64]);
            Assert.IsTrue(Assert.ThrowsExactly<ModelFormatException>(() => SizeReport.ForFile(notModel)).Code.StartsWith("MBT10"));
        }
        finally
        {
            File.Delete(notModel);
        }
    }

    private static ModelGraph Synthetic()
    {
        var model = new ModelGraph();
        var main = new Subgraph { Name = "main" };
        model.Subgraphs.Add(main);
        var f32 = Bytes(0f, -0f, 0f, 1.5f, 1.5f, -2f, 0f, 3f);
        main.AddTensor(new Tensor("f32", TensorType.FLOAT32, [8]) { Data = f32 });
        main.AddTensor(new Tensor("f32_alias", TensorType.FLOAT32, [8]) { Data = f32 });
        main.AddTensor(new Tensor("f16", TensorType.FLOAT16, [4]) { Data = Bytes((Half)0f, (Half)(-0f), (Half)1f, (Half)1f) });
        main.AddTensor(new Tensor("i8q", TensorType.INT8, [4])
        {
            Data = Bytes<sbyte>(5, 5, 6, -1),
            Quantization = TensorQuantization.PerTensor(0.1f, 5),
        });
        main.AddTensor(new Tensor("i8pc", TensorType.INT8, [2, 2])
        {
            Data = Bytes<sbyte>(0, 1, 3, 3),
            Quantization = TensorQuantization.PerAxis([0.1f, 0.2f], [0, 3], 0),
        });
        main.AddTensor(new Tensor("i32", TensorType.INT32, [3]) { Data = Bytes(0, 7, 7) });
        main.AddTensor(new Tensor("sparse", TensorType.FLOAT32, [4, 4]) { Data = Bytes(1f, 2f, 0f), Sparsity = new SparsityParametersT() });
        var x = main.AddTensor(new Tensor("x", TensorType.FLOAT32, [8]));
        main.Inputs.Add(x);
        return model;
    }

    private static byte[] Bytes<T>(params T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
