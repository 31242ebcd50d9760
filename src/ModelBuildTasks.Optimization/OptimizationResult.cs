using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization;

/// <summary>One change a pass made, for reports and the CLI.</summary>
/// <param name="Pass">The pass that made it: <c>float32</c>, <c>float16</c> or <c>dynamic</c>.</param>
/// <param name="Tensor">The name of the constant tensor that changed (as the model names it).</param>
/// <param name="Action">What happened, e.g. <c>float32 -> float16 + DEQUANTIZE</c>.</param>
/// <param name="BytesBefore">Constant bytes the tensor held before.</param>
/// <param name="BytesAfter">Constant bytes it holds after.</param>
public sealed record OptimizationChange(string Pass, string Tensor, string Action, long BytesBefore, long BytesAfter)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Pass}: '{Tensor}' {Action} ({BytesBefore} -> {BytesAfter} bytes)";
}

/// <summary>What full-integer quantization did.</summary>
/// <param name="Samples">Representative samples calibration ran.</param>
/// <param name="Method">The calibration method.</param>
/// <param name="QuantizedOperators">Operators that run on integers.</param>
/// <param name="FloatOperators">Operators left float (no integer kernel, or a rule said <c>none</c>), as "index TYPE 'output name'".</param>
public sealed record FullIntegerSummary(int Samples, CalibrationMethod Method, int QuantizedOperators, IReadOnlyList<string> FloatOperators);

/// <summary>The optimized model and what was done to it. The input model is never modified.</summary>
public sealed class OptimizationResult
{
    internal OptimizationResult(ModelGraph model, OptimizationOptions options, IReadOnlyList<OptimizationChange> changes,
        IReadOnlyList<Targets.TargetViolation>? warnings = null, FullIntegerSummary? fullInteger = null)
    {
        Model = model;
        Options = options;
        Changes = changes;
        Warnings = warnings ?? [];
        FullInteger = fullInteger;
    }

    /// <summary>Target constraints the model does not meet but that do not stop it from running (errors throw instead).</summary>
    public IReadOnlyList<Targets.TargetViolation> Warnings { get; }

    /// <summary>What full-integer quantization did (calibration, ops left float); null for other optimizations.</summary>
    public FullIntegerSummary? FullInteger { get; }

    /// <summary>The new model (shares unchanged constant data with the input).</summary>
    public ModelGraph Model { get; }

    /// <summary>The options it was made with.</summary>
    public OptimizationOptions Options { get; }

    /// <summary>Every tensor-level change, in the order the passes made them.</summary>
    public IReadOnlyList<OptimizationChange> Changes { get; }

    /// <summary>What pruning did to each weight tensor (empty without <see cref="OptimizationOptions.Pruning"/>).</summary>
    public IReadOnlyList<Pruning.PrunedTensor> PrunedTensors { get; internal init; } = [];

    /// <summary>What clustering did to each weight tensor (empty without <see cref="OptimizationOptions.Clustering"/>).</summary>
    public IReadOnlyList<Clustering.ClusteredTensor> ClusteredTensors { get; internal init; } = [];

    /// <summary>The sparse-encoding decision for each pruned weight tensor (empty without pruning).</summary>
    public IReadOnlyList<Sparsity.EncodedTensor> EncodedTensors { get; internal init; } = [];

    /// <summary>Change counts by pass and action, e.g. <c>float16: 192 x float32 -> float16 + DEQUANTIZE</c>.</summary>
    public IReadOnlyList<string> Summary() =>
        Changes.GroupBy(c => (c.Pass, c.Action))
            .Select(g => $"{g.Key.Pass}: {g.Count()} x {g.Key.Action} ({g.Sum(c => c.BytesBefore)} -> {g.Sum(c => c.BytesAfter)} bytes)")
            .ToList();
}
