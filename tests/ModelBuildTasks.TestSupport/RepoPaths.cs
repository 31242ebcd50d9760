namespace ModelBuildTasks.TestSupport;

/// <summary>Well-known folders of the repository checkout.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>
    /// The repository root: the nearest folder at or above <see cref="AppContext.BaseDirectory"/> (then the
    /// current directory) that contains <c>ModelBuildTasks.sln</c>.
    /// </summary>
    public static string Root => LazyRoot.Value;

    /// <summary><c>tests/corpus</c>: the corpus list.</summary>
    public static string CorpusDir => Path.Combine(Root, "tests", "corpus");

    /// <summary>
    /// Where corpus files are cached: <c>MBT_CORPUS_DIR</c> when set, else <c>tests/corpus/.cache</c>.
    /// </summary>
    public static string CorpusCacheDir
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable("MBT_CORPUS_DIR");
            return string.IsNullOrWhiteSpace(overridden)
                ? Path.Combine(CorpusDir, ".cache")
                : Path.GetFullPath(overridden);
        }
    }

    /// <summary><c>tests/oracle</c>: the LiteRT.js harness and its npm lock file.</summary>
    public static string OracleDir => Path.Combine(Root, "tests", "oracle");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ModelBuildTasks.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException(
            $"Cannot find the repository root (a folder with ModelBuildTasks.sln) above '{AppContext.BaseDirectory}' " +
            $"or '{Environment.CurrentDirectory}'.");
    }
}
