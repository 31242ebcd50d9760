using System.Diagnostics;
using System.Security.Cryptography;

namespace ModelBuildTasks.TestSupport.Tests;

[TestClass]
public sealed class CorpusTests
{
    private static readonly string[] ExpectedModels =
    [
        "face_detection_short_range", "face_detection_full_range", "face_detection_full_range_sparse",
        "hand_landmark_lite", "hand_landmark_full", "pose_landmark_lite", "pose_landmark_full",
        "pose_landmark_heavy", "selfie_segmentation",
    ];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void CorpusListsTheNineModelsAndTenDigits()
    {
        CollectionAssert.AreEquivalent(ExpectedModels, Corpus.Models.Select(m => m.Name).ToArray());
        Assert.IsTrue(Corpus.Models.All(m => m.FileName.EndsWith(".tflite", StringComparison.Ordinal)));
        CollectionAssert.AreEquivalent(
            Enumerable.Range(0, 10).Select(d => $"mnist_{d}").ToArray(),
            Corpus.Entries.Where(e => e.Kind == "mnist").Select(e => e.Name).ToArray());
        Assert.IsTrue(Corpus.Entries.All(e => e.Sha256.Length == 64 && e.Bytes > 0));
    }

    [TestMethod]
    public void EveryEntryFetchesWithTheListedHashAndSize()
    {
        var paths = Corpus.Fetch();
        Assert.HasCount(Corpus.Entries.Count, paths);
        for (var i = 0; i < paths.Count; i++)
        {
            var entry = Corpus.Entries[i];
            var bytes = File.ReadAllBytes(paths[i]);
            Assert.AreEqual(entry.Bytes, bytes.LongLength, entry.Name);
            Assert.AreEqual(entry.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)), entry.Name);
            Assert.AreEqual(entry.FileName, Path.GetFileName(paths[i]));
            if (entry.IsModel)
            {
                // A .tflite is a FlatBuffer with file identifier "TFL3" at offset 4.
                Assert.AreEqual("TFL3", System.Text.Encoding.ASCII.GetString(bytes, 4, 4), entry.Name);
            }
        }
    }

    [TestMethod]
    public void GetPathAcceptsNamesWithOrWithoutExtension()
    {
        var a = Corpus.GetPath("pose_landmark_full");
        var b = Corpus.GetPath("pose_landmark_full.tflite");
        var c = Corpus.GetPath("POSE_LANDMARK_FULL");
        Assert.AreEqual(a, b);
        Assert.AreEqual(a, c);
        Assert.AreEqual(Path.Combine(RepoPaths.CorpusCacheDir, "pose_landmark_full.tflite"), a);
        Assert.IsTrue(File.Exists(a));
    }

    [TestMethod]
    public void UnknownNameIsAnArgumentErrorListingKnownNames()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Corpus.GetPath("no_such_model"));
        StringAssert.Contains(e.Message, "no_such_model");
        StringAssert.Contains(e.Message, "selfie_segmentation");
    }

    [TestMethod]
    public void RepoRootIsTheFolderWithTheSolution()
    {
        Assert.IsTrue(File.Exists(Path.Combine(RepoPaths.Root, "ModelBuildTasks.sln")));
        Assert.IsTrue(File.Exists(Path.Combine(RepoPaths.CorpusDir, "corpus.tsv")));
    }

    [TestMethod]
    public void EmbeddedListMatchesTheFileInTheRepository()
    {
        using var reader = new StreamReader(Path.Combine(RepoPaths.CorpusDir, "corpus.tsv"));
        CollectionAssert.AreEqual(CorpusEntry.Parse(reader).ToList(), Corpus.Entries.ToList());
    }

    // Documented behaviour: GetPath heals a corrupt cache by fetching again; Verify reports it instead.
    [TestMethod]
    [DataRow("flip")]
    [DataRow("truncate")]
    public void CorruptCacheFileIsDetectedAndFetchedAgain(string damage)
    {
        var good = File.ReadAllBytes(Corpus.GetPath("face_detection_short_range"));
        using var dir = new TempFolder();
        var cache = new CorpusCache(dir.Path);
        var path = cache.PathOf(cache.Find("face_detection_short_range"));

        var bad = damage == "flip" ? (byte[])good.Clone() : good[..^100];
        if (damage == "flip")
        {
            bad[bad.Length / 2] ^= 0x40;
        }

        File.WriteAllBytes(path, bad);
        var badSha = Convert.ToHexStringLower(SHA256.HashData(bad));

        var e = Assert.ThrowsExactly<CorpusIntegrityException>(() => cache.Verify("face_detection_short_range"));
        StringAssert.Contains(e.Message, "face_detection_short_range.tflite");
        StringAssert.Contains(e.Message, "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633");
        StringAssert.Contains(e.Message, badSha);
        Assert.AreEqual(badSha, e.ActualSha256);
        Assert.AreEqual(bad.LongLength, e.ActualBytes);

        Assert.AreEqual(path, cache.GetPath("face_detection_short_range"));
        CollectionAssert.AreEqual(good, File.ReadAllBytes(path));
        cache.Verify("face_detection_short_range");
    }

    [TestMethod]
    public void VerifyOfAMissingFileIsFileNotFound()
    {
        using var dir = new TempFolder();
        Assert.ThrowsExactly<FileNotFoundException>(() => new CorpusCache(dir.Path).Verify("selfie_segmentation"));
    }

    [TestMethod]
    public void PackageContentWithAnotherHashThrowsNamingFileAndBothHashes()
    {
        const string wrong = "0000000000000000000000000000000000000000000000000000000000000000";
        const string real = "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27";
        var entry = Corpus.Default.Find("selfie_segmentation") with { Sha256 = wrong };
        using var dir = new TempFolder();
        var cache = new CorpusCache(dir.Path, [entry]);

        var e = Assert.ThrowsExactly<CorpusIntegrityException>(() => cache.GetPath("selfie_segmentation"));
        StringAssert.Contains(e.Message, "selfie_segmentation.tflite");
        StringAssert.Contains(e.Message, wrong);
        StringAssert.Contains(e.Message, real);
        Assert.IsFalse(File.Exists(cache.PathOf(entry)), "a file that failed verification must not land in the cache");
    }

    [TestMethod]
    public void ParallelThreadsAndProcessesFetchingIntoOneEmptyCacheAllGetGoodFiles()
    {
        using var dir = new TempFolder();
        var exe = Path.Combine(AppContext.BaseDirectory, "ModelBuildTasks.TestSupport.dll");
        Assert.IsTrue(File.Exists(exe), exe);

        var processes = Enumerable.Range(0, 3).Select(_ =>
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(exe);
            psi.ArgumentList.Add("fetch");
            psi.ArgumentList.Add("face_detection_short_range");
            psi.ArgumentList.Add("selfie_segmentation");
            psi.Environment["MBT_CORPUS_DIR"] = dir.Path;
            return Process.Start(psi)!;
        }).ToList();

        var cache = new CorpusCache(dir.Path);
        var threads = Enumerable.Range(0, 3)
            .Select(i => Task.Run(() => cache.GetPath(i % 2 == 0 ? "face_detection_full_range" : "selfie_segmentation")))
            .ToArray();
        Task.WaitAll(threads, TestContext.CancellationToken);

        foreach (var p in processes)
        {
            var stderr = p.StandardError.ReadToEnd();
            var stdout = p.StandardOutput.ReadToEnd();
            Assert.IsTrue(p.WaitForExit(TimeSpan.FromMinutes(5)), "fetch process hung");
            Assert.AreEqual(0, p.ExitCode, stderr);
            StringAssert.Contains(stdout, Path.Combine(dir.Path, "selfie_segmentation.tflite"));
            p.Dispose();
        }

        var fresh = new CorpusCache(dir.Path);
        foreach (var name in new[] { "face_detection_short_range", "face_detection_full_range", "selfie_segmentation" })
        {
            fresh.Verify(name);
        }

        Assert.IsEmpty(Directory.GetFiles(Path.Combine(dir.Path, ".tmp"), "*", SearchOption.AllDirectories), "temporary files left behind");
    }
}
