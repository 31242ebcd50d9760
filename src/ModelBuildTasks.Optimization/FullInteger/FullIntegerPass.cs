using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Data;

namespace ModelBuildTasks.Optimization.FullInteger;

internal static class FullIntegerPass
{
    public static FullIntegerSummary Run(ModelGraph model, OptimizationOptions options, ISampleSource? data,
        IProgress<OptimizationProgress>? progress, List<OptimizationChange> changes, CancellationToken cancellationToken) =>
        throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, "not yet");
}
