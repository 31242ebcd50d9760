using Microsoft.CodeAnalysis;
using ModelBuildTasks.Generator.Tests.Harness;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>
/// Generated wrappers compile against the runtime with nullable on, every warning (all warning waves, missing XML
/// docs included) an error, and C# 9: they must never break a user's build.
/// </summary>
[TestClass]
public sealed class CompileTests
{
    // Code a user writes against the generated API: proves the members exist with the documented shapes.
    private const string UsageOfClassifier = """
        namespace TestApp
        {
            /// <summary>Uses the wrapper.</summary>
            public static class Usage
            {
                /// <summary>Calls every part of the API.</summary>
                /// <returns>A label.</returns>
                public static string Go()
                {
                    using var model = MobilenetV1025Quant.FromFile("model.tflite", new global::ModelBuildTasks.Runtime.SessionOptions { Threads = 2 });
                    var input = new MobilenetV1025Quant.Inputs { Image = new float[MobilenetV1025Quant.Inputs.ImageLength] };
                    var output = model.Predict(in input);
                    model.Run(in input, output);
                    model.SetImageFromPixels(new byte[48]);
                    model.ImageSpan[0] = 3;
                    model.Run();
                    var raw = model.ProbabilitiesSpan;
                    var batch = model.PredictBatch(new[] { input, input });
                    float scale = MobilenetV1025Quant.Outputs.ProbabilitiesScale;
                    long? size = MobilenetV1025Quant.ModelInfo.OptimizedBytes;
                    return output.ProbabilitiesTopK(3)[0].Label + raw.Length + batch.Length + scale + size
                        + MobilenetV1025Quant.Outputs.ProbabilitiesLabels[1] + MobilenetV1025Quant.Inputs.ImageShape[3];
                }
            }
        }
        """;

    [TestMethod]
    [DataRow("face_detection_short_range")]
    [DataRow("selfie_segmentation")]
    [DataRow("hand_landmark_lite")]
    [DataRow("pose_landmark_full")]
    [DataRow("quantized_classifier")]
    [DataRow("tricky_names")]
    [DataRow("signatures")]
    [DataRow("signature_keys")]
    public void WrapperCompilesWithoutWarnings(string card)
    {
        var result = GeneratorHarness.Generate([TestCards.Named(card)]);

        Assert.IsEmpty(result.GeneratorDiagnostics, string.Join("\n", result.GeneratorDiagnostics));
        Assert.HasCount(1, result.Run.GeneratedSources);
        var problems = GeneratorHarness.Problems(result.Compilation);
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void UserCodeCompilesAgainstTheClassifierWrapper()
    {
        var result = GeneratorHarness.Generate([TestCards.Named("quantized_classifier")], "TestApp", UsageOfClassifier);

        var problems = GeneratorHarness.Problems(result.Compilation);
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void AllCorpusCardsTogetherCompileInOneApp()
    {
        var cards = TestCards.CorpusModels.Select(TestCards.Corpus).Append(TestCards.Named("quantized_classifier"));

        var result = GeneratorHarness.Generate(cards);

        Assert.HasCount(5, result.Run.GeneratedSources);
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation));
    }

    [TestMethod]
    public void NothingIsGeneratedWithoutTheRuntimeReference()
    {
        // An app without the runtime would only get a flood of CS0246 errors hiding the cause; emit nothing instead.
        var compilation = GeneratorHarness.CreateCompilation("namespace TestApp { internal static class C { } }")
            .RemoveReferences(GeneratorHarness.References.Where(r => r.Display!.EndsWith("ModelBuildTasks.Runtime.dll", StringComparison.Ordinal)));
        var driver = GeneratorHarness.CreateDriver([TestCards.Named("quantized_classifier")])
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);

        Assert.IsEmpty(driver.GetRunResult().GeneratedTrees);
        Assert.IsEmpty(GeneratorHarness.Problems(output));
    }

    [TestMethod]
    public void GenerateWrapperFalseAndUnmarkedFilesProduceNothing()
    {
        var off = TestCards.QuantizedClassifier();
        off["generateWrapper"] = false;
        var unmarked = CardFile.Of("other", TestCards.QuantizedClassifier()) with { Path = "/app/other.json", Marked = false };

        var result = GeneratorHarness.Generate([CardFile.Of("off", off), unmarked]);

        Assert.IsEmpty(result.Run.GeneratedSources);
    }

    [TestMethod]
    public void NamespaceComesFromCardElseRootNamespaceElseGlobal()
    {
        var withNamespace = TestCards.QuantizedClassifier();
        withNamespace["namespace"] = "Vision.Models";
        withNamespace["className"] = "Classifier";
        var fromRoot = TestCards.QuantizedClassifier();

        var a = GeneratorHarness.Generate([CardFile.Of("a", withNamespace)], "Root");
        var b = GeneratorHarness.Generate([CardFile.Of("b", fromRoot)], "Root.App");
        var c = GeneratorHarness.Generate([CardFile.Of("c", fromRoot)], null);

        Assert.IsNotNull(a.Compilation.GetTypeByMetadataName("Vision.Models.Classifier"));
        Assert.IsNotNull(b.Compilation.GetTypeByMetadataName("Root.App.MobilenetV1025Quant"));
        Assert.IsNotNull(c.Compilation.GetTypeByMetadataName("MobilenetV1025Quant"));
        Assert.IsEmpty(GeneratorHarness.Problems(c.Compilation));
    }

    [TestMethod]
    public void TwoCardsWithTheSameClassNameDoNotCrashTheGenerator()
    {
        var first = CardFile.Of("one", TestCards.QuantizedClassifier());
        var second = CardFile.Of("two", TestCards.QuantizedClassifier());

        var result = GeneratorHarness.Generate([first, second]);

        // Both sources are added under distinct hint names; the duplicate members are the compiler's clear errors.
        Assert.IsEmpty(result.GeneratorDiagnostics);
        CollectionAssert.AreEquivalent(
            new[] { "TestApp.MobilenetV1025Quant.g.cs", "TestApp.MobilenetV1025Quant_2.g.cs" },
            result.Run.GeneratedSources.Select(s => s.HintName).ToArray());
        Assert.Contains(d => d.Id is "CS0102" or "CS0111" && d.Severity == DiagnosticSeverity.Error, result.Compilation.GetDiagnostics());
    }

    [TestMethod]
    public void DeployNoneHasNoCreateButCanOpenFiles()
    {
        var card = TestCards.QuantizedClassifier();
        card["deploy"] = "none";
        card["deployedFile"] = null;

        var result = GeneratorHarness.Generate([CardFile.Of("none", card)]);
        var type = result.Compilation.GetTypeByMetadataName("TestApp.MobilenetV1025Quant")!;

        Assert.IsEmpty(type.GetMembers("Create"));
        Assert.IsEmpty(type.GetMembers("CreateAsync"));
        Assert.HasCount(1, type.GetMembers("FromFile"));
        var problems = GeneratorHarness.Problems(result.Compilation);
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void CardWithoutSignaturesOrOnlyOnAnotherSubgraphCompiles()
    {
        // A signature on another subgraph is the default when subgraph 0 has none: the wrapper opens it by key.
        var other = TestCards.QuantizedClassifier();
        other["signatures"]![0]!["subgraph"] = 1;
        var none = TestCards.QuantizedClassifier();
        none["name"] = "empty";
        none["signatures"] = new System.Text.Json.Nodes.JsonArray();

        var result = GeneratorHarness.Generate([CardFile.Of("other", other), CardFile.Of("none", none)]);

        Assert.HasCount(2, result.Run.GeneratedSources);
        Assert.HasCount(1, result.Compilation.GetTypeByMetadataName("TestApp.MobilenetV1025Quant")!.GetTypeMembers("Inputs"));
        StringAssert.Contains(result.Source("TestApp.MobilenetV1025Quant.g.cs"), "var entry = SignatureOf(model, \"serving_default\");");
        Assert.IsEmpty(result.Compilation.GetTypeByMetadataName("TestApp.Empty")!.GetTypeMembers("Inputs"));
        Assert.IsNotNull(result.Compilation.GetTypeByMetadataName("TestApp.Empty+ModelInfo"));
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation));
    }
}
