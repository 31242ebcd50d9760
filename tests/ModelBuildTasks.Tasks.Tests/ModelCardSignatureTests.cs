using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Metadata;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Tasks.Tests;

/// <summary>The card lists every signature of a multi-signature model, each with its subgraph, names and order.</summary>
[TestClass]
public sealed class ModelCardSignatureTests
{
    [TestMethod]
    public void EverySignatureIsListedWithItsSubgraphNamesAndOrder()
    {
        var signatures = ModelDescriber.Signatures(SignatureModels.TwoSubgraphs("serving_default", "encode-v2", thirdKey: "class"));

        CollectionAssert.AreEqual(new[] { "serving_default", "encode-v2", "class" }, signatures.Select(s => s.Key).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 0 }, signatures.Select(s => s.Subgraph).ToArray());

        var encode = signatures[1];
        Assert.AreEqual("value", encode.Inputs.Single().SignatureName);
        Assert.AreEqual("mul/value:0", encode.Inputs.Single().Name);
        Assert.AreEqual(0, encode.Inputs.Single().Index, "index within subgraph 1");
        CollectionAssert.AreEqual(new[] { 2, 3 }, encode.Inputs.Single().Shape.ToArray());
        CollectionAssert.AreEqual(new[] { "scaled", "doubled" }, encode.Outputs.Select(o => o.SignatureName).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 3 }, encode.Outputs.Select(o => o.Index).ToArray());

        // Signature order, not subgraph order.
        CollectionAssert.AreEqual(new[] { "right", "left" }, signatures[2].Inputs.Select(i => i.SignatureName).ToArray());
        CollectionAssert.AreEqual(new[] { "add/y:0", "add/x:0" }, signatures[2].Inputs.Select(i => i.Name).ToArray());
    }

    [TestMethod]
    public void TfLiteMetadataDescribesOnlyTheMainSubgraph()
    {
        // TFLite metadata lists subgraph 0's inputs and outputs by position: subgraph 1's first input is not "image".
        var model = SignatureModels.TwoSubgraphs();
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, TfLiteMetadata.Write(new ModelMetadataInfo(
            "Adder", null, null, null, null,
            [new TensorMetadataInfo("x", null, "image", [1f], [2f], null, null, null, null),
             new TensorMetadataInfo("y", null, "feature", null, null, null, null, null, null)],
            [new TensorMetadataInfo("sum", null, "feature", null, null, null, null, null, null)],
            []))));

        var signatures = ModelDescriber.Signatures(model);

        Assert.AreEqual("image", signatures[0].Inputs[0].Content);
        Assert.IsNotNull(signatures[0].Inputs[0].Normalization);
        Assert.IsNull(signatures[1].Inputs[0].Content);
        Assert.IsNull(signatures[1].Inputs[0].Normalization);
        Assert.IsTrue(signatures[1].Outputs.All(o => o.Content is null));
    }

    [TestMethod]
    public void CardJsonCarriesEverySignature()
    {
        var card = new ModelCard
        {
            Name = "two_signatures",
            Signatures = ModelDescriber.Signatures(SignatureModels.TwoSubgraphs("serving_default", "encode-v2")),
        };

        var json = Encoding.UTF8.GetString(ModelCardJson.ToBytes(card));

        StringAssert.Contains(json, "\"key\": \"serving_default\"");
        StringAssert.Contains(json, "\"key\": \"encode-v2\"");
        StringAssert.Contains(json, "\"subgraph\": 1");
        StringAssert.Contains(json, "\"signatureName\": \"doubled\"");
    }
}
