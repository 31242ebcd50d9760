using Microsoft.CodeAnalysis;

namespace ModelBuildTasks.Generator.Budgets;

/// <summary>The budget diagnostics (docs/model-card.md). Messages are built in full by <see cref="BudgetChecker"/>.</summary>
internal static class BudgetDescriptors
{
    private const string Category = "ModelBuildTasks.Budgets";

    // Reported from a compilation-end action: tag them so the IDE runs them in full-solution analysis.
    private static readonly string[] Tags = { WellKnownDiagnosticTags.CompilationEnd, WellKnownDiagnosticTags.NotConfigurable };

    public static readonly DiagnosticDescriptor MaxSize = Create("MBT3001", "Model exceeds MaxSize");
    public static readonly DiagnosticDescriptor MaxCompressedSize = Create("MBT3002", "Model exceeds MaxCompressedSize");
    public static readonly DiagnosticDescriptor MaxAccuracyDrop = Create("MBT3003", "Accuracy drop exceeds MaxAccuracyDrop");
    public static readonly DiagnosticDescriptor MinCosine = Create("MBT3004", "Cosine similarity below MinCosine");
    public static readonly DiagnosticDescriptor MinSqnr = Create("MBT3005", "SQNR below MinSqnr");
    public static readonly DiagnosticDescriptor MaxSizeGrowth = Create("MBT3006", "Model grew more than MaxSizeGrowth over the baseline");
    public static readonly DiagnosticDescriptor NotMeasured = Create("MBT3007", "Budget needs a figure that was not measured");
    public static readonly DiagnosticDescriptor BadCard = Create("MBT3010", "Model card missing, unreadable or of another version");
    public static readonly DiagnosticDescriptor RuntimeMissing = Create("MBT3011", "Typed model wrappers need the ModelBuildTasks runtime");

    private static DiagnosticDescriptor Create(string id, string title) =>
        new(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true, customTags: Tags);
}
