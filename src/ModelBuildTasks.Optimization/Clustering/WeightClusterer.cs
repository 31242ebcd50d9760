using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Pruning;

namespace ModelBuildTasks.Optimization.Clustering;

/// <summary>
/// A per-layer override of clustering, matched like <see cref="PruningRule"/>: regular expression on the weight
/// constant's name and/or the reading operator's type; the last matching rule wins, unset values fall back to the
/// global options.
/// </summary>
public sealed record ClusteringRule
{
    /// <summary>Regular expression searched in the weight tensor's name; null matches any.</summary>
    public string? TensorName { get; init; }

    /// <summary>Operator type that reads the weights (<c>CONV_2D</c>, …); null matches any.</summary>
    public string? OpType { get; init; }

    /// <summary>Clusters for matching weights; 0 leaves them untouched. Null keeps the global count.</summary>
    public int? ClusterCount { get; init; }

    /// <summary>Initialization for matching weights; null keeps the global one.</summary>
    public CentroidInitialization? Initialization { get; init; }

    /// <summary>Per-channel clustering for matching weights; null keeps the global setting.</summary>
    public bool? PerChannel { get; init; }

    /// <summary>A rule that leaves matching weights alone.</summary>
    public static ClusteringRule Skip(string? tensorName = null, string? opType = null) =>
        new() { TensorName = tensorName, OpType = opType, ClusterCount = 0 };
}

/// <summary>Weight clustering settings. Immutable; use <c>with</c> to derive variants.</summary>
public sealed record ClusteringOptions
{
    /// <summary>Distinct values per weight tensor (or per output channel) at most; 2..256.</summary>
    public int ClusterCount { get; init; } = 16;

    /// <summary>How the first centroids are chosen.</summary>
    public CentroidInitialization Initialization { get; init; } = CentroidInitialization.KMeansPlusPlus;

    /// <summary>Cluster each output channel on its own (at most N values per channel rather than per tensor).</summary>
    public bool PerChannel { get; init; }

    /// <summary>
    /// Keep exact zeros (from pruning) exactly zero and out of every cluster: the non-zero weights share N − 1
    /// centroids, so the tensor still holds at most N distinct values and its sparsity is unchanged.
    /// </summary>
    public bool PreserveSparsity { get; init; } = true;

    /// <summary>Seed of the random initializations; the output is byte-identical for identical inputs and seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>Weights with fewer elements stay as they are.</summary>
    public int MinElements { get; init; } = PruningOptions.DefaultMinElements;

    /// <summary>Lloyd iterations at most.</summary>
    public int MaxIterations { get; init; } = KMeans1D.DefaultMaxIterations;

    /// <summary>Per-layer overrides; the last matching rule wins.</summary>
    public IReadOnlyList<ClusteringRule> Rules { get; init; } = [];

    /// <summary>
    /// Parses an initialization name as the CLI takes it: <c>linear</c>, <c>kmeans++</c> (or <c>kmeans-plus-plus</c>),
    /// <c>density</c> (or <c>density-based</c>), <c>random</c>; case-insensitive, <c>_</c> and <c>-</c> alike.
    /// </summary>
    /// <exception cref="OptimizationException">Not an initialization (MBT2100).</exception>
    public static CentroidInitialization ParseInitialization(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant().Replace('_', '-') switch
        {
            "linear" => CentroidInitialization.Linear,
            "kmeans++" or "k-means++" or "kmeans-plus-plus" or "kmeansplusplus" => CentroidInitialization.KMeansPlusPlus,
            "density" or "density-based" or "densitybased" => CentroidInitialization.DensityBased,
            "random" => CentroidInitialization.Random,
            _ => throw new OptimizationException(OptimizationErrorCodes.InvalidOptions,
                $"'{text}' is not a centroid initialization (expected linear, kmeans++, density or random)"),
        };
    }

    internal void Validate()
    {
        if (ClusterCount is < 2 or > 256)
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"cluster count {ClusterCount} is outside 2..256");
        }
        if (MinElements < 0 || MaxIterations < 1)
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, "MinElements must be >= 0 and MaxIterations >= 1");
        }
        foreach (var rule in Rules)
        {
            if (rule.ClusterCount is { } n && n != 0 && n is < 2 or > 256)
            {
                throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"rule cluster count {n} is outside 2..256 (0 skips)");
            }
        }
    }
}

/// <summary>What clustering did to one weight tensor.</summary>
/// <param name="Name">The weight constant's name.</param>
/// <param name="OpType">The operator that reads it.</param>
/// <param name="Elements">Its element count.</param>
/// <param name="Clusters">Clusters asked for (per tensor or per channel).</param>
/// <param name="PerChannel">True when each channel was clustered on its own (along <paramref name="ChannelAxis"/>).</param>
/// <param name="ChannelAxis">The output-channel axis (the per-channel quantization axis).</param>
/// <param name="UniqueValuesBefore">Distinct stored values before.</param>
/// <param name="UniqueValuesAfter">Distinct stored values after.</param>
/// <param name="WeightSqnrDb">SQNR of the clustered weights against the original ones, in dB (a per-layer error hint).</param>
public sealed record ClusteredTensor(string Name, string OpType, long Elements, int Clusters, bool PerChannel, int ChannelAxis,
    int UniqueValuesBefore, int UniqueValuesAfter, double WeightSqnrDb);

/// <summary>The clustered model and what was clustered. The input model is never modified.</summary>
/// <param name="Model">The new model.</param>
/// <param name="Tensors">Every clustered weight, in operator order.</param>
/// <param name="Changes">The same as optimizer changes (pass <c>cluster</c>).</param>
public sealed record ClusteringResult(ModelGraph Model, IReadOnlyList<ClusteredTensor> Tensors, IReadOnlyList<OptimizationChange> Changes);

/// <summary>
/// Weight clustering: every weight tensor of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV (float32,
/// float16 or int8 storage, sparse or not) is replaced by at most N shared centroid values found by 1-D k-means, per
/// tensor or per output channel. Fewer distinct values make the file compress far better; the raw size is unchanged
/// until a later step (int8, sparse encoding) takes advantage. float16 centroids are rounded to float16; int8 tensors
/// with per-channel scales are clustered per channel along their quantized dimension, since one real value is a
/// different code in every channel.
/// </summary>
public static class WeightClusterer
{
    /// <summary>Clusters a copy of <paramref name="model"/>.</summary>
    /// <exception cref="OptimizationException">Invalid options (MBT2100) or a weight tensor that cannot be read (MBT2105).</exception>
    public static ClusteringResult Cluster(ModelGraph model, ClusteringOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rules = new RuleMatcher<ClusteringRule>(options.Rules, r => r.TensorName, r => r.OpType);
        var copy = ModelCloner.Clone(model);
        var clustered = new List<ClusteredTensor>();
        var changes = new List<OptimizationChange>();
        foreach (var weight in WeightLocator.Find(copy))
        {
            if (weight.ElementCount < options.MinElements)
            {
                continue;
            }
            var rule = rules.Match(weight.Name, weight.OpType);
            var k = rule?.ClusterCount ?? options.ClusterCount;
            if (k == 0)
            {
                continue;
            }
            WeightLocator.Densify(copy, weight);
            var tensor = weight.Constant;
            var perChannel = rule?.PerChannel ?? options.PerChannel;
            var axis = weight.OutputAxis;
            if (tensor.Type == TensorType.INT8 && tensor.Quantization is { IsPerAxis: true } q)
            {
                perChannel = true;
                axis = q.QuantizedDimension;
            }
            var uniqueBefore = WeightValues.UniqueValues(tensor);
            var values = WeightValues.Read(tensor);
            var original = (float[])values.Clone();
            var seed = options.Seed ^ StableHash(tensor.Name);
            ClusterValues(values, tensor.Shape, perChannel ? axis : -1, k, rule?.Initialization ?? options.Initialization,
                options.PreserveSparsity, seed, options.MaxIterations);
            tensor.Data = WeightValues.Write(tensor, values);
            var uniqueAfter = WeightValues.UniqueValues(tensor);
            var sqnr = MagnitudePruner.SqnrDb(original, WeightValues.Read(tensor));
            clustered.Add(new ClusteredTensor(tensor.Name, weight.OpType, values.Length, k, perChannel, axis, uniqueBefore, uniqueAfter, sqnr));
            changes.Add(new OptimizationChange("cluster", tensor.Name,
                $"{uniqueBefore} -> {uniqueAfter} distinct values ({k} clusters{(perChannel ? " per channel" : "")})",
                tensor.Data.Length, tensor.Data.Length));
        }
        return new ClusteringResult(copy, clustered, changes);
    }

    /// <summary>
    /// Clusters <paramref name="values"/> in place: the whole array (<paramref name="channelAxis"/> −1) or each slice
    /// along <paramref name="channelAxis"/> of <paramref name="shape"/> gets at most <paramref name="k"/> distinct
    /// values. With <paramref name="preserveSparsity"/> zeros stay zero and the rest share k − 1 centroids. NaN stays NaN.
    /// </summary>
    public static void ClusterValues(Span<float> values, ReadOnlySpan<int> shape, int channelAxis, int k,
        CentroidInitialization initialization, bool preserveSparsity, ulong seed, int maxIterations = KMeans1D.DefaultMaxIterations)
    {
        if (channelAxis < 0)
        {
            ClusterGroup(values, k, initialization, preserveSparsity, seed, maxIterations);
            return;
        }
        var channels = shape[channelAxis];
        long inner = 1;
        for (var d = channelAxis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }
        var outer = values.Length / Math.Max(1, channels * inner);
        var group = new float[outer * inner];
        for (var c = 0; c < channels; c++)
        {
            // Gather channel c (blocks of `inner` values, one per outer index), cluster, scatter back.
            for (long o = 0; o < outer; o++)
            {
                values.Slice((int)((o * channels + c) * inner), (int)inner).CopyTo(group.AsSpan((int)(o * inner), (int)inner));
            }
            ClusterGroup(group, k, initialization, preserveSparsity, seed + (ulong)c, maxIterations);
            for (long o = 0; o < outer; o++)
            {
                group.AsSpan((int)(o * inner), (int)inner).CopyTo(values.Slice((int)((o * channels + c) * inner), (int)inner));
            }
        }
    }

    private static void ClusterGroup(Span<float> values, int k, CentroidInitialization initialization, bool preserveSparsity,
        ulong seed, int maxIterations)
    {
        var members = new List<float>(values.Length);
        var hasZero = false;
        foreach (var v in values)
        {
            if (float.IsNaN(v))
            {
                continue;
            }
            if (preserveSparsity && v == 0)
            {
                hasZero = true;
                continue;
            }
            members.Add(v);
        }
        var clusters = hasZero ? k - 1 : k;
        if (members.Count == 0 || clusters < 1)
        {
            return;
        }
        var centroids = KMeans1D.Fit(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(members), clusters, initialization, seed, maxIterations);
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsNaN(v))
            {
                continue;
            }
            // A kept zero is written as +0 so -0 and +0 do not count as two values.
            values[i] = preserveSparsity && v == 0 ? 0f : KMeans1D.Nearest(v, centroids);
        }
    }

    /// <summary>FNV-1a of the name: a per-tensor seed that does not change between processes (string.GetHashCode does).</summary>
    private static ulong StableHash(string name)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            hash = unchecked((hash ^ b) * 1099511628211UL);
        }
        return hash;
    }
}
