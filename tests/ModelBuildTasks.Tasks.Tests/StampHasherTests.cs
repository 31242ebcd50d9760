using ModelBuildTasks.Tasks.Incremental;
using ModelBuildTasks.Tasks.Settings;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Tasks.Tests;

[TestClass]
public sealed class StampHasherTests
{
    private static ModelItemSettings Settings(TempFolder temp, Dictionary<string, string>? metadata = null)
    {
        var errors = new List<SettingsError>();
        var settings = ModelItemParser.Parse("m.tflite", metadata ?? new(), new Dictionary<string, string>(), temp.Path, errors);
        Assert.IsEmpty(errors);
        return settings!;
    }

    private static string Digest(string stamp) => stamp.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

    [TestMethod]
    public void SameInputsGiveTheSameStampAndEachInputChangesIt()
    {
        using var temp = new TempFolder();
        var model = temp.File("m.tflite", "model bytes v1");
        var data = temp.File("calib/0.npy", "sample 0");
        var metadata = new Dictionary<string, string> { ["Optimization"] = "none", ["RepresentativeData"] = "calib" };
        var first = StampHasher.Compute(Settings(temp, metadata), "tool 1");
        Assert.AreEqual(first, StampHasher.Compute(Settings(temp, metadata), "tool 1"));
        Assert.StartsWith("tool tool 1\n", first);

        var stamps = new List<string> { Digest(first) };
        stamps.Add(Digest(StampHasher.Compute(Settings(temp, metadata), "tool 2")));                      // package version
        stamps.Add(Digest(StampHasher.Compute(Settings(temp, new(metadata) { ["MaxSize"] = "2MB" }), "tool 1"))); // a budget
        File.WriteAllText(model, "model bytes v2");                                                          // model content
        stamps.Add(Digest(StampHasher.Compute(Settings(temp, metadata), "tool 1")));
        temp.File("calib/1.npy", "sample 1");                                                                // a new data file
        stamps.Add(Digest(StampHasher.Compute(Settings(temp, metadata), "tool 1")));
        File.SetLastWriteTimeUtc(data, File.GetLastWriteTimeUtc(data).AddSeconds(5));                        // a touched data file
        stamps.Add(Digest(StampHasher.Compute(Settings(temp, metadata), "tool 1")));
        Assert.HasCount(stamps.Count, stamps.Distinct().ToList());
    }

    [TestMethod]
    public void TouchingTheModelWithoutChangingItKeepsTheStamp()
    {
        using var temp = new TempFolder();
        var model = temp.File("m.tflite", "model bytes");
        var before = StampHasher.Compute(Settings(temp), "tool");
        File.SetLastWriteTimeUtc(model, DateTime.UtcNow.AddMinutes(3));
        Assert.AreEqual(before, StampHasher.Compute(Settings(temp), "tool"));
    }

    [TestMethod]
    public void ModelHashIsTheContentSha256()
    {
        using var temp = new TempFolder();
        var model = temp.File("m.tflite", "abc");
        Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", StampHasher.HashFile(model));
        Assert.AreEqual("missing", StampHasher.HashFile(Path.Combine(temp.Path, "nope")));
    }
}
