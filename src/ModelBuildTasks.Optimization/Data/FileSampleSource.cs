namespace ModelBuildTasks.Optimization.Data;

/// <summary>One sample on disk: its id (path relative to the data folder), its files (one per input) and label.</summary>
internal sealed record SampleEntry(string Id, string[] Files, int? Label);

/// <summary>
/// Samples listed up front (file names only) and read one at a time when enumerated, so memory stays bounded by
/// one sample whatever the data set's size.
/// </summary>
internal sealed class FileSampleSource(string description, IReadOnlyList<SampleEntry> entries, Func<SampleEntry, byte[][]> read)
    : ISampleSource
{
    public string Description => description;

    public int? Count => entries.Count;

    public IEnumerable<Sample> Read(CancellationToken cancellationToken = default)
    {
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new Sample(entry.Id, read(entry), entry.Label);
        }
    }
}

/// <summary>A single .npy whose first axis is the sample axis; sample i is read by seeking.</summary>
internal sealed class BatchNpySource(NpyFile npy, InputSpec input, int[]? labels) : ISampleSource
{
    private readonly long count = npy.Shape[0];

    public string Description => npy.Path;

    public int? Count => (int)count;

    public IEnumerable<Sample> Read(CancellationToken cancellationToken = default)
    {
        for (long i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bytes = NpySamples.Read(npy, i * input.ElementCount, input);
            yield return new Sample(i.ToString(System.Globalization.CultureInfo.InvariantCulture), [bytes], labels?[i]);
        }
    }
}
