using ModelBuildTasks.Optimization;
using ModelBuildTasks.Tasks.Settings;
using OptimizationKind = ModelBuildTasks.Optimization.Optimization;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>Maps item settings onto the engine's <see cref="OptimizationOptions"/>. The one place that knows both.</summary>
public static class EngineOptions
{
    /// <summary>The engine options for <paramref name="settings"/>, or coded errors for settings the engine cannot honour.</summary>
    public static OptimizationOptions? Create(ModelItemSettings settings, List<SettingsError> errors)
    {
        var before = errors.Count;
        // Optimization words map onto the engine's enum by name ("int16x8" → Int16x8), so schemes the engine adds are
        // usable without changing this adapter; one it lacks is a clear error rather than a silent fallback.
        if (!Enum.TryParse<OptimizationKind>(settings.Optimization, ignoreCase: true, out var kind) || kind == OptimizationKind.Float32)
        {
            errors.Add(new(TaskErrorCodes.NotAvailable, $"Optimization={settings.Optimization} is not available in this build of the engine"));
        }

        if (!Enum.TryParse<OptimizationTarget>(settings.Target, ignoreCase: true, out var target))
        {
            errors.Add(new(TaskErrorCodes.NotAvailable, $"Target={settings.Target} is not available in this build of the engine"));
        }

        // Settings the engine has no option for yet: refuse rather than ignore them.
        NotYet(settings.InputType != "float32", "InputType", errors);
        NotYet(settings.OutputType != "float32", "OutputType", errors);
        NotYet(settings.Calibration != "minmax", "Calibration", errors);
        NotYet(settings.Recipe is not null, "Recipe", errors);
        NotYet(settings.Prune is not null, "Prune", errors);
        NotYet(settings.Cluster is not null, "Cluster", errors);

        return errors.Count == before ? new OptimizationOptions { Optimization = kind, Target = target } : null;
    }

    private static void NotYet(bool isSet, string name, List<SettingsError> errors)
    {
        if (isSet)
        {
            errors.Add(new(TaskErrorCodes.NotAvailable, $"{name} is not supported by this build of the engine yet; remove it or use a newer ModelBuildTasks"));
        }
    }
}
