using System.Globalization;
using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Recipes;
using ModelBuildTasks.Tasks.Settings;
using OptimizationKind = ModelBuildTasks.Optimization.Optimization;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>Maps item settings onto the engine's <see cref="OptimizationOptions"/>. The one place that knows both.</summary>
public static class EngineOptions
{
    /// <summary>
    /// The engine options for <paramref name="settings"/>, or coded errors for settings the engine cannot honour.
    /// Reads the Recipe file (a malformed recipe throws the engine's coded error naming the file).
    /// </summary>
    public static OptimizationOptions? Create(ModelItemSettings settings, List<SettingsError> errors)
    {
        var before = errors.Count;
        // Optimization words map onto the engine's enum by name ("int16x8" → Int16x8), so a scheme the engine lacks is a
        // clear error rather than a silent fallback. For auto these are the search's shared settings: it sets the scheme.
        var kind = OptimizationKind.None;
        if (settings.Optimization != "auto" &&
            (!Enum.TryParse(settings.Optimization, ignoreCase: true, out kind) || kind == OptimizationKind.Float32))
        {
            errors.Add(new(TaskErrorCodes.NotAvailable, $"Optimization={settings.Optimization} is not available in this build of the engine"));
        }

        if (!Enum.TryParse<OptimizationTarget>(settings.Target, ignoreCase: true, out var target))
        {
            errors.Add(new(TaskErrorCodes.NotAvailable, $"TargetDevice={settings.Target} is not available in this build of the engine"));
        }

        var pruning = Pruning(settings, errors);
        if (errors.Count != before)
        {
            return null;
        }

        return new OptimizationOptions
        {
            Optimization = kind,
            Target = target,
            InputType = IoType(settings.InputType),
            OutputType = IoType(settings.OutputType),
            Calibration = settings.Calibration switch
            {
                "moving-average" => CalibrationMethod.MovingAverage,
                "percentile" => CalibrationMethod.Percentile,
                "mse" => CalibrationMethod.Mse,
                _ => CalibrationMethod.MinMax,
            },
            Rules = settings.Recipe is null ? [] : LoadRecipe(settings.Recipe),
            DynamicRangeHybridOps = settings.HybridOps,
            Pruning = pruning,
            Clustering = settings.Cluster is { } clusters
                ? new ClusteringOptions { ClusterCount = clusters, Initialization = ClusteringOptions.ParseInitialization(settings.ClusterInit) }
                : null,
        };
    }

    /// <summary>Prune/PrunePattern as pruning options; an N:M pattern alone (PrunePattern="2:4") fixes its own sparsity.</summary>
    private static PruningOptions? Pruning(ModelItemSettings settings, List<SettingsError> errors)
    {
        SparsityPattern pattern;
        try
        {
            pattern = SparsityPattern.Parse(settings.PrunePattern);
        }
        catch (OptimizationException e)
        {
            errors.Add(new(TaskErrorCodes.InvalidChoice, $"PrunePattern=\"{settings.PrunePattern}\": {e.Detail}"));
            return null;
        }
        if (settings.Prune is not { } sparsity)
        {
            return pattern.ImpliedSparsity is { } implied ? new PruningOptions { TargetSparsity = implied, Pattern = pattern } : null;
        }
        if (pattern.ImpliedSparsity is { } fixedBy && Math.Abs(fixedBy - sparsity) > 1e-9)
        {
            errors.Add(new(TaskErrorCodes.Conflict, $"Prune={sparsity.ToString(CultureInfo.InvariantCulture)} contradicts PrunePattern={pattern}, which prunes {fixedBy.ToString("P0", CultureInfo.InvariantCulture)}"));
            return null;
        }
        return new PruningOptions { TargetSparsity = sparsity, Pattern = pattern };
    }

    private static IReadOnlyList<QuantizationRule> LoadRecipe(string path)
    {
        try
        {
            return QuantizationRecipe.Load(path);
        }
        catch (ModelFormatException e)
        {
            throw e.WithFile(path);
        }
    }

    private static ModelIoType? IoType(string? word) => word switch
    {
        null => null,
        "int8" => ModelIoType.Int8,
        "uint8" => ModelIoType.UInt8,
        "int16" => ModelIoType.Int16,
        _ => ModelIoType.Float32,
    };
}
