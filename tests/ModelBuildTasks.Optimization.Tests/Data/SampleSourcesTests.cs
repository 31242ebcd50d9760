using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Metadata;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Data;

[TestClass]
public sealed class SampleSourcesTests
{
    [TestMethod]
    public void Folder_of_npy_files_yields_one_sample_per_file_in_ordinal_name_order()
    {
        using var temp = new TempFolder();
        TestFiles.WriteNpy(temp.File("b.npy"), [5, 6, 7, 8], 1, 4);
        TestFiles.WriteNpy(temp.File("a.npy"), [1, 2, 3, 4], 4); // shape (4,) fits [1,4]
        TestFiles.WriteNpy(temp.File("B.npy"), [9, 9, 9, 9], 1, 1, 4);
        File.WriteAllText(temp.File("notes.txt"), "ignored");

        var source = SampleSources.Open(temp.Path, TestModels.Float(1, 4));
        var samples = source.Read().ToList();

        Assert.AreEqual(3, source.Count);
        CollectionAssert.AreEqual(new[] { "B.npy", "a.npy", "b.npy" }, samples.Select(s => s.Id).ToArray());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4 }, Floats(samples[1].Inputs[0]));
        CollectionAssert.AreEqual(new float[] { 5, 6, 7, 8 }, Floats(samples[2].Inputs[0]));
        Assert.IsNull(samples[0].Label);
    }

    [TestMethod]
    public void Other_dtypes_are_converted_to_the_input_type()
    {
        using var temp = new TempFolder();
        TestFiles.WriteNpy(temp.File("0.npy"), "<f8", [3], TestFiles.Bytes(1.5, -2.0, 1e6));
        TestFiles.WriteNpy(temp.File("1.npy"), "<i2", [3], TestFiles.Bytes<short>(-300, 0, 7));
        TestFiles.WriteNpy(temp.File("2.npy"), "|u1", [3], [0, 128, 255]);
        TestFiles.WriteNpy(temp.File("3.npy"), "<f2", [3], TestFiles.Bytes((Half)0.5f, (Half)(-1f), (Half)2f));

        var samples = SampleSources.Open(temp.Path, TestModels.Float(1, 3)).Read().ToList();

        CollectionAssert.AreEqual(new float[] { 1.5f, -2f, 1e6f }, Floats(samples[0].Inputs[0]));
        CollectionAssert.AreEqual(new float[] { -300, 0, 7 }, Floats(samples[1].Inputs[0]));
        CollectionAssert.AreEqual(new float[] { 0, 128, 255 }, Floats(samples[2].Inputs[0]));
        CollectionAssert.AreEqual(new float[] { 0.5f, -1, 2 }, Floats(samples[3].Inputs[0]));
    }

    [TestMethod]
    public void Quantized_inputs_get_float_data_quantized_and_same_type_data_as_is()
    {
        using var temp = new TempFolder();
        // real = 0.5 * (q + 3): 1.0 -> -1, -1.6 -> round(-3.2) - 3 = -6, 100 -> clamped to 127,
        // 0.25 -> round(0.5) - 3 = -2 (halves away from zero, as TFLite's QUANTIZE).
        TestFiles.WriteNpy(temp.File("0.npy"), [1.0f, -1.6f, 100f, 0.25f], 1, 4);
        TestFiles.WriteNpy(temp.File("1.npy"), "|i1", [4], [1, 2, 0xFF, 0x80]);
        var model = TestModels.WithInputs(("q", TensorType.INT8, [1, 4], TensorQuantization.PerTensor(0.5f, -3)));

        var samples = SampleSources.Open(temp.Path, model).Read().ToList();

        CollectionAssert.AreEqual(new sbyte[] { -1, -6, 127, -2 }, MemoryMarshal.Cast<byte, sbyte>(samples[0].Inputs[0]).ToArray());
        CollectionAssert.AreEqual(new byte[] { 1, 2, 0xFF, 0x80 }, samples[1].Inputs[0]);
    }

    [TestMethod]
    public void Several_inputs_come_from_one_sub_folder_per_sample()
    {
        using var temp = new TempFolder();
        var model = TestModels.WithInputs(
            ("serving_default_image:0", TensorType.FLOAT32, [1, 2], null),
            ("mask", TensorType.INT32, [1, 3], null));
        foreach (var (sample, offset) in new[] { ("s1", 0f), ("s0", 10f) })
        {
            TestFiles.WriteNpy(temp.File($"{sample}/serving_default_image_0.npy"), [offset, offset + 1], 1, 2);
            TestFiles.WriteNpy(temp.File($"{sample}/mask.npy"), "<i8", [3], TestFiles.Bytes(1L, 0L, (long)offset));
        }

        var samples = SampleSources.Open(temp.Path, model).Read().ToList();

        CollectionAssert.AreEqual(new[] { "s0", "s1" }, samples.Select(s => s.Id).ToArray());
        CollectionAssert.AreEqual(new float[] { 10, 11 }, Floats(samples[0].Inputs[0]));
        CollectionAssert.AreEqual(new[] { 1, 0, 10 }, MemoryMarshal.Cast<byte, int>(samples[0].Inputs[1]).ToArray());
    }

    [TestMethod]
    public void A_batched_npy_yields_its_rows_with_npy_or_csv_labels()
    {
        using var temp = new TempFolder();
        var data = temp.File("batch.npy");
        TestFiles.WriteNpy(data, Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 2, 2);
        var npyLabels = temp.File("labels.npy");
        TestFiles.WriteNpy(npyLabels, "<i8", [3], TestFiles.Bytes(2L, 0L, 1L));
        var csvLabels = temp.File("labels.csv");
        File.WriteAllText(csvLabels, "file,label\n2,5\n0,3\n1,4\n");
        var model = TestModels.Float(1, 2, 2);

        var fromNpy = SampleSources.Open(data, model, new DataOptions { LabelsPath = npyLabels }).Read().ToList();
        var fromCsv = SampleSources.Open(data, model, new DataOptions { LabelsPath = csvLabels }).Read().ToList();

        Assert.AreEqual(3, fromNpy.Count);
        CollectionAssert.AreEqual(new float[] { 8, 9, 10, 11 }, Floats(fromNpy[2].Inputs[0]));
        CollectionAssert.AreEqual(new int?[] { 2, 0, 1 }, fromNpy.Select(s => s.Label).ToArray());
        CollectionAssert.AreEqual(new int?[] { 3, 4, 5 }, fromCsv.Select(s => s.Label).ToArray());
    }

    [TestMethod]
    public void Images_are_resized_bilinearly_and_normalized()
    {
        using var temp = new TempFolder();
        // 2x1 RGB image: left pixel (0, 100, 200), right pixel (200, 100, 0); resized to 4x2 (W x H).
        TestFiles.WritePng(temp.File("img.png"), 2, 1, 3, [0, 100, 200, 200, 100, 0]);
        var model = TestModels.Float(1, 2, 4, 3);

        var sample = SampleSources.Open(temp.Path, model, new DataOptions { Mean = [100], Std = [50] }).Read().Single();
        var v = Floats(sample.Inputs[0]);

        Assert.AreEqual(2 * 4 * 3, v.Length);
        // Output x=0 maps to input x = 0.5·0.5 − 0.5 < 0 → clamped to pixel 0; x=1 maps to 0.25: 0 + 0.25·200 = 50 for red.
        Assert.AreEqual((0 - 100) / 50f, v[0], 1e-6f);
        Assert.AreEqual((50 - 100) / 50f, v[3], 1e-6f);
        Assert.AreEqual((150 - 100) / 50f, v[6], 1e-6f);
        Assert.AreEqual((200 - 100) / 50f, v[9], 1e-6f);
        Assert.AreEqual(0f, v[4], 1e-6f, "green is 100 everywhere");
        CollectionAssert.AreEqual(v[..12], v[12..], "both rows come from the one input row");
    }

    [TestMethod]
    public void Images_use_the_models_metadata_normalization_when_none_is_given()
    {
        using var temp = new TempFolder();
        TestFiles.WritePng(temp.File("img.png"), 1, 1, 1, [255]);
        var model = TestModels.Float(1, 1, 1, 1);
        var outputs = model.Main.Outputs.Select(_ => new TensorMetadataInfo(null, null, null, null, null, null, null, null, null)).ToList();
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, TfLiteMetadata.Write(new ModelMetadataInfo(
            null, null, null, null, null,
            [new TensorMetadataInfo("image", null, "image", [127.5f], [127.5f], null, null, null, null)], outputs, []))));

        var fromMetadata = Floats(SampleSources.Open(temp.Path, model).Read().Single().Inputs[0]);
        var overridden = Floats(SampleSources.Open(temp.Path, model, new DataOptions { Mean = [0], Std = [255] }).Read().Single().Inputs[0]);

        Assert.AreEqual((255 - 127.5f) / 127.5f, fromMetadata[0], 1e-6f);
        Assert.AreEqual(1f, overridden[0], 1e-6f);
    }

    [TestMethod]
    public void Class_folders_label_images_by_sorted_folder_name_and_default_to_0_1_range()
    {
        using var temp = new TempFolder();
        TestFiles.WritePng(temp.File("dog/1.png"), 1, 1, 1, [255]);
        TestFiles.WritePng(temp.File("cat/1.png"), 1, 1, 1, [51]);
        TestFiles.WritePng(temp.File("cat/2.png"), 1, 1, 1, [0]);

        var samples = SampleSources.Open(temp.Path, TestModels.Float(1, 1, 1, 1)).Read().ToList();

        CollectionAssert.AreEqual(new[] { "cat/1.png", "cat/2.png", "dog/1.png" }, samples.Select(s => s.Id).ToArray());
        CollectionAssert.AreEqual(new int?[] { 0, 0, 1 }, samples.Select(s => s.Label).ToArray());
        Assert.AreEqual(0.2f, Floats(samples[0].Inputs[0])[0], 1e-6f);
        Assert.AreEqual(1f, Floats(samples[2].Inputs[0])[0], 1e-6f);
    }

    [TestMethod]
    public void Quantized_image_inputs_get_raw_pixels_unless_normalization_is_given()
    {
        using var temp = new TempFolder();
        TestFiles.WritePng(temp.File("a.png"), 2, 1, 1, [0, 200]);
        var uint8 = TestModels.WithInputs(("x", TensorType.UINT8, [1, 1, 2, 1], TensorQuantization.PerTensor(0.0078125f, 128)));
        var int8 = TestModels.WithInputs(("x", TensorType.INT8, [1, 1, 2, 1], TensorQuantization.PerTensor(0.0078125f, 0)));

        var raw = SampleSources.Open(temp.Path, uint8).Read().Single().Inputs[0];
        var shifted = SampleSources.Open(temp.Path, int8).Read().Single().Inputs[0];
        var normalized = SampleSources.Open(temp.Path, uint8, new DataOptions { Mean = [127.5f], Std = [127.5f] }).Read().Single().Inputs[0];

        CollectionAssert.AreEqual(new byte[] { 0, 200 }, raw);
        CollectionAssert.AreEqual(new sbyte[] { -128, 72 }, MemoryMarshal.Cast<byte, sbyte>(shifted).ToArray());
        // (0 − 127.5)/127.5 = −1 → −128 + 128 = 0; (200 − 127.5)/127.5 = 0.5686 → round(72.78) + 128 = 201.
        CollectionAssert.AreEqual(new byte[] { 0, 201 }, normalized);
    }

    [TestMethod]
    public void Csv_labels_match_files_with_or_without_extension()
    {
        using var temp = new TempFolder();
        TestFiles.WriteNpy(temp.File("data/x1.npy"), [1], 1);
        TestFiles.WriteNpy(temp.File("data/x2.npy"), [2], 1);
        var labels = temp.File("labels.csv");
        File.WriteAllText(labels, "x2,7\nx1.npy,3\n");

        var samples = SampleSources.Open(temp.File("data"), TestModels.Float(1, 1), new DataOptions { LabelsPath = labels }).Read().ToList();

        CollectionAssert.AreEqual(new int?[] { 3, 7 }, samples.Select(s => s.Label).ToArray());
    }

    [TestMethod]
    public void Bad_data_gets_coded_errors_naming_the_file()
    {
        using var temp = new TempFolder();
        var model = TestModels.Float(1, 4);

        var missing = temp.File("nope");
        Assert.AreEqual(DataErrorCodes.DataNotFound, Error(() => SampleSources.Open(missing, model), missing));

        var empty = temp.File("empty/");
        Directory.CreateDirectory(empty);
        Assert.AreEqual(DataErrorCodes.NoSamples, Error(() => SampleSources.Open(empty, model), Path.GetFullPath(empty)));

        var wrongShape = temp.File("shape/a.npy");
        TestFiles.WriteNpy(wrongShape, [1, 2, 3], 3);
        Assert.AreEqual(DataErrorCodes.ShapeMismatch, Error(() => SampleSources.Open(temp.File("shape"), model), wrongShape));

        var laterWrong = temp.File("later/b.npy");
        TestFiles.WriteNpy(temp.File("later/a.npy"), [1, 2, 3, 4], 4);
        TestFiles.WriteNpy(laterWrong, "<c8", [4], new byte[32]);
        var lazy = SampleSources.Open(temp.File("later"), model);
        Assert.AreEqual(DataErrorCodes.UnsupportedDtype, Error(() => lazy.Read().ToList(), laterWrong));

        var badImage = temp.File("images/broken.png");
        File.WriteAllBytes(badImage, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        var images = SampleSources.Open(temp.File("images"), TestModels.Float(1, 2, 2, 3));
        Assert.AreEqual(DataErrorCodes.UnreadableImage, Error(() => images.Read().ToList(), badImage));

        var twoInputs = TestModels.WithInputs(("a", TensorType.FLOAT32, [1, 4], null), ("b", TensorType.FLOAT32, [1, 4], null));
        Assert.AreEqual(DataErrorCodes.InputMismatch, Error(() => SampleSources.Open(temp.File("later"), twoInputs), Path.GetFullPath(temp.File("later"))));
    }

    [TestMethod]
    public void Labels_that_do_not_match_the_samples_are_rejected()
    {
        using var temp = new TempFolder();
        TestFiles.WriteNpy(temp.File("d/a.npy"), [1, 2, 3, 4], 4);
        TestFiles.WriteNpy(temp.File("d/b.npy"), [1, 2, 3, 4], 4);
        var model = TestModels.Float(1, 4);
        var missingRow = temp.File("missing.csv");
        File.WriteAllText(missingRow, "a,1\n");
        var extraRow = temp.File("extra.csv");
        File.WriteAllText(extraRow, "a,1\nb,0\nc,2\n");
        var notNumber = temp.File("bad.csv");
        File.WriteAllText(notNumber, "a,1\nb,cat\n");

        var e = Assert.ThrowsExactly<DataException>(() => SampleSources.Open(temp.File("d"), model, new DataOptions { LabelsPath = missingRow }));
        Assert.AreEqual(DataErrorCodes.LabelsMismatch, e.Code);
        StringAssert.Contains(e.Message, "'b.npy'");
        e = Assert.ThrowsExactly<DataException>(() => SampleSources.Open(temp.File("d"), model, new DataOptions { LabelsPath = extraRow }));
        Assert.AreEqual(DataErrorCodes.LabelsMismatch, e.Code);
        StringAssert.Contains(e.Message, "'c'");
        e = Assert.ThrowsExactly<DataException>(() => SampleSources.Open(temp.File("d"), model, new DataOptions { LabelsPath = notNumber }));
        Assert.AreEqual(DataErrorCodes.InvalidLabels, e.Code);
        Assert.AreEqual(notNumber, e.FilePath);
    }

    [TestMethod]
    [DoNotParallelize]
    public void Reading_1200_samples_keeps_memory_bounded()
    {
        using var temp = new TempFolder();
        const int count = 1200, elements = 784;
        var values = new float[elements];
        for (var i = 0; i < count; i++)
        {
            values[0] = i;
            TestFiles.WriteNpy(temp.File($"{i:D5}.npy"), values, 1, elements);
        }
        var source = SampleSources.Open(temp.Path, TestModels.Float(1, elements));

        long liveAt100 = 0, liveAt1100 = 0;
        var seen = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        foreach (var sample in source.Read())
        {
            Assert.AreEqual(seen, BinaryPrimitives.ReadSingleLittleEndian(sample.Inputs[0]), "samples arrive in order");
            seen++;
            if (seen == 100)
            {
                liveAt100 = GC.GetTotalMemory(forceFullCollection: true);
            }
            else if (seen == 1100)
            {
                liveAt1100 = GC.GetTotalMemory(forceFullCollection: true);
            }
        }
        var allocatedPerSample = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / count;

        Assert.AreEqual(count, seen);
        // 1000 samples of 3 KB read between the two points: retaining them would add 3 MB.
        Assert.IsLessThan(256 * 1024, liveAt1100 - liveAt100, $"live memory grew from {liveAt100} to {liveAt1100} bytes");
        Assert.IsLessThan(elements * 4 * 3 + 8192, allocatedPerSample, "a sample costs its own bytes plus a small constant");
    }

    private static float[] Floats(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    private static string Error(Action action, string expectedFile)
    {
        var e = Assert.ThrowsExactly<DataException>(action);
        Assert.AreEqual(Path.GetFullPath(expectedFile).TrimEnd('/'), e.FilePath?.TrimEnd('/'), e.Message);
        return e.Code;
    }
}
