using System.Security.Cryptography;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Metadata;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Tasks.Locations;
using ModelBuildTasks.Tasks.Optimize;
using ModelBuildTasks.Tasks.Settings;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Tasks.Tests;

[TestClass]
public sealed class ModelCardTests
{
    private const string SmallModel = "face_detection_short_range";

    private static (ModelItemSettings Settings, ItemOutputs Outputs) Prepare(TempFolder temp, Dictionary<string, string>? metadata = null)
    {
        File.Copy(Corpus.GetPath(SmallModel), Path.Combine(temp.Path, SmallModel + ".tflite"));
        var errors = new List<SettingsError>();
        var settings = ModelItemParser.Parse(SmallModel + ".tflite", metadata ?? new() { ["Optimization"] = "none" },
            new Dictionary<string, string>(), temp.Path, errors);
        Assert.IsEmpty(errors);
        return (settings!, new ItemOutputs(Path.Combine(temp.Path, "obj", "models"), settings!.Name));
    }

    [TestMethod]
    public void PipelineWritesAModelLiteRtRunsAndACardThatDescribesIt()
    {
        using var temp = new TempFolder();
        var (settings, outputs) = Prepare(temp, new() { ["Optimization"] = "none", ["MaxSize"] = "1MB", ["ClassName"] = "Faces" });
        var location = new ItemLocation("/src/App.csproj", 12, 5);
        var result = ModelItemPipeline.Run(settings, location, outputs, "9.9.9", null, CancellationToken.None);

        // The written model loads and runs in the official runtime, with the tensors the card lists.
        var info = Oracle.Info(outputs.Model);
        var card = ModelCardJson.ReadFile(outputs.Card);
        var input = card.Signatures.Single().Inputs.Single();
        Assert.AreEqual(info.Inputs.Single().ShapeText, "[" + string.Join(",", input.Shape) + "]");
        Assert.AreEqual(info.Inputs.Single().DType, input.Type);
        CollectionAssert.AreEqual(info.Outputs.Select(o => o.ShapeText).ToList(),
            card.Signatures.Single().Outputs.Select(o => "[" + string.Join(",", o.Shape) + "]").ToList());
        Assert.IsNotNull(Oracle.RunSeeded(outputs.Model, seed: 1));

        // Sizes and hashes are the files' own.
        var optimizedBytes = File.ReadAllBytes(outputs.Model);
        Assert.AreEqual(optimizedBytes.LongLength, card.Optimized!.Bytes);
        Assert.AreEqual(Convert.ToHexString(SHA256.HashData(optimizedBytes)).ToLowerInvariant(), card.Optimized.Sha256);
        Assert.AreEqual(new FileInfo(Corpus.GetPath(SmallModel)).Length, card.Original.Bytes);
        Assert.IsLessThan(card.Optimized.Bytes, card.Optimized.GzipBytes);
        Assert.IsGreaterThan(0L, card.Optimized.BrotliBytes);

        // Item facts, budgets, and nothing measured for "none".
        Assert.AreEqual(new CardItem { Include = SmallModel + ".tflite", ProjectFile = "/src/App.csproj", Line = 12, Column = 5 }, card.Item);
        Assert.AreEqual("Faces", card.ClassName);
        Assert.AreEqual(1_000_000L, card.Budgets.MaxSize);
        Assert.AreEqual("none", card.Optimization);
        Assert.IsNull(card.Metrics);
        Assert.AreEqual("9.9.9", card.ToolVersion);
        CollectionAssert.AreEqual(ModelCardJson.ToBytes(card), ModelCardJson.ToBytes(result.Card));
        StringAssert.Contains(result.SummaryLine(), "face_detection_short_range: none 229 KB -> ");
        Assert.IsTrue(File.Exists(outputs.Report));
        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(outputs.Model)!, "*.tmp"));
    }

    [TestMethod]
    public void CardsAreDeterministicAndRoundTrip()
    {
        using var temp = new TempFolder();
        var (settings, outputs) = Prepare(temp);
        ModelItemPipeline.Run(settings, new ItemLocation("", 0, 0), outputs, "1.0.0", null, CancellationToken.None);
        var first = File.ReadAllBytes(outputs.Card);
        var model = File.ReadAllBytes(outputs.Model);
        ModelItemPipeline.Run(settings, new ItemLocation("", 0, 0), outputs, "1.0.0", null, CancellationToken.None);
        CollectionAssert.AreEqual(first, File.ReadAllBytes(outputs.Card));
        CollectionAssert.AreEqual(model, File.ReadAllBytes(outputs.Model));
        CollectionAssert.AreEqual(first, ModelCardJson.ToBytes(ModelCardJson.ReadFile(outputs.Card)));
        var text = System.Text.Encoding.UTF8.GetString(first);
        StringAssert.StartsWith(text, "{\n  \"formatVersion\": 1,\n  \"toolVersion\": \"1.0.0\",");
        StringAssert.Contains(text, "\"className\": null");
    }

    [TestMethod]
    public void CardCarriesTheModelsTfLiteMetadata()
    {
        // What the generator needs for pixel normalization, labels and TopK comes from TFLITE_METADATA + its labels file.
        var model = ModelReader.ReadFile(Corpus.GetPath(SmallModel));
        string[] labels = ["face", "no face"];
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, TfLiteMetadata.Write(new ModelMetadataInfo(
            "Faces", "finds faces", "v2", "tests", "Apache-2.0",
            [new TensorMetadataInfo("image", null, "image", [127.5f], [128f], null, null, null, null)],
            [new TensorMetadataInfo("boxes", null, "feature", null, null, null, null, null, null),
             new TensorMetadataInfo("scores", null, "feature", null, null, null, null, "labels.txt", labels)],
            []))));
        model.AssociatedFiles = TfLiteMetadata.CreateAssociatedFiles(new Dictionary<string, byte[]>
        {
            ["labels.txt"] = TfLiteMetadata.LabelsFileContent(labels),
        });

        var signature = ModelDescriber.Signatures(model).Single();
        var metadata = ModelDescriber.Metadata(model);

        Assert.AreEqual("Faces", metadata?.Name);
        Assert.AreEqual("v2", metadata?.Version);
        var input = signature.Inputs.Single();
        Assert.AreEqual("image", input.Content);
        CollectionAssert.AreEqual(new[] { 127.5f }, input.Normalization!.Mean.ToArray());
        CollectionAssert.AreEqual(new[] { 128f }, input.Normalization.Std.ToArray());
        Assert.AreEqual("tensor", signature.Outputs[0].Content);
        Assert.IsNull(signature.Outputs[0].Labels);
        CollectionAssert.AreEqual(labels, signature.Outputs[1].Labels!.ToArray());
        Assert.IsNull(ModelDescriber.Metadata(ModelReader.ReadFile(Corpus.GetPath(SmallModel))));
    }

    [TestMethod]
    public void DescribeListsTheSourceModelWithoutOptimizing()
    {
        using var temp = new TempFolder();
        var (settings, _) = Prepare(temp);
        var card = ModelItemPipeline.Describe(settings, new ItemLocation("", 0, 0), "1.0.0");
        Assert.IsNull(card.Optimized);
        Assert.AreEqual("input", card.Signatures.Single().Inputs.Single().Name);
        Assert.AreEqual("3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633", card.Original.Sha256);
    }

    [TestMethod]
    public void CancellationLeavesNoFile()
    {
        using var temp = new TempFolder();
        var (settings, outputs) = Prepare(temp);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            ModelItemPipeline.Run(settings, new ItemLocation("", 0, 0), outputs, "1.0.0", null, cancelled.Token));
        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(outputs.Model)) &&
                       Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(outputs.Model)!).Any());
    }

    [TestMethod]
    public void UnreadableCardsHaveTheirCode()
    {
        using var temp = new TempFolder();
        var malformed = temp.File("a.modelcard.json", "{ not json");
        var newer = temp.File("b.modelcard.json", "{ \"formatVersion\": 2 }");
        Assert.AreEqual("MBT3010", Assert.Throws<ModelFormatException>(() => ModelCardJson.ReadFile(malformed)).Code);
        var e = Assert.Throws<ModelFormatException>(() => ModelCardJson.ReadFile(newer));
        Assert.AreEqual("MBT3010", e.Code);
        StringAssert.Contains(e.Message, "format version 2");
        Assert.AreEqual("MBT3010", Assert.Throws<ModelFormatException>(() => ModelCardJson.ReadFile(Path.Combine(temp.Path, "none.json"))).Code);
    }

    [TestMethod]
    public void ATruncatedModelIsACodedErrorNamingTheFile()
    {
        using var temp = new TempFolder();
        var (settings, outputs) = Prepare(temp);
        File.WriteAllBytes(settings.ModelPath, File.ReadAllBytes(settings.ModelPath)[..100]);
        var e = Assert.Throws<ModelFormatException>(() =>
            ModelItemPipeline.Run(settings, new ItemLocation("", 0, 0), outputs, "1.0.0", null, CancellationToken.None));
        StringAssert.StartsWith(e.Code, "MBT1");
        StringAssert.Contains(e.Message, settings.ModelPath);
        Assert.IsFalse(File.Exists(outputs.Model));
    }

    [TestMethod]
    public void BaselineIsReadFromAPlainRecordOrAReport()
    {
        using var temp = new TempFolder();
        Assert.AreEqual(1234L, BaselineFile.ReadBytes(temp.File("a.json", "{\"bytes\":1234}")));
        Assert.AreEqual(99L, BaselineFile.ReadBytes(temp.File("b.json", "{\"optimized\":{\"bytes\":99,\"gzipBytes\":1}}")));
        Assert.AreEqual(TaskErrorCodes.BadBaseline, Assert.Throws<ModelFormatException>(() => BaselineFile.ReadBytes(temp.File("c.json", "[]"))).Code);
        Assert.AreEqual(TaskErrorCodes.BadBaseline, Assert.Throws<ModelFormatException>(() => BaselineFile.ReadBytes(temp.File("d.json", "{"))).Code);
    }
}
