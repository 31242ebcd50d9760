using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests;

/// <summary>
/// The labeled check: a classifier trained here on the corpus MNIST digits keeps its accuracy when quantized to int8
/// (within 0.5 points of float32), measured by LiteRT on 2,000 held-out images.
/// </summary>
[TestClass]
public sealed class LabeledAccuracyTests
{
    private const int PerDigit = 1000;
    private const int TestPerDigit = 200;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Int8MnistAccuracyIsWithinHalfAPointOfFloat()
    {
        var mnist = Corpus.Mnist.Load(PerDigit);
        var train = new List<int>();
        var test = new List<int>();
        for (var i = 0; i < mnist.Count; i++)
        {
            var indexInDigit = i - mnist.Labels.Take(i).Count(l => l != mnist.Labels[i]);
            (indexInDigit < PerDigit - TestPerDigit ? train : test).Add(i);
        }
        var weights = MnistClassifier.Train(train.Select(i => mnist.Images[i]).ToList(), train.Select(i => mnist.Labels[i]).ToList());
        var testImages = test.Select(i => mnist.Images[i]).ToList();
        var testLabels = test.Select(i => mnist.Labels[i]).ToList();
        var model = MnistClassifier.ToModel(weights, testImages.Count);

        // Calibrate on training images only: two batches the size of the model's input.
        var calibration = new InMemorySampleSource(
        [
            new Sample("train-a", [MnistClassifier.Batch(train.Where((_, k) => k % 4 == 0).Take(testImages.Count).Select(i => mnist.Images[i]).ToList())]),
            new Sample("train-b", [MnistClassifier.Batch(train.Where((_, k) => k % 4 == 1).Take(testImages.Count).Select(i => mnist.Images[i]).ToList())]),
        ]);
        var int8 = Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Int8), calibration);
        Assert.AreEqual(0, int8.FullInteger!.FloatOperators.Count, string.Join("\n", int8.FullInteger.FloatOperators));

        using var temp = new TempFolder();
        ModelWriter.WriteFile(model, temp.File("float.tflite"));
        ModelWriter.WriteFile(int8.Model, temp.File("int8.tflite"));
        var input = new[] { MnistClassifier.Batch(testImages) };
        var floatAccuracy = MnistClassifier.Accuracy(Oracle.Run(temp.File("float.tflite"), input).Outputs[0].AsFloats(), testLabels);
        var int8Accuracy = MnistClassifier.Accuracy(Oracle.Run(temp.File("int8.tflite"), input).Outputs[0].AsFloats(), testLabels);
        TestContext.WriteLine(FormattableString.Invariant($"MNIST ({testLabels.Count} held-out images): float32 {floatAccuracy:P2}, int8 {int8Accuracy:P2}"));

        Assert.IsTrue(floatAccuracy > 0.85, $"the float classifier is too weak to tell anything ({floatAccuracy:P2})");
        Assert.IsTrue(floatAccuracy - int8Accuracy <= 0.005, $"int8 {int8Accuracy:P2} vs float {floatAccuracy:P2}");
    }
}
