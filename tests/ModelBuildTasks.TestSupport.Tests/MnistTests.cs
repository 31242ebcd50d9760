namespace ModelBuildTasks.TestSupport.Tests;

[TestClass]
public sealed class MnistTests
{
    [TestMethod]
    public void LoadsTenDigitsOfAboutAThousand28x28ImagesInZeroToOne()
    {
        var set = Corpus.Mnist.Load();
        Assert.HasCount(set.Count, set.Labels);
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).ToArray(), set.Labels.Distinct().Order().ToArray());
        for (var d = 0; d < 10; d++)
        {
            var images = set.ImagesOf(d);
            Assert.IsTrue(images.Count is >= 850 and <= 1200, $"digit {d}: {images.Count} images");
            foreach (var img in images)
            {
                Assert.HasCount(784, img);
                Assert.IsTrue(img.All(v => v is >= 0f and <= 1f), $"digit {d}: value outside [0,1]");
            }

            // Real handwriting: some ink, mostly background, ink concentrated in the centre.
            var mean = images.Average(img => (double)img.Average());
            Assert.IsTrue(mean is > 0.05 and < 0.35, $"digit {d}: mean intensity {mean}");
            var border = images.Average(img => Enumerable.Range(0, 28).Average(i => img[i] + img[(27 * 28) + i]) / 2);
            Assert.IsTrue(border < 0.01, $"digit {d}: border intensity {border}");
        }

        Assert.IsTrue(set.Count is > 9000 and < 11000, $"{set.Count} images");
    }

    [TestMethod]
    public void CountLimitTakesTheFirstImagesOfEachDigit()
    {
        var small = Corpus.Mnist.Load(perDigit: 5);
        Assert.AreEqual(50, small.Count);
        CollectionAssert.AreEqual(
            Enumerable.Range(0, 10).SelectMany(d => Enumerable.Repeat(d, 5)).ToArray(),
            small.Labels.ToArray());

        var threes = Corpus.Mnist.LoadDigit(3, max: 7);
        Assert.HasCount(7, threes);
        CollectionAssert.AreEqual(threes[0], small.ImagesOf(3)[0]);
        Assert.HasCount(0, Corpus.Mnist.LoadDigit(1, max: 0));
    }

    [TestMethod]
    public void DigitOutsideZeroToNineIsRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Corpus.Mnist.LoadDigit(10));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Corpus.Mnist.LoadDigit(-1));
    }
}
