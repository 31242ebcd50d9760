using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Data;

namespace ModelBuildTasks.Optimization.Evaluation;

/// <summary>Settings of an evaluation.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Evaluate at most this many samples (0 = all).</summary>
    public int MaxSamples { get; init; }

    /// <summary>Also compare every intermediate tensor present in both models (per-layer error).</summary>
    public bool PerLayer { get; init; } = true;

    /// <summary>Keep this many worst layers in <see cref="EvaluationReport.Layers"/> (0 = all).</summary>
    public int TopLayers { get; init; } = 20;
}

/// <summary>Runs a reference and a candidate model side by side on the managed runtime and compares them.</summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="candidate"/> against <paramref name="reference"/> on <paramref name="data"/>.</summary>
    /// <param name="reference">The original (usually float) model.</param>
    /// <param name="candidate">The optimized model; same inputs and outputs (by position) as the reference.</param>
    /// <param name="data">Samples in the reference model's input types.</param>
    /// <param name="options">What to measure.</param>
    /// <param name="progress">Receives progress (stage <c>evaluation</c>).</param>
    /// <param name="cancellationToken">Stops the work promptly.</param>
    public static EvaluationReport Evaluate(
        ModelGraph reference,
        ModelGraph candidate,
        ISampleSource data,
        EvaluationOptions? options = null,
        IProgress<OptimizationProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, "evaluation is not available in this build");
}
