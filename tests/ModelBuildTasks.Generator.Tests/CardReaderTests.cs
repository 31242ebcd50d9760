using ModelBuildTasks.Generator.Cards;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>The hand-written JSON reader and card reader: escapes, numbers, and precise errors instead of exceptions.</summary>
[TestClass]
public sealed class CardReaderTests
{
    private const string Tensor = "{ \"name\": \"x\", \"type\": \"FLOAT32\", \"shape\": [1, 2] }";

    private static CardReadResult Read(string body) =>
        ModelCardReader.Read("/c.json", "{ \"formatVersion\": 1, \"name\": \"m\"" + body + " }");

    [TestMethod]
    public void EscapesAndUnicodeInStrings()
    {
        var result = Read(", \"className\": \"A\\u00e9\\\"\\\\\\/\\n\\t\"");

        Assert.IsNull(result.Error);
        Assert.AreEqual("Aé\"\\/\n\t", result.Card!.ClassName);
    }

    [TestMethod]
    public void NumbersWithExponentsAndDefaults()
    {
        var result = Read(", \"metrics\": { \"minCosine\": 9.991e-1, \"accuracyDrop\": -0.0, \"samples\": 32 }, \"budgets\": { \"maxSize\": 2E6 }");

        Assert.IsNull(result.Error);
        var card = result.Card!;
        Assert.AreEqual(0.9991, card.Metrics!.MinCosine);
        Assert.AreEqual(32, card.Metrics.Samples);
        Assert.AreEqual(2_000_000L, card.Budgets.MaxSize);
        Assert.AreEqual("error", card.Budgets.Severity);
        Assert.IsTrue(card.GenerateWrapper, "generateWrapper defaults to true");
        Assert.AreEqual("copy", card.Deploy);
    }

    [TestMethod]
    public void TensorTypeIsCaseInsensitiveAndUnknownPropertiesAreIgnored()
    {
        var result = Read($", \"futureField\": {{ \"a\": [1, {{}}] }}, \"signatures\": [ {{ \"key\": \"s\", \"inputs\": [ {Tensor} ] }} ]");

        Assert.IsNull(result.Error);
        var input = result.Card!.Signatures[0].Inputs[0];
        Assert.AreEqual("float32", input.Type);
        CollectionAssert.AreEqual(new[] { 1, 2 }, input.Shape.ToArray());
    }

    [TestMethod]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\", }", "invalid JSON at line 1, column 36: expected a property name")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\" } x", "invalid JSON at line 1, column 37: unexpected text after the JSON value")]
    [DataRow("{ \"formatVersion\": 1,\n \"name\": 'm' }", "invalid JSON at line 2, column 10: unexpected character")]
    [DataRow("{ \"formatVersion\": 1.5, \"name\": \"m\" }", "'formatVersion' must be a 32-bit integer")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\", \"budgets\": { \"severity\": \"fatal\" } }", "'budgets.severity' is 'fatal'; expected error or warning")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\", \"signatures\": [ { \"inputs\": [ { \"name\": \"x\", \"type\": \"float32\", \"shape\": [1, -1] } ] } ] }",
        "'signatures[0].inputs[0].shape' has a negative dimension")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\", \"signatures\": [ { \"inputs\": [ { \"name\": \"x\", \"type\": \"float32\", \"shape\": [1], \"shapeSignature\": [-1, 1] } ] } ] }",
        "'signatures[0].inputs[0].shapeSignature' has 2 dimensions but shape has 1")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\", \"signatures\": [ { \"inputs\": [ { \"name\": \"x\", \"type\": \"uint8\", \"shape\": [1], \"normalization\": { \"mean\": [0], \"std\": [0] } } ] } ] }",
        "'signatures[0].inputs[0].normalization.std' contains 0")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\", \"signatures\": [ { \"inputs\": [ { \"name\": \"x\", \"type\": \"int8\", \"shape\": [1], \"quantization\": { \"scale\": [0.1, 0.2], \"zeroPoint\": [0] } } ] } ] }",
        "'signatures[0].inputs[0].quantization' has 2 scales but 1 zero points")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\\u", "invalid JSON at line 1, column 33: bad \\u escape")]
    public void MalformedCardsGiveAPreciseError(string text, string expected)
    {
        var result = ModelCardReader.Read("/c.json", text);

        Assert.IsNull(result.Card);
        StringAssert.StartsWith(result.Error, expected);
    }
}
