using System.Runtime.InteropServices;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Optimization.Tests.Evaluation;

[TestClass]
public sealed class MnistFixtureTests
{
    [TestMethod]
    public void Classifier_reaches_95_percent_on_held_out_digits_in_our_runtime_and_in_LiteRT()
    {
        var (_, heldOut) = MnistClassifier.Split();
        Assert.IsGreaterThan(1500, heldOut.Count, "about 20 % of the ~10,000 corpus digits are held out");

        // Our runtime, one digit at a time on the batch-1 model.
        using var session = ModelSession.Load(MnistClassifier.GetPath());
        var ours = new int[heldOut.Count];
        var correct = 0;
        for (var i = 0; i < heldOut.Count; i++)
        {
            heldOut.Images[i].CopyTo(session.GetInput<float>(0));
            session.Run();
            ours[i] = ArgMax(session.GetOutput<float>(0));
            correct += ours[i] == heldOut.Labels[i] ? 1 : 0;
        }
        var accuracy = (double)correct / heldOut.Count;
        Assert.IsGreaterThanOrEqualTo(0.95, accuracy, $"managed runtime accuracy {accuracy:P2}");

        // LiteRT, all held-out digits in one run of the same weights with a batch axis.
        var batch = new float[heldOut.Count * MnistLoader.ImageSize];
        for (var i = 0; i < heldOut.Count; i++)
        {
            heldOut.Images[i].CopyTo(batch, i * MnistLoader.ImageSize);
        }
        var result = Oracle.Run(MnistClassifier.GetPath(batch: heldOut.Count), [MemoryMarshal.AsBytes(batch.AsSpan()).ToArray()]);
        var probabilities = result.Outputs[0].AsFloats();
        var oracleCorrect = 0;
        var agree = 0;
        for (var i = 0; i < heldOut.Count; i++)
        {
            var predicted = ArgMax(probabilities.AsSpan(i * 10, 10));
            oracleCorrect += predicted == heldOut.Labels[i] ? 1 : 0;
            agree += predicted == ours[i] ? 1 : 0;
        }
        Assert.IsGreaterThanOrEqualTo(0.95, (double)oracleCorrect / heldOut.Count, "LiteRT accuracy");
        Assert.IsGreaterThanOrEqualTo(heldOut.Count - 2, agree, "LiteRT and the managed runtime pick the same digit");

        // The batch-1 file itself also loads and runs in LiteRT, with our runtime's probabilities.
        var single = Oracle.Run(MnistClassifier.GetPath(), [MemoryMarshal.AsBytes(heldOut.Images[0].AsSpan()).ToArray()]).Outputs[0].AsFloats();
        heldOut.Images[0].CopyTo(session.GetInput<float>(0));
        session.Run();
        var ourProbabilities = session.GetOutput<float>(0);
        for (var k = 0; k < 10; k++)
        {
            Assert.AreEqual(single[k], ourProbabilities[k], 5e-4f, $"class {k}");
        }
    }

    [TestMethod]
    public void Training_is_deterministic_and_the_cache_is_keyed_by_settings()
    {
        var settings = new MnistClassifierSettings(Hidden: 8, Epochs: 1, TrainFraction: 0.05);
        var (train, _) = MnistClassifier.Split(settings);
        var a = MlpTrainer.Train(train.Images, train.Labels, settings);
        var b = MlpTrainer.Train(train.Images, train.Labels, settings);
        CollectionAssert.AreEqual(a.W1, b.W1);
        CollectionAssert.AreEqual(a.W2, b.W2);
        Assert.AreNotEqual(new MnistClassifierSettings().Hash, settings.Hash);
        Assert.AreNotEqual(settings.Hash, (settings with { Seed = 7 }).Hash);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}
