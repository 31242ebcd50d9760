namespace ModelBuildTasks.TestSupport;

/// <summary>Measures what code allocates on the calling thread.</summary>
public static class Allocations
{
    /// <summary>
    /// The fewest bytes <paramref name="action"/> allocates in any of <paramref name="attempts"/> calls (after one
    /// warm-up call). Code that allocates does so on every call, while one-off runtime work (JIT tiering, type loading
    /// under load) may land in any single call: the minimum tells them apart.
    /// </summary>
    public static long Fewest(Action action, int attempts = 5)
    {
        action();
        var fewest = long.MaxValue;
        for (var i = 0; i < attempts; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            action();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
