using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Data;

namespace ModelBuildTasks.Optimization;

/// <summary>What an optimization is doing, for progress bars (calibration passes over the data).</summary>
/// <param name="Stage">e.g. <c>calibration</c>.</param>
/// <param name="Done">Samples (or steps) done.</param>
/// <param name="Total">Samples (or steps) in all, when known.</param>
public readonly record struct OptimizationProgress(string Stage, int Done, int? Total);

/// <summary>
/// The engine's entry point for every front end (CLI, MSBuild task): applies the passes that
/// <see cref="OptimizationOptions"/> asks for to a model and returns a new model. The input is never modified.
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
        return options.Optimization switch
        {
            Optimization.None => new OptimizationResult(Graph.ModelCloner.Clone(model), options, []),
            _ => throw new OptimizationException(
                OptimizationErrorCodes.InvalidOptions,
                $"optimization '{options.Optimization}' is not available in this build"),
        };
    }
}
