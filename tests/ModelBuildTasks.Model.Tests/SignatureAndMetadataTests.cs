using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests;

/// <summary>No corpus model has signatures or TFLite metadata, so these tests add them and check they survive.</summary>
[TestClass]
public sealed class SignatureAndMetadataTests
{
    private static ModelGraph WithSignatureAndMetadata()
    {
        var model = ModelReader.ReadFile(Corpus.GetPath("face_detection_short_range"));
        var main = model.Main;
        var signature = new SignatureDef("serving_default", main);
        signature.Inputs.Add(new SignatureTensor("image", main.Inputs[0]));
        signature.Outputs.Add(new SignatureTensor("boxes", main.Outputs[0]));
        signature.Outputs.Add(new SignatureTensor("scores", main.Outputs[1]));
        model.Signatures.Add(signature);
        // Any bytes will do: the IR carries TFLITE_METADATA opaquely (parsing it is the model card's job).
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, "M001 metadata stand-in"u8.ToArray()));
        return model;
    }

    [TestMethod]
    public void SignaturesAndMetadataSurviveARoundTrip()
    {
        var model = WithSignatureAndMetadata();
        var reread = ModelReader.Read(ModelWriter.ToBytes(model));
        Assert.IsNull(ModelComparer.FirstDifference(model, reread));
        var signature = reread.Signatures.Single();
        Assert.AreEqual("serving_default", signature.Key);
        Assert.AreSame(reread.Main.Outputs[1], signature.Outputs.Single(o => o.Name == "scores").Tensor);
        CollectionAssert.AreEqual("M001 metadata stand-in"u8.ToArray(), reread.FindMetadata(ModelGraph.TfLiteMetadataName)!.Data.ToArray());
    }

    [TestMethod]
    public void ModelWithSignatureRunsInLiteRt()
    {
        using var temp = new TempFolder();
        var path = temp.File("signed.tflite");
        ModelWriter.WriteFile(WithSignatureAndMetadata(), path);
        var info = Oracle.Info(path);
        Assert.HasCount(1, info.Inputs);
        var expected = Oracle.RunSeeded(Corpus.GetPath("face_detection_short_range"), seed: 5);
        var actual = Oracle.RunSeeded(path, seed: 5);
        Assert.HasCount(expected.Outputs.Count, actual.Outputs);
        foreach (var output in expected.Outputs)
        {
            // LiteRT may list signature outputs by their signature names; match by content size and bytes.
            Assert.IsTrue(actual.Outputs.Any(a => a.Data.AsSpan().SequenceEqual(output.Data)), $"no output equals {output.Name}");
        }
    }
}
