using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Optimization.Reporting;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>
/// <c>&lt;name&gt;.report.json</c>: everything about one optimization, for people and CI (the card is for the
/// generator). Deterministic like the card: no timestamps or durations.
/// </summary>
public sealed record ModelReport
{
    /// <summary>Report format version.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>The package version that wrote it.</summary>
    public string ToolVersion { get; init; } = "";

    /// <summary>The model's output name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The effective settings (metadata after defaults).</summary>
    public required ModelItemSettings Settings { get; init; }

    /// <summary>The source model.</summary>
    public required CardFile Original { get; init; }

    /// <summary>The optimized model.</summary>
    public required CardFile Optimized { get; init; }

    /// <summary>Optimized bytes / original bytes.</summary>
    public double SizeRatio { get; init; }

    /// <summary>Change counts by pass and action.</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>Fidelity of the outputs; null when not measured.</summary>
    public CardMetrics? Metrics { get; init; }

    /// <summary>The intermediate tensors with the largest error, worst first.</summary>
    public IReadOnlyList<CardOutputMetrics> WorstLayers { get; init; } = [];

    /// <summary>Budgets missed (code and message).</summary>
    public IReadOnlyList<BudgetViolation> BudgetViolations { get; init; } = [];

    /// <summary>Warnings: target constraints the model bends, figures that could not be measured.</summary>
    public IReadOnlyList<ItemWarning> Warnings { get; init; } = [];

    /// <summary>The optimized file's size report: compressed sizes (gzip, Brotli, zstd) and every constant tensor.</summary>
    public SizeReport? OptimizedSizes { get; init; }
}
