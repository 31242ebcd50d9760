namespace ModelBuildTasks.Runtime;

/// <summary>Options of a <see cref="ModelSession"/>.</summary>
public sealed class SessionOptions
{
    /// <summary>
    /// Threads that compute one run, the calling thread included (default 1). Values below 1 mean one per
    /// processor. Results are bit-identical for every thread count: work is split only across independent outputs.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// The signature the session runs (its key, e.g. "serving_default"); null (the default) runs the entry point the
    /// session is created on. Unknown keys fail with MBT2008, naming the keys the model has.
    /// </summary>
    public string? Signature { get; init; }

    /// <summary>
    /// The subgraph the session runs, by index, under its tensor names; null (the default) runs the entry point the
    /// session is created on. Only subgraph 0 and those of signatures are prepared at load.
    /// </summary>
    public int? Subgraph { get; init; }

    internal int EffectiveThreads => Threads < 1 ? Environment.ProcessorCount : Math.Min(Threads, 64);
}
