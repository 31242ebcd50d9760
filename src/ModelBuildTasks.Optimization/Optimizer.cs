using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.DynamicRange;
using ModelBuildTasks.Optimization.Float16Weights;
using ModelBuildTasks.Optimization.Float32Weights;
using ModelBuildTasks.Optimization.FullInteger;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Sparsity;
using ModelBuildTasks.Optimization.Targets;

namespace ModelBuildTasks.Optimization;

/// <summary>What an optimization is doing, for progress bars (calibration passes over the data).</summary>
/// <param name="Stage">e.g. <c>calibration</c>.</param>
/// <param name="Done">Samples (or steps) done.</param>
/// <param name="Total">Samples (or steps) in all, when known.</param>
public readonly record struct OptimizationProgress(string Stage, int Done, int? Total);

/// <summary>
/// The engine's entry point for every front end (CLI, MSBuild task): applies the passes that
/// <see cref="OptimizationOptions"/> asks for to a model and returns a new model. The input is never modified.
/// Every quantizing optimization first dequantizes the weights to float32 (real models ship float16), then
/// quantizes from there; the target's constraints are checked last.
/// With pruning or clustering the order is: dequantize to float32 (unless <see cref="Optimization.None"/>, which keeps
/// the storage type) → prune → cluster → the optimization's pass (clustered weights quantized cluster-preserving) →
/// sparse encoding of the pruned weights.
/// </summary>
public static class Optimizer
{
    /// <summary>Optimizes <paramref name="model"/>.</summary>
    /// <param name="model">The model to optimize (left unchanged).</param>
    /// <param name="options">What to do.</param>
    /// <param name="representativeData">Calibration samples; required by full-integer schemes.</param>
    /// <param name="progress">Receives calibration progress.</param>
    /// <param name="cancellationToken">Stops the work promptly.</param>
    public static OptimizationResult Optimize(
        ModelGraph model,
        OptimizationOptions options,
        ISampleSource? representativeData = null,
        IProgress<OptimizationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        Validate(options);
        var graph = ModelCloner.Clone(model);
        var changes = new List<OptimizationChange>();
        var keepFloat = (Operator op) => QuantizationRule.Resolve(options.Rules, op) == QuantizationScheme.None;
        FullIntegerSummary? fullInteger = null;
        IReadOnlyList<PrunedTensor> pruned = [];
        IReadOnlyList<ClusteredTensor> clusteredTensors = [];
        ClusteredWeights? clustered = null;
        if (options.Pruning is not null || options.Clustering is not null)
        {
            if (options.Optimization != Optimization.None)
            {
                // Prune and cluster the float32 values: float16 weights come back exactly, and the quantizers see
                // the zeros and centroids they must preserve.
                Float32Pass.Run(graph, densifySparse: true, changes, cancellationToken);
            }
            if (options.Pruning is not null)
            {
                var result = MagnitudePruner.Prune(graph, options.Pruning);
                graph = result.Model;
                pruned = result.Tensors;
                changes.AddRange(result.Changes);
                cancellationToken.ThrowIfCancellationRequested();
            }
            if (options.Clustering is not null)
            {
                var result = WeightClusterer.Cluster(graph, options.Clustering);
                graph = result.Model;
                clusteredTensors = result.Tensors;
                clustered = new ClusteredWeights(graph, result.Tensors);
                changes.AddRange(result.Changes);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        switch (options.Optimization)
        {
            case Optimization.None:
                break;
            case Optimization.Float32:
                Float32Pass.Run(graph, options.DensifySparseWeights, changes, cancellationToken);
                break;
            case Optimization.Float16:
                Float16Pass.Run(graph, changes, keepFloat, cancellationToken);
                break;
            case Optimization.Dynamic:
                Float32Pass.Run(graph, densifySparse: true, changes, cancellationToken);
                DynamicRangePass.Run(graph, options, keepFloat, changes, cancellationToken, clustered);
                break;
            case Optimization.Int8 or Optimization.Int16x8:
                Float32Pass.Run(graph, densifySparse: true, changes, cancellationToken);
                fullInteger = FullIntegerPass.Run(graph, options, representativeData, progress, changes, cancellationToken, clustered);
                break;
            default:
                throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"optimization '{options.Optimization}' is not known");
        }
        IReadOnlyList<EncodedTensor> encoded = [];
        if (options.Pruning is not null)
        {
            // Last, so it sees the final storage type (int8 stays dense: see SparseEncodingOptions.StoreInt8Sparse).
            var result = SparseEncoder.Encode(graph);
            graph = result.Model;
            encoded = result.Tensors;
            changes.AddRange(result.Changes);
        }
        var violations = TargetCheck.Check(graph, options);
        if (violations.Any(v => v.IsError))
        {
            throw new OptimizationException(OptimizationErrorCodes.TargetViolation,
                $"the {options.Optimization.ToString().ToLowerInvariant()} model breaks constraints of target " +
                $"'{options.Target.ToString().ToLowerInvariant()}': " + string.Join("; ", violations.Where(v => v.IsError).Select(v => v.Message)));
        }
        return new OptimizationResult(graph, options, changes, violations, fullInteger)
        {
            PrunedTensors = pruned,
            ClusteredTensors = clusteredTensors,
            EncodedTensors = encoded,
        };
    }

    private static void Validate(OptimizationOptions o)
    {
        // Before any work, so a bad sparsity or cluster count fails fast (MBT2100).
        o.Pruning?.Validate();
        o.Clustering?.Validate();
        string? problem = null;
        if (o.DynamicRangeMinElements < 0)
        {
            problem = $"DynamicRangeMinElements must not be negative (got {o.DynamicRangeMinElements})";
        }
        else if (o.MovingAverageMomentum is < 0 or >= 1 || double.IsNaN(o.MovingAverageMomentum))
        {
            problem = $"MovingAverageMomentum must be in [0, 1) (got {o.MovingAverageMomentum})";
        }
        else if (o.CalibrationPercentile is <= 50 or > 100 || double.IsNaN(o.CalibrationPercentile))
        {
            problem = $"CalibrationPercentile must be in (50, 100] (got {o.CalibrationPercentile})";
        }
        else if (o.MaxCalibrationSamples < 0)
        {
            problem = $"MaxCalibrationSamples must not be negative (got {o.MaxCalibrationSamples})";
        }
        else if (o.Optimization == Optimization.Int8 && (o.InputType == ModelIoType.Int16 || o.OutputType == ModelIoType.Int16))
        {
            problem = "int16 inputs/outputs need --optimization int16x8";
        }
        else if (o.Optimization == Optimization.Int16x8 && (o.InputType is ModelIoType.Int8 or ModelIoType.UInt8 || o.OutputType is ModelIoType.Int8 or ModelIoType.UInt8))
        {
            problem = "a 16x8 model's inputs and outputs are float32 or int16, not int8/uint8";
        }
        else if (o.Optimization is not (Optimization.Int8 or Optimization.Int16x8) && (o.InputType is not null and not ModelIoType.Float32 || o.OutputType is not null and not ModelIoType.Float32))
        {
            problem = $"integer inputs/outputs need a full-integer optimization (int8 or int16x8), not {o.Optimization.ToString().ToLowerInvariant()}";
        }
        if (problem is not null)
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, problem);
        }
    }
}
