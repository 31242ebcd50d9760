using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests;

[TestClass]
public sealed class RoundTripTests
{
    [TestMethod]
    [DynamicData(nameof(CorpusModels.Names), typeof(CorpusModels))]
    public void ReadWriteReadGivesAnEqualModel(string name)
    {
        var original = ModelReader.ReadFile(Corpus.GetPath(name));
        foreach (var placement in new[] { BufferPlacement.Inline, BufferPlacement.External })
        {
            var bytes = ModelWriter.ToBytes(original, placement);
            var reread = ModelReader.Read(bytes);
            Assert.IsNull(ModelComparer.FirstDifference(original, reread), $"{name} ({placement})");
            // Writing what we read gives the very same bytes: the writer is deterministic and stable.
            CollectionAssert.AreEqual(bytes, ModelWriter.ToBytes(reread, placement), $"{name} ({placement}) second write");
        }
    }

    [TestMethod]
    [DynamicData(nameof(CorpusModels.Names), typeof(CorpusModels))]
    public void RewrittenModelRunsInLiteRtWithIdenticalOutputs(string name)
    {
        var path = Corpus.GetPath(name);
        using var temp = new TempFolder();
        var inline = temp.File($"{name}.inline.tflite");
        var external = temp.File($"{name}.external.tflite");
        var model = ModelReader.ReadFile(path);
        ModelWriter.WriteFile(model, inline, BufferPlacement.Inline);
        ModelWriter.WriteFile(model, external, BufferPlacement.External);

        var expected = Oracle.RunSeeded(path, seed: 11);
        foreach (var candidate in new[] { inline, external })
        {
            var actual = Oracle.RunSeeded(candidate, seed: 11);
            Assert.HasCount(expected.Outputs.Count, actual.Outputs);
            for (var i = 0; i < expected.Outputs.Count; i++)
            {
                Assert.AreEqual(expected.Outputs[i].Name, actual.Outputs[i].Name);
                CollectionAssert.AreEqual(expected.Outputs[i].Data, actual.Outputs[i].Data,
                    $"{Path.GetFileName(candidate)} output {expected.Outputs[i].Name} differs from the original's");
            }
        }
    }

    [TestMethod]
    public void WeightsAreSlicesOfTheFileNotCopies()
    {
        var bytes = File.ReadAllBytes(Corpus.GetPath("hand_landmark_lite"));
        var model = ModelReader.Read(bytes);
        var constants = model.AllTensors().Where(t => t.IsConstant).ToList();
        Assert.IsNotEmpty(constants);
        foreach (var tensor in constants)
        {
            Assert.IsTrue(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(tensor.Data, out var segment));
            Assert.AreSame(bytes, segment.Array, $"tensor {tensor} data was copied");
        }
    }

    [TestMethod]
    public void SparseTensorsDensifyOpsAndMetadataSurvive()
    {
        var model = ModelReader.ReadFile(Corpus.GetPath("face_detection_full_range_sparse"));
        var sparse = model.AllTensors().Count(t => t.Sparsity is not null);
        Assert.AreEqual(46, sparse);
        var reread = ModelReader.Read(ModelWriter.ToBytes(model));
        Assert.AreEqual(sparse, reread.AllTensors().Count(t => t.Sparsity is not null));
        Assert.AreEqual(model.AllOperators().Count(o => o.Operator.Code.Builtin == Schema.BuiltinOperator.DENSIFY),
            reread.AllOperators().Count(o => o.Operator.Code.Builtin == Schema.BuiltinOperator.DENSIFY));
        Assert.AreEqual("min_runtime_version", reread.Metadata.Single().Name);
    }

    [TestMethod]
    public void CustomOpAndItsOptionsSurvive()
    {
        var model = ModelReader.ReadFile(Corpus.GetPath("selfie_segmentation"));
        var custom = model.AllOperators().Select(o => o.Operator).Where(o => o.Code.IsCustom).ToList();
        Assert.IsNotEmpty(custom);
        Assert.IsTrue(custom.All(o => o.Code.CustomCode == "Convolution2DTransposeBias"));
        var reread = ModelReader.Read(ModelWriter.ToBytes(model));
        var again = reread.AllOperators().Select(o => o.Operator).Where(o => o.Code.IsCustom).ToList();
        Assert.HasCount(custom.Count, again);
        for (var i = 0; i < custom.Count; i++)
        {
            Assert.AreEqual(custom[i].Code, again[i].Code);
            CollectionAssert.AreEqual(custom[i].CustomOptions.ToArray(), again[i].CustomOptions.ToArray());
        }
    }

    [TestMethod]
    public void AtomicWriteReplacesTheFileAndLeavesNoTemporaryFiles()
    {
        using var temp = new TempFolder();
        var target = temp.File("model.tflite");
        File.WriteAllText(target, "old content");
        var model = ModelReader.ReadFile(Corpus.GetPath("face_detection_short_range"));
        ModelWriter.WriteFile(model, target);
        Assert.IsNull(ModelComparer.FirstDifference(model, ModelReader.ReadFile(target)));
        CollectionAssert.AreEqual(new[] { "model.tflite" }, Directory.GetFiles(temp.Path).Select(Path.GetFileName).ToArray());
    }
}
