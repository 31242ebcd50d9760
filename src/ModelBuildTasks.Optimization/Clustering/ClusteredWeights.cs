using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Quantization;

namespace ModelBuildTasks.Optimization.Clustering;

/// <summary>
/// The clustered weight constants of one model, handed from <see cref="Optimizer"/> to the quantization passes so they
/// quantize those with <see cref="ClusterPreservingQuantizer"/> (at most N int8 codes) instead of plain per-channel
/// scales, which would turn one centroid into a different code in every channel.
/// </summary>
internal sealed class ClusteredWeights
{
    private readonly Dictionary<Tensor, ClusteredTensor> _byTensor = new(ReferenceEqualityComparer.Instance);

    /// <summary>Maps the clustering report onto the constants of <paramref name="clusteredModel"/> (the model it returned).</summary>
    public ClusteredWeights(ModelGraph clusteredModel, IReadOnlyList<ClusteredTensor> tensors)
    {
        var byName = new Dictionary<string, ClusteredTensor>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            byName.TryAdd(t.Name, t);
        }
        foreach (var weight in WeightLocator.Find(clusteredModel))
        {
            if (byName.TryGetValue(weight.Name, out var clustered))
            {
                _byTensor.TryAdd(weight.Constant, clustered);
            }
        }
    }

    /// <summary>Clustered constants found.</summary>
    public int Count => _byTensor.Count;

    /// <summary>
    /// Quantizes <paramref name="weights"/> (the float32 values of <paramref name="tensor"/>) cluster-preserving, or
    /// returns null when the tensor was not clustered. Per-channel scales along <paramref name="axis"/> are kept only when
    /// the pass wants them and the clusters were made per channel along that same axis; otherwise one scale.
    /// </summary>
    public SymmetricInt8? Quantize(Tensor tensor, ReadOnlySpan<float> weights, bool perTensor, int axis)
    {
        if (!_byTensor.TryGetValue(tensor, out var clustered))
        {
            return null;
        }
        var channelAxis = !perTensor && clustered.PerChannel && clustered.ChannelAxis == axis ? axis : -1;
        return ClusterPreservingQuantizer.Quantize(weights, tensor.Shape, channelAxis);
    }
}
