namespace ModelBuildTasks.Runtime;

/// <summary>Options of a <see cref="ModelSession"/>.</summary>
public sealed class SessionOptions
{
    /// <summary>
    /// Threads that compute one run, the calling thread included (default 1). Values below 1 mean one per
    /// processor. Results are bit-identical for every thread count: work is split only across independent outputs.
    /// </summary>
    public int Threads { get; init; } = 1;

    internal int EffectiveThreads => Threads < 1 ? Environment.ProcessorCount : Math.Min(Threads, 64);
}
