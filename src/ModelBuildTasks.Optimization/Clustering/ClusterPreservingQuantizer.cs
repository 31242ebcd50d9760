using ModelBuildTasks.Optimization.Quantization;

namespace ModelBuildTasks.Optimization.Clustering;

/// <summary>
/// Cluster-preserving int8 weight quantization: clustered weights quantized so each cluster keeps one int8 code, and
/// the tensor keeps at most N distinct values. The centroids are quantized (symmetric, the converter's rounding) and
/// every member takes its centroid's code. The only choice that matters is the scale: weights clustered per tensor need
/// ONE scale for the whole tensor (a per-channel scale would turn one centroid into a different code in every channel);
/// weights clustered per channel can keep per-channel scales (at most N codes per channel). Exact zeros stay 0.
/// </summary>
public static class ClusterPreservingQuantizer
{
    /// <summary>Quantizes clustered float32 weights.</summary>
    /// <param name="weights">Clustered weights (row-major).</param>
    /// <param name="shape">Their shape.</param>
    /// <param name="clustering">How they were clustered (from <see cref="ClusteringResult.Tensors"/>).</param>
    public static SymmetricInt8 Quantize(ReadOnlySpan<float> weights, ReadOnlySpan<int> shape, ClusteredTensor clustering)
    {
        ArgumentNullException.ThrowIfNull(clustering);
        return Quantize(weights, shape, clustering.PerChannel ? clustering.ChannelAxis : -1);
    }

    /// <summary>
    /// Quantizes clustered float32 weights with one scale (<paramref name="channelAxis"/> −1, for per-tensor clusters)
    /// or one scale per slice along <paramref name="channelAxis"/> (for per-channel clusters).
    /// </summary>
    public static SymmetricInt8 Quantize(ReadOnlySpan<float> weights, ReadOnlySpan<int> shape, int channelAxis) =>
        // Symmetric quantization maps equal values to equal codes, so "quantize the centroids, map members to them"
        // is exactly quantizing every value with the right (shared) scale.
        channelAxis < 0 ? SymmetricQuantizer.PerTensor(weights) : SymmetricQuantizer.PerChannel(weights, shape, channelAxis);

    /// <summary>Distinct int8 codes in the whole tensor.</summary>
    public static int UniqueCodes(ReadOnlySpan<sbyte> codes)
    {
        Span<bool> seen = stackalloc bool[256];
        var count = 0;
        foreach (var c in codes)
        {
            if (!seen[c + 128])
            {
                seen[c + 128] = true;
                count++;
            }
        }
        return count;
    }
}
