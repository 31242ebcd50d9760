using System.IO.Compression;
using System.Text;
using Google.FlatBuffers;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Metadata;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests.Metadata;

/// <summary>
/// TFLITE_METADATA: written with <see cref="TfLiteMetadata.Write"/> into a real model through the IR, read back with
/// its labels from the associated-files zip, and the model still runs in LiteRT; malformed metadata is a coded error.
/// </summary>
[TestClass]
public sealed class TfLiteMetadataTests
{
    private const string Model = "selfie_segmentation";
    private static readonly string[] Labels = ["background", "person", "ünïcode label", ""];

    private static ModelMetadataInfo SampleInfo() => new(
        Name: "Selfie segmenter",
        Description: "Separates a person from the background.",
        Version: "v1.2",
        Author: "ModelBuildTasks tests",
        License: "Apache-2.0",
        Inputs: [new TensorMetadataInfo("image", "RGB image, 256×256", "image", [127.5f], [127.5f], -1f, 1f, null, null)],
        Outputs: [new TensorMetadataInfo("mask", "person probability", "feature", null, null, 0f, 1f, "labels.txt", Labels)],
        AssociatedFiles: ["readme.txt"]);

    /// <summary>The corpus model with <paramref name="metadata"/> and an associated-files zip holding labels.txt and readme.txt.</summary>
    private static ModelGraph WithMetadata(byte[] metadata, byte[]? zip = null)
    {
        var model = ModelReader.ReadFile(Corpus.GetPath(Model));
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, metadata));
        model.AssociatedFiles = zip ?? TfLiteMetadata.CreateAssociatedFiles(new Dictionary<string, byte[]>
        {
            ["labels.txt"] = TfLiteMetadata.LabelsFileContent(Labels),
            ["readme.txt"] = "segmenter\n"u8.ToArray(),
        });
        return model;
    }

    private static ModelFormatException ReadFails(ModelGraph model, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<ModelFormatException>(() => TfLiteMetadata.Read(model, "bad-metadata.tflite"));
        Assert.AreEqual(ModelErrorCodes.InvalidMetadata, e.Code, e.Message);
        Assert.StartsWith($"{ModelErrorCodes.InvalidMetadata}: bad-metadata.tflite: {ModelGraph.TfLiteMetadataName}: ", e.Message);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, e.Message);
        }
        return e;
    }

    [TestMethod]
    public void WrittenMetadataAndLabelsReadBackFromTheWrittenFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("with-metadata.tflite");
        ModelWriter.WriteFile(WithMetadata(TfLiteMetadata.Write(SampleInfo())), path);

        var info = TfLiteMetadata.Read(ModelReader.ReadFile(path))!;
        Assert.AreEqual("Selfie segmenter", info.Name);
        Assert.AreEqual("Separates a person from the background.", info.Description);
        Assert.AreEqual("v1.2", info.Version);
        Assert.AreEqual("ModelBuildTasks tests", info.Author);
        Assert.AreEqual("Apache-2.0", info.License);
        CollectionAssert.AreEqual(new[] { "readme.txt" }, info.AssociatedFiles.ToArray());

        var input = info.Inputs.Single();
        Assert.AreEqual("image", input.Name);
        Assert.AreEqual("RGB image, 256×256", input.Description);
        Assert.AreEqual("image", input.Content);
        CollectionAssert.AreEqual(new[] { 127.5f }, input.Mean);
        CollectionAssert.AreEqual(new[] { 127.5f }, input.Std);
        Assert.AreEqual(-1f, input.Min);
        Assert.AreEqual(1f, input.Max);
        Assert.IsNull(input.LabelsFile);
        Assert.IsNull(input.Labels);

        var output = info.Outputs.Single();
        Assert.AreEqual("mask", output.Name);
        Assert.AreEqual("feature", output.Content);
        Assert.IsNull(output.Mean);
        Assert.IsNull(output.Std);
        Assert.AreEqual("labels.txt", output.LabelsFile);
        CollectionAssert.AreEqual(Labels, output.Labels!.ToArray());
    }

    [TestMethod]
    public void ModelWithMetadataRunsInLiteRtWithTheOriginalOutputs()
    {
        using var temp = new TempFolder();
        var path = temp.File("with-metadata.tflite");
        ModelWriter.WriteFile(WithMetadata(TfLiteMetadata.Write(SampleInfo())), path);
        var expected = Oracle.RunSeeded(Corpus.GetPath(Model), seed: 11);
        var actual = Oracle.RunSeeded(path, seed: 11);
        Assert.HasCount(expected.Outputs.Count, actual.Outputs);
        for (var i = 0; i < expected.Outputs.Count; i++)
        {
            CollectionAssert.AreEqual(expected.Outputs[i].Data, actual.Outputs[i].Data, $"output {i}");
        }
        // The zip is the file's tail: any zip reader finds the labels in the written model.
        using var zip = ZipFile.OpenRead(path);
        using var reader = new StreamReader(zip.GetEntry("labels.txt")!.Open());
        Assert.AreEqual("background\nperson\nünïcode label\n\n", reader.ReadToEnd());
    }

    [TestMethod]
    public void InspectSummaryCarriesTheMetadataThroughItsJson()
    {
        var bytes = ModelWriter.ToBytes(WithMetadata(TfLiteMetadata.Write(SampleInfo())));
        var summary = Inspection.ModelSummary.Create(ModelReader.Read(bytes), "with-metadata.tflite", bytes);
        var json = summary.ToJson();
        Assert.Contains("\"tfliteMetadata\": {", json);
        var parsed = Inspection.ModelSummary.FromJson(json).TfLiteMetadata!;
        Assert.AreEqual("Selfie segmenter", parsed.Name);
        CollectionAssert.AreEqual(new[] { 127.5f }, parsed.Inputs[0].Mean);
        CollectionAssert.AreEqual(Labels, parsed.Outputs[0].Labels!.ToArray());

        var plain = File.ReadAllBytes(Corpus.GetPath(Model));
        var none = Inspection.ModelSummary.Create(ModelReader.Read(plain), "plain.tflite", plain).ToJson();
        Assert.Contains("\"tfliteMetadata\": null", none);
    }

    [TestMethod]
    public void ModelWithoutMetadataHasNone()
    {
        Assert.IsNull(TfLiteMetadata.Read(ModelReader.ReadFile(Corpus.GetPath(Model))));
    }

    [TestMethod]
    public void WritingIsDeterministic()
    {
        CollectionAssert.AreEqual(TfLiteMetadata.Write(SampleInfo()), TfLiteMetadata.Write(SampleInfo()));
        var files = new Dictionary<string, byte[]> { ["labels.txt"] = "a\nb\n"u8.ToArray() };
        CollectionAssert.AreEqual(TfLiteMetadata.CreateAssociatedFiles(files), TfLiteMetadata.CreateAssociatedFiles(files));
        var buffer = TfLiteMetadata.Write(SampleInfo());
        Assert.AreEqual("M001", Encoding.ASCII.GetString(buffer, 4, 4));
    }

    [TestMethod]
    public void MinimalInfoWritesAndReads()
    {
        var info = new ModelMetadataInfo(null, null, null, null, null, [], [], []);
        var read = TfLiteMetadata.Read(WithMetadata(TfLiteMetadata.Write(info)))!;
        Assert.IsNull(read.Name);
        Assert.IsEmpty(read.Inputs);
        Assert.IsEmpty(read.Outputs);
        Assert.IsEmpty(read.AssociatedFiles);
    }

    /// <summary>
    /// A buffer built field by field with the upstream schema's slot numbers (not our generated code), as TFLite's
    /// metadata writer lays it out: our reader must find every field where upstream puts it.
    /// </summary>
    [TestMethod]
    public void ReadsTheUpstreamFieldLayout()
    {
        var b = new FlatBufferBuilder(256);
        var labelsName = b.CreateString("classes.txt");
        b.StartTable(4); // AssociatedFile: 0 name, 1 description, 2 type
        b.AddOffset(0, labelsName.Value, 0);
        b.AddSbyte(2, 2, 0); // TENSOR_AXIS_LABELS
        var labelsFile = b.EndTable();
        var files = Vector(b, labelsFile);

        var mean = FloatVector(b, 0.5f, 0.25f, 0.125f);
        var std = FloatVector(b, 2f, 4f, 8f);
        b.StartTable(2); // NormalizationOptions: 0 mean, 1 std
        b.AddOffset(0, mean, 0);
        b.AddOffset(1, std, 0);
        var normalization = b.EndTable();
        b.StartTable(2); // ProcessUnit: 0 options_type, 1 options
        b.AddByte(0, 1, 0); // NormalizationOptions
        b.AddOffset(1, normalization, 0);
        var units = Vector(b, b.EndTable());

        b.StartTable(0); // ImageProperties (no fields)
        var image = b.EndTable();
        b.StartTable(3); // Content: 0 content_properties_type, 1 content_properties
        b.AddByte(0, 2, 0); // ImageProperties
        b.AddOffset(1, image, 0);
        var content = b.EndTable();

        var stats = (Max: FloatVector(b, 3f, 7f), Min: FloatVector(b, -2f, 1f));
        b.StartTable(2); // Stats: 0 max, 1 min
        b.AddOffset(0, stats.Max, 0);
        b.AddOffset(1, stats.Min, 0);
        var statsTable = b.EndTable();

        var tensorName = b.CreateString("pixels");
        b.StartTable(7); // TensorMetadata: 0 name, 3 content, 4 process_units, 5 stats, 6 associated_files
        b.AddOffset(0, tensorName.Value, 0);
        b.AddOffset(3, content, 0);
        b.AddOffset(4, units, 0);
        b.AddOffset(5, statsTable, 0);
        b.AddOffset(6, files, 0);
        var tensor = b.EndTable();
        var inputs = Vector(b, tensor);
        b.StartTable(5); // SubGraphMetadata: 2 input_tensor_metadata
        b.AddOffset(2, inputs, 0);
        var subgraphs = Vector(b, b.EndTable());

        var (version, author, license) = (b.CreateString("3"), b.CreateString("someone"), b.CreateString("MIT"));
        b.StartTable(8); // ModelMetadata: 2 version, 3 subgraph_metadata, 4 author, 5 license
        b.AddOffset(2, version.Value, 0);
        b.AddOffset(3, subgraphs, 0);
        b.AddOffset(4, author.Value, 0);
        b.AddOffset(5, license.Value, 0);
        b.Finish(b.EndTable(), "M001");

        var model = ModelReader.Read(BadInput.BadModels.Baseline()); // one input, one output
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, b.SizedByteArray()));
        model.AssociatedFiles = TfLiteMetadata.CreateAssociatedFiles(
            new Dictionary<string, byte[]> { ["classes.txt"] = "\uFEFFcat\r\ndog"u8.ToArray() });
        var info = TfLiteMetadata.Read(model)!;
        Assert.AreEqual("3", info.Version);
        Assert.AreEqual("someone", info.Author);
        Assert.AreEqual("MIT", info.License);
        var t = info.Inputs.Single();
        Assert.AreEqual("pixels", t.Name);
        Assert.AreEqual("image", t.Content);
        CollectionAssert.AreEqual(new[] { 0.5f, 0.25f, 0.125f }, t.Mean);
        CollectionAssert.AreEqual(new[] { 2f, 4f, 8f }, t.Std);
        Assert.AreEqual(-2f, t.Min);
        Assert.AreEqual(7f, t.Max);
        Assert.AreEqual("classes.txt", t.LabelsFile);
        // A byte-order mark, CRLF line ends and a missing final newline: still two labels.
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, t.Labels!.ToArray());
    }

    private static int Vector(FlatBufferBuilder b, int table)
    {
        b.StartVector(4, 1, 4);
        b.AddOffset(table);
        return b.EndVector().Value;
    }

    private static int FloatVector(FlatBufferBuilder b, params float[] values)
    {
        b.StartVector(4, values.Length, 4);
        for (var i = values.Length - 1; i >= 0; i--)
        {
            b.AddFloat(values[i]);
        }
        return b.EndVector().Value;
    }

    // ---- Malformed metadata ----

    [TestMethod]
    public void WrongIdentifierIsACodedError()
    {
        var buffer = TfLiteMetadata.Write(SampleInfo());
        "TFL3"u8.CopyTo(buffer.AsSpan(4));
        ReadFails(WithMetadata(buffer), "identifier is 'TFL3'", "expected 'M001'");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(7)]
    public void TooShortBufferIsACodedError(int length)
    {
        ReadFails(WithMetadata(TfLiteMetadata.Write(SampleInfo())[..length]), $"{length} bytes long");
    }

    [TestMethod]
    public void EveryTruncationIsACodedErrorOrReadsFine()
    {
        // Cutting the buffer anywhere must never escape as another exception type.
        var full = TfLiteMetadata.Write(SampleInfo());
        var model = WithMetadata(full);
        var entry = model.FindMetadata(ModelGraph.TfLiteMetadataName)!;
        var failures = 0;
        for (var length = 8; length < full.Length; length++)
        {
            entry.Data = full[..length];
            try
            {
                TfLiteMetadata.Read(model);
            }
            catch (ModelFormatException e)
            {
                Assert.AreEqual(ModelErrorCodes.InvalidMetadata, e.Code, e.Message);
                failures++;
            }
        }
        Assert.IsGreaterThan(full.Length / 2, failures, "most truncations cut a table or string short");
    }

    [TestMethod]
    public void LabelsFileMissingFromTheZipIsACodedError()
    {
        var zip = TfLiteMetadata.CreateAssociatedFiles(new Dictionary<string, byte[]> { ["other.txt"] = [1] });
        ReadFails(WithMetadata(TfLiteMetadata.Write(SampleInfo()), zip), "output 0 'mask'", "'labels.txt'", "do not contain");
    }

    [TestMethod]
    public void LabelsWithoutAnyZipIsACodedError()
    {
        var model = WithMetadata(TfLiteMetadata.Write(SampleInfo()));
        model.AssociatedFiles = ReadOnlyMemory<byte>.Empty;
        ReadFails(model, "'labels.txt'", "no associated files");
    }

    [TestMethod]
    public void CorruptZipIsACodedError()
    {
        var zip = TfLiteMetadata.CreateAssociatedFiles(new Dictionary<string, byte[]> { ["labels.txt"] = "a\nb\n"u8.ToArray() });
        zip[^6] ^= 0xFF; // the central directory's offset
        zip[^5] ^= 0xFF;
        ReadFails(WithMetadata(TfLiteMetadata.Write(SampleInfo()), zip), "zip is corrupt");
    }

    [TestMethod]
    public void LabelsFileWithChangedBytesIsACodedError()
    {
        var zip = TfLiteMetadata.CreateAssociatedFiles(new Dictionary<string, byte[]> { ["labels.txt"] = "cat\ndog\n"u8.ToArray() });
        var at = zip.AsSpan().IndexOf("dog"u8);
        zip[at] = (byte)'f'; // same length, different bytes: only the CRC can tell
        ReadFails(WithMetadata(TfLiteMetadata.Write(SampleInfo()), zip), "'labels.txt' is corrupt", "CRC-32");
    }

    [TestMethod]
    public void TensorCountDifferentFromTheGraphIsACodedError()
    {
        var info = SampleInfo() with { Inputs = [SampleInfo().Inputs[0], SampleInfo().Inputs[0]] };
        ReadFails(WithMetadata(TfLiteMetadata.Write(info)), "describes 2 inputs", "subgraph 0 has 1");
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(float.NaN)]
    public void UnusableStdIsACodedError(float std)
    {
        var info = SampleInfo() with { Inputs = [SampleInfo().Inputs[0] with { Std = [1f, std, 1f], Mean = [0f, 0f, 0f] }] };
        ReadFails(WithMetadata(TfLiteMetadata.Write(info)), "input 0 'image'", $"std {std}");
    }

    [TestMethod]
    public void MeanAndStdCountsThatCannotPairIsACodedError()
    {
        var info = SampleInfo() with { Inputs = [SampleInfo().Inputs[0] with { Mean = [1f, 2f], Std = [1f, 2f, 3f] }] };
        ReadFails(WithMetadata(TfLiteMetadata.Write(info)), "2 mean and 3 std values");
    }

    [TestMethod]
    public void StringSharedManyTimesIsRefusedQuickly()
    {
        // 20 000 outputs whose names all point at one 50 000-character string: a billion characters if expanded.
        var b = new FlatBufferBuilder(1 << 16);
        var name = b.CreateString(new string('n', 50_000));
        b.StartTable(7);
        b.AddOffset(0, name.Value, 0);
        var tensor = b.EndTable();
        b.StartVector(4, 20_000, 4);
        for (var i = 0; i < 20_000; i++)
        {
            b.AddOffset(tensor);
        }
        var outputs = b.EndVector();
        b.StartTable(5);
        b.AddOffset(3, outputs.Value, 0);
        var subgraphs = Vector(b, b.EndTable());
        b.StartTable(8);
        b.AddOffset(3, subgraphs, 0);
        b.Finish(b.EndTable(), "M001");
        var model = ReadOnlyModelWithOutputs(20_000);
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, b.SizedByteArray()));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsExactly<ModelFormatException>(() => TfLiteMetadata.Read(model));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(ModelErrorCodes.InvalidMetadata, e.Code);
        Assert.Contains("referenced many times", e.Message);
        Assert.IsLessThan(64L << 20, allocated, $"allocated {allocated} bytes");
    }

    /// <summary>An in-memory model whose main subgraph has <paramref name="count"/> outputs (never written).</summary>
    private static ModelGraph ReadOnlyModelWithOutputs(int count)
    {
        var model = new ModelGraph();
        var main = new Subgraph();
        model.Subgraphs.Add(main);
        for (var i = 0; i < count; i++)
        {
            main.Outputs.Add(main.AddTensor(new Tensor($"o{i}", Schema.TensorType.FLOAT32, [1])));
        }
        return model;
    }

    [TestMethod]
    public void ReadAcceptsOnlyModelsItWasGiven()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => TfLiteMetadata.Read(null!));
        Assert.ThrowsExactly<ArgumentException>(() => TfLiteMetadata.LabelsFileContent(["two\nlines"]));
        Assert.ThrowsExactly<ArgumentException>(() => TfLiteMetadata.Write(SampleInfo() with
        {
            Inputs = [SampleInfo().Inputs[0] with { Content = "audio" }],
        }));
    }
}
