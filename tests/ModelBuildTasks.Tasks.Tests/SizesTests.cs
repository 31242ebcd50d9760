using ModelBuildTasks.Optimization.ModelCards;

namespace ModelBuildTasks.Tasks.Tests;

[TestClass]
public sealed class SizesTests
{
    [TestMethod]
    [DataRow("2MB", 2_000_000L)]
    [DataRow("1.5MiB", 1_572_864L)]
    [DataRow("1.5 MiB", 1_572_864L)]
    [DataRow("300kb", 300_000L)]
    [DataRow("1KiB", 1024L)]
    [DataRow("1024", 1024L)]
    [DataRow("12B", 12L)]
    [DataRow("1GB", 1_000_000_000L)]
    [DataRow("2GiB", 2_147_483_648L)]
    [DataRow(" 0.5KB ", 500L)]
    public void ParsesSizesPeopleWrite(string text, long expected)
    {
        Assert.IsTrue(Sizes.TryParse(text, out var bytes), text);
        Assert.AreEqual(expected, bytes);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("MB")]
    [DataRow("2XB")]
    [DataRow("-1MB")]
    [DataRow("0.5B")]
    [DataRow("1.5")]
    [DataRow("2 M B")]
    [DataRow("9999999999999GiB")]
    [DataRow("1e3")]
    public void RejectsWhatIsNotASize(string text) => Assert.IsFalse(Sizes.TryParse(text, out _), text);

    [TestMethod]
    public void FormatsForMessages()
    {
        Assert.AreEqual("812 B", Sizes.Format(812));
        Assert.AreEqual("41.3 KB", Sizes.Format(41_300));
        Assert.AreEqual("2.41 MB", Sizes.Format(2_410_000));
    }
}
