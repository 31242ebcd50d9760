namespace ModelBuildTasks.Optimization.Auto;

/// <summary>Settings of <see cref="AutoOptimizer.Search"/>. Immutable; use <c>with</c> to derive variants.</summary>
public sealed record AutoOptions
{
    /// <summary>The default cap on evaluations (each costs one optimization and one run over the evaluation data).</summary>
    public const int DefaultMaxEvaluations = 16;

    /// <summary>What the chosen model must meet.</summary>
    public AutoBudgets Budgets { get; init; } = new();

    /// <summary>The hardware; decides the order of the schemes tried and which are allowed.</summary>
    public OptimizationTarget Target { get; init; } = OptimizationTarget.Cpu;

    /// <summary>
    /// Settings every candidate shares (calibration method, I/O types, user rules that come first); its
    /// <see cref="OptimizationOptions.Optimization"/> and <see cref="OptimizationOptions.Target"/> are set by the search.
    /// </summary>
    public OptimizationOptions Base { get; init; } = new();

    /// <summary>The schemes to try, in order; null = the target's (<see cref="SchemesFor"/>).</summary>
    public IReadOnlyList<Optimization>? Schemes { get; init; }

    /// <summary>Stop after this many evaluations and keep the best model found (the trail records the cap).</summary>
    public int MaxEvaluations { get; init; } = DefaultMaxEvaluations;

    /// <summary>Evaluate on at most this many samples (0 = all).</summary>
    public int MaxEvaluationSamples { get; init; }

    /// <summary>Try pruning and clustering levels when the best accurate model is still over a size budget.</summary>
    public bool AllowPruningAndClustering { get; init; } = true;

    /// <summary>The schemes tried, in order, for <paramref name="target"/> (the LiteRT guide's decision tree).</summary>
    public static IReadOnlyList<Optimization> SchemesFor(OptimizationTarget target) => target switch
    {
        OptimizationTarget.Gpu => [Optimization.Float16, Optimization.Int8, Optimization.Int16x8, Optimization.Dynamic],
        OptimizationTarget.EdgeTpu => [Optimization.Int8],
        OptimizationTarget.Mcu => [Optimization.Int8],
        _ => [Optimization.Int8, Optimization.Int16x8, Optimization.Dynamic, Optimization.Float16],
    };
}
