namespace ModelBuildTasks.Optimization.Clustering;

/// <summary>How k-means picks its first centroids (TFMOT's CentroidInitialization).</summary>
public enum CentroidInitialization
{
    /// <summary>Evenly spaced from the smallest to the largest value.</summary>
    Linear,

    /// <summary>k-means++: each next centroid drawn with probability proportional to the squared distance to the nearest one.</summary>
    KMeansPlusPlus,

    /// <summary>At evenly spaced quantiles of the values, so dense regions get more centroids.</summary>
    DensityBased,

    /// <summary>Uniformly random between the smallest and the largest value.</summary>
    Random,
}

/// <summary>
/// One-dimensional k-means (Lloyd's algorithm) on sorted values: in 1-D every cluster is a contiguous run of the
/// sorted values bounded by the midpoints between neighbouring centroids, so an iteration is k binary searches and k
/// prefix-sum differences instead of a pass over all values. Deterministic: the only randomness is a seeded
/// SplitMix64 stream.
/// </summary>
public static class KMeans1D
{
    /// <summary>Iterations Lloyd's algorithm runs at most (it usually stops far earlier, when nothing moves).</summary>
    public const int DefaultMaxIterations = 300;

    /// <summary>
    /// The sorted, distinct centroids of <paramref name="values"/> for at most <paramref name="k"/> clusters. When the
    /// values have at most k distinct values those are the centroids (nothing is lost).
    /// </summary>
    public static float[] Fit(ReadOnlySpan<float> values, int k, CentroidInitialization initialization, ulong seed,
        int maxIterations = DefaultMaxIterations)
    {
        if (k < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(k), "k-means needs at least one cluster");
        }
        if (values.IsEmpty)
        {
            return [];
        }
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var distinct = Distinct(sorted, k + 1);
        if (distinct.Count <= k)
        {
            return [.. distinct];
        }
        var prefix = new double[sorted.Length + 1];
        for (var i = 0; i < sorted.Length; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
        }
        var centroids = Initialize(sorted, k, initialization, new SplitMix64(seed));
        Array.Sort(centroids);
        var next = new float[k];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var start = 0;
            var empty = -1;
            var farthest = 0f;
            var farthestDistance = -1.0;
            for (var j = 0; j < k; j++)
            {
                var end = j == k - 1 ? sorted.Length : UpperBound(sorted, Midpoint(centroids[j], centroids[j + 1]));
                end = Math.Max(end, start);
                if (end == start)
                {
                    next[j] = centroids[j];
                    empty = j;
                    continue;
                }
                next[j] = (float)((prefix[end] - prefix[start]) / (end - start));
                // In 1-D the member farthest from its centroid is one of the run's two ends.
                foreach (var v in (ReadOnlySpan<float>)[sorted[start], sorted[end - 1]])
                {
                    var d = Math.Abs((double)v - next[j]);
                    if (d > farthestDistance)
                    {
                        farthestDistance = d;
                        farthest = v;
                    }
                }
                start = end;
            }
            if (empty >= 0 && farthestDistance > 0)
            {
                // An empty cluster helps nobody: restart it at the worst-served value.
                next[empty] = farthest;
            }
            Array.Sort(next);
            if (next.AsSpan().SequenceEqual(centroids))
            {
                break;
            }
            next.CopyTo(centroids, 0);
        }
        return [.. Distinct(centroids, int.MaxValue)];
    }

    /// <summary>Replaces every value by its nearest centroid (ties to the smaller one); centroids must be sorted.</summary>
    public static void Assign(Span<float> values, ReadOnlySpan<float> centroids)
    {
        if (centroids.IsEmpty)
        {
            return;
        }
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Nearest(values[i], centroids);
        }
    }

    /// <summary>The centroid nearest to <paramref name="v"/> (sorted centroids; ties to the smaller).</summary>
    public static float Nearest(float v, ReadOnlySpan<float> centroids)
    {
        int lo = 0, hi = centroids.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (v > Midpoint(centroids[mid], centroids[mid + 1]))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return centroids[lo];
    }

    private static float Midpoint(float a, float b) => (float)(((double)a + b) / 2);

    private static float[] Initialize(float[] sorted, int k, CentroidInitialization initialization, SplitMix64 random)
    {
        var min = sorted[0];
        var max = sorted[^1];
        var c = new float[k];
        switch (initialization)
        {
            case CentroidInitialization.Linear:
                for (var j = 0; j < k; j++)
                {
                    c[j] = (float)(min + ((double)max - min) * (k == 1 ? 0.5 : (double)j / (k - 1)));
                }
                break;
            case CentroidInitialization.DensityBased:
                for (var j = 0; j < k; j++)
                {
                    c[j] = sorted[(int)((j + 0.5) * sorted.Length / k)];
                }
                break;
            case CentroidInitialization.Random:
                for (var j = 0; j < k; j++)
                {
                    c[j] = (float)(min + ((double)max - min) * random.NextDouble());
                }
                break;
            default:
                KMeansPlusPlus(sorted, c, random);
                break;
        }
        return c;
    }

    private static void KMeansPlusPlus(float[] sorted, float[] centroids, SplitMix64 random)
    {
        var distance = new double[sorted.Length];
        centroids[0] = sorted[(int)(random.NextDouble() * sorted.Length)];
        double total = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            var d = (double)sorted[i] - centroids[0];
            distance[i] = d * d;
            total += distance[i];
        }
        for (var j = 1; j < centroids.Length; j++)
        {
            var pick = sorted.Length - 1;
            if (total > 0)
            {
                var target = random.NextDouble() * total;
                double running = 0;
                for (var i = 0; i < sorted.Length; i++)
                {
                    running += distance[i];
                    if (running > target)
                    {
                        pick = i;
                        break;
                    }
                }
            }
            centroids[j] = sorted[pick];
            total = 0;
            for (var i = 0; i < sorted.Length; i++)
            {
                var d = (double)sorted[i] - centroids[j];
                distance[i] = Math.Min(distance[i], d * d);
                total += distance[i];
            }
        }
    }

    /// <summary>Index of the first sorted value greater than <paramref name="bound"/>.</summary>
    private static int UpperBound(float[] sorted, float bound)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] <= bound)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Distinct values of a sorted array, stopping once <paramref name="limit"/> are found.</summary>
    private static List<float> Distinct(float[] sorted, int limit)
    {
        var result = new List<float>();
        foreach (var v in sorted)
        {
            if (result.Count == 0 || result[^1] != v)
            {
                result.Add(v);
                if (result.Count >= limit)
                {
                    break;
                }
            }
        }
        return result;
    }

    /// <summary>SplitMix64: a tiny, well-mixed generator whose output depends only on the seed (never on the .NET version).</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong state = seed;

        public double NextDouble()
        {
            unchecked
            {
                state += 0x9E3779B97F4A7C15UL;
                var z = state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                z ^= z >> 31;
                return (z >> 11) * (1.0 / (1UL << 53));
            }
        }
    }
}
