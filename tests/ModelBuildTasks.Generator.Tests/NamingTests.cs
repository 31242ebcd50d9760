using Microsoft.CodeAnalysis;
using ModelBuildTasks.Generator.Tests.Harness;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>Names with '-', '/', ':', leading digits, keywords, duplicates and the class's own name become valid, distinct members.</summary>
[TestClass]
public sealed class NamingTests
{
    private static INamedTypeSymbol Wrapper(out Compilation compilation)
    {
        var result = GeneratorHarness.Generate([TestCards.Named("tricky_names")]);
        compilation = result.Compilation;
        return compilation.GetTypeByMetadataName("MyApp.ModelsV2.class.TrickyNames")
            ?? throw new AssertFailedException("wrapper type not found");
    }

    [TestMethod]
    public void TrickyTensorNamesMapToExpectedMembers()
    {
        var input = Wrapper(out var compilation).GetTypeMembers("Inputs").Single();
        var properties = input.GetMembers().OfType<IPropertySymbol>().Where(p => !p.IsStatic).Select(p => p.Name).ToArray();

        // input-1, conv/BiasAdd:0, 1st, class, Input, x, X, xLength, TrickyNames, Run, "", höhe_ü, __, half, mask, fused, 600 chars (cut to 64)
        CollectionAssert.AreEqual(
            new[] { "Input1", "ConvBiasAdd0", "Input1st", "Class", "Input", "X", "X2", "XLength2", "TrickyNames2", "Run2", "Input2", "HöheÜ", "Input3", "Half", "Mask", "ModelConv2dBiasAdd", "VeryLongNameVeryLongNameVeryLongNameVeryLongNameVeryLongNameVery" },
            properties);
        Assert.IsEmpty(GeneratorHarness.Problems(compilation));
    }

    [TestMethod]
    public void DuplicateOutputNamesAreNumberedAndUnsupportedTypesSkipped()
    {
        var wrapper = Wrapper(out _);
        var output = wrapper.GetTypeMembers("Outputs").Single();
        var arrays = output.GetMembers().OfType<IPropertySymbol>().Where(p => !p.IsStatic).Select(p => $"{p.Name}:{p.Type.ToDisplayString()}").ToArray();

        CollectionAssert.AreEqual(new[] { "Identity:float[]", "Identity2:long[]", "Output:float[]", "X3:float[]" }, arrays);
        Assert.IsFalse(wrapper.GetTypeMembers("Inputs").Single().GetMembers().Any(m => m.Name.Contains("Text", StringComparison.Ordinal)),
            "the string tensor has no typed member");
        Assert.IsTrue(wrapper.GetMembers("Session").Any(), "skipped tensors stay reachable through Session");
    }

    [TestMethod]
    public void KeywordClassNameIsEscaped()
    {
        var card = TestCards.QuantizedClassifier();
        card["className"] = "event";

        var result = GeneratorHarness.Generate([CardFile.Of("kw", card)]);

        Assert.IsNotNull(result.Compilation.GetTypeByMetadataName("TestApp.event"));
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation));
    }

    [TestMethod]
    [DataRow("Inputs", "InputsModel")]
    [DataRow("Run", "RunModel")]
    [DataRow("ModelInfo", "ModelInfoModel")]
    public void ClassNameEqualToAGeneratedMemberGetsASuffix(string className, string expected)
    {
        var card = TestCards.QuantizedClassifier();
        card["className"] = className;

        var result = GeneratorHarness.Generate([CardFile.Of("c", card)]);

        Assert.IsNotNull(result.Compilation.GetTypeByMetadataName("TestApp." + expected));
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation));
    }

    [TestMethod]
    [DataRow("123-model", "Model123Model")]
    [DataRow("pose_landmark_full", "PoseLandmarkFull")]
    [DataRow("my model (v2).final", "MyModelV2Final")]
    public void ClassNameFromModelName(string modelName, string expected)
    {
        var card = TestCards.QuantizedClassifier();
        card["name"] = modelName;

        var result = GeneratorHarness.Generate([CardFile.Of("n", card)]);

        Assert.IsNotNull(result.Compilation.GetTypeByMetadataName("TestApp." + expected),
            string.Join(", ", result.Run.GeneratedSources.Select(s => s.HintName)));
    }
}
