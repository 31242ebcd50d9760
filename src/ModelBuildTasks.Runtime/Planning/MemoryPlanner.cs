namespace ModelBuildTasks.Runtime.Planning;

/// <summary>A buffer to place: its size and the first and last execution steps that use it (inclusive).</summary>
public readonly record struct BufferLifetime(long Size, int FirstStep, int LastStep)
{
    public bool Overlaps(BufferLifetime other) => FirstStep <= other.LastStep && other.FirstStep <= LastStep;
}

/// <summary>Where each buffer lives in the arena, and how big the arena is.</summary>
public sealed class MemoryPlan
{
    internal MemoryPlan(long[] offsets, long arenaBytes)
    {
        Offsets = offsets;
        ArenaBytes = arenaBytes;
    }

    /// <summary>Byte offset of each buffer, in the order they were given.</summary>
    public IReadOnlyList<long> Offsets { get; }

    /// <summary>Size of the arena: the peak of simultaneously live activation memory under this placement.</summary>
    public long ArenaBytes { get; }
}

/// <summary>
/// Assigns activation buffers to offsets in one arena so that buffers whose lifetimes overlap never share bytes.
/// Greedy by size: the largest buffers are placed first, each at the lowest aligned offset that does not collide
/// with an already placed buffer that is live at the same time. Big buffers then define the layout and small
/// ones fill the gaps, which gets close to the lower bound (the largest set of simultaneously live buffers) on
/// the feed-forward graphs this runtime sees.
/// </summary>
public static class MemoryPlanner
{
    /// <summary>Alignment of every buffer: a cache line, which also suits 512-bit vector loads.</summary>
    public const int Alignment = 64;

    public static MemoryPlan Plan(IReadOnlyList<BufferLifetime> buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        var order = new int[buffers.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        // Largest first; ties by first use then index, so the plan is deterministic.
        Array.Sort(order, (a, b) =>
        {
            var c = buffers[b].Size.CompareTo(buffers[a].Size);
            if (c == 0)
            {
                c = buffers[a].FirstStep.CompareTo(buffers[b].FirstStep);
            }
            return c != 0 ? c : a.CompareTo(b);
        });

        var offsets = new long[buffers.Count];
        var placed = new List<int>();
        var conflicts = new List<(long Start, long End)>();
        long arena = 0;
        foreach (var i in order)
        {
            var size = AlignUp(Math.Max(buffers[i].Size, 1));
            conflicts.Clear();
            foreach (var j in placed)
            {
                if (buffers[i].Overlaps(buffers[j]))
                {
                    conflicts.Add((offsets[j], offsets[j] + AlignUp(Math.Max(buffers[j].Size, 1))));
                }
            }
            conflicts.Sort((x, y) => x.Start.CompareTo(y.Start));
            long offset = 0;
            foreach (var (start, end) in conflicts)
            {
                if (start - offset >= size)
                {
                    break;
                }
                offset = Math.Max(offset, end);
            }
            offsets[i] = offset;
            arena = Math.Max(arena, offset + size);
            placed.Add(i);
        }
        return new MemoryPlan(offsets, arena);
    }

    internal static long AlignUp(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
