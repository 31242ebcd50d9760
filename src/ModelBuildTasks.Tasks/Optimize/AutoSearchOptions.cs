using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>Maps an item with <c>Optimization="auto"</c> onto the search's <see cref="AutoOptions"/>.</summary>
public static class AutoSearchOptions
{
    /// <summary>The search options: the item's budgets and target, <paramref name="engine"/> as every candidate's shared settings.</summary>
    /// <param name="settings">The item.</param>
    /// <param name="engine">The item's engine options (calibration, I/O types, Recipe rules), from <see cref="EngineOptions"/>.</param>
    /// <param name="maxEvaluationSamples">Samples each candidate is evaluated on at most.</param>
    public static AutoOptions Create(ModelItemSettings settings, OptimizationOptions engine, int maxEvaluationSamples) => new()
    {
        Budgets = Budgets(settings),
        Target = engine.Target,
        Base = engine,
        MaxEvaluationSamples = maxEvaluationSamples,
    };

    /// <summary>The item's budgets (MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine, MinSqnr).</summary>
    public static AutoBudgets Budgets(ModelItemSettings settings) => new()
    {
        MaxSize = settings.MaxSize,
        MaxCompressedSize = settings.MaxCompressedSize,
        MaxAccuracyDrop = settings.MaxAccuracyDrop,
        MinCosine = settings.MinCosine,
        MinSqnrDb = settings.MinSqnrDb,
    };
}
