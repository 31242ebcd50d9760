using System.Text.RegularExpressions;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Metadata;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests.BadInput;

/// <summary>
/// Every file of <c>tests/corpus/malformed</c> (handmade breakages and fuzzer finds) is refused with exactly a
/// ModelFormatException carrying the code its name starts with, without hanging or allocating far beyond its size.
/// </summary>
[TestClass]
public sealed partial class MalformedCorpusTests
{
    private static string Folder => Path.Combine(RepoPaths.CorpusDir, "malformed");

    public static IEnumerable<object[]> Files => Directory.EnumerateFiles(Folder, "*.tflite")
        .Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(name => new object[] { name! });

    [GeneratedRegex(@"^(?:fuzz-)?mbt(\d{4})-")]
    private static partial Regex ExpectedCode();

    [TestMethod]
    [DynamicData(nameof(Files))]
    public void IsRefusedWithItsCode(string name)
    {
        var path = Path.Combine(Folder, name);
        var match = ExpectedCode().Match(name);
        Assert.IsTrue(match.Success, $"{name}: the name must start with the expected code (mbtNNNN- or fuzz-mbtNNNN-)");
        var code = "MBT" + match.Groups[1].Value;

        var length = new FileInfo(path).Length;
        var e = BadInputAssert.Throws(() => Read(path, length, metadata: code == ModelErrorCodes.InvalidMetadata), name);
        Assert.AreEqual(code, e.Code, e.Message);
        Assert.Contains(path, e.Message);
    }

    [TestMethod]
    public void EveryErrorCodeOfTheReaderHasAFile()
    {
        var codes = Files.Select(f => ExpectedCode().Match((string)f[0]).Groups[1].Value).ToHashSet();
        for (var code = 1002; code <= 1011; code++)
        {
            Assert.Contains(code.ToString(), codes, $"no malformed file for MBT{code}");
        }
    }

    /// <summary>Reads the model (and with <paramref name="metadata"/> its TFLite metadata), bounding what it allocates.</summary>
    private static ModelGraph Read(string path, long length, bool metadata)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var model = ModelReader.ReadFile(path);
            if (metadata)
            {
                TfLiteMetadata.Read(model, path);
            }
            return model;
        }
        finally
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.IsLessThan(64 * length + (16 << 20), allocated, $"{path}: allocated {allocated} bytes for a {length}-byte file");
        }
    }
}
