using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using ModelBuildTasks.Generator.Cards;
using ModelBuildTasks.Generator.Emit;

namespace ModelBuildTasks.Generator.Budgets;

/// <summary>
/// Reports budget violations (MBT3001–MBT3007), unusable model cards (MBT3010) and a missing runtime reference
/// (MBT3011), once per violation per
/// compilation, at the &lt;ModelItem&gt; in the project file. It runs as a compilation action over the additional
/// files, not in the generator, so diagnostics are not repeated by incremental generator runs and show in the IDE.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BudgetAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        BudgetDescriptors.MaxSize,
        BudgetDescriptors.MaxCompressedSize,
        BudgetDescriptors.MaxAccuracyDrop,
        BudgetDescriptors.MinCosine,
        BudgetDescriptors.MinSqnr,
        BudgetDescriptors.MaxSizeGrowth,
        BudgetDescriptors.NotMeasured,
        BudgetDescriptors.BadCard,
        BudgetDescriptors.RuntimeMissing);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationAction(AnalyzeCards);
    }

    private static void AnalyzeCards(CompilationAnalysisContext context)
    {
        var options = context.Options.AnalyzerConfigOptionsProvider;
        var runtimeReferenced = context.Compilation.GetTypeByMetadataName("ModelBuildTasks.Runtime.ModelSession") is not null;
        // The build task reports budgets itself when the project turns the analyzer's budget checks off: never both.
        var checkBudgets = !(options.GlobalOptions.TryGetValue("build_property.ModelBuildTasksBudgetAnalyzer", out var enabled)
            && string.Equals(enabled.Trim(), "false", StringComparison.OrdinalIgnoreCase));
        foreach (var file in context.Options.AdditionalFiles)
        {
            if (!CardFiles.IsCard(options, file))
            {
                continue;
            }
            var result = CardFiles.Read(file, context.CancellationToken);
            if (result.Card is not { } card)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    BudgetDescriptors.BadCard,
                    Location.Create(file.Path, default, default),
                    result.IsNewerFormat
                        ? $"model card: {result.Error}"
                        : $"model card: {result.Error}; rebuild the project so the ModelBuildTasks task rewrites it"));
                continue;
            }
            var location = ItemLocation(card, file.Path);
            if (StaleNote(card) is { } stale)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    BudgetDescriptors.BadCard, location, DiagnosticSeverity.Warning, null, null, $"{stale} ({file.Path})"));
            }
            if (card.GenerateWrapper && !runtimeReferenced)
            {
                // The generator skips the wrapper rather than emit code full of CS0246 errors; say why here.
                context.ReportDiagnostic(Diagnostic.Create(
                    BudgetDescriptors.RuntimeMissing, location,
                    $"no wrapper was generated for {card.DisplayFile}: the project does not reference ModelBuildTasks.Runtime; reference the ModelBuildTasks package (or set GenerateWrapper=\"false\")"));
                runtimeReferenced = true; // once per compilation is enough
            }
            if (!checkBudgets)
            {
                continue;
            }
            var severity = card.Budgets.IsWarning ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
            foreach (var violation in BudgetChecker.Check(card))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    violation.Descriptor, location, severity, null, null, violation.Message));
            }
        }
    }

    /// <summary>The &lt;ModelItem&gt; element in its project file; the card itself when the card does not say.</summary>
    private static Location ItemLocation(ModelCard card, string cardPath)
    {
        var item = card.Item;
        if (item.ProjectFile is not { Length: > 0 } project)
        {
            return Location.Create(cardPath, default, default);
        }
        var line = Math.Max(item.Line - 1, 0);
        var column = Math.Max(item.Column - 1, 0);
        var position = new LinePosition(line, column);
        return Location.Create(project, default, new LinePositionSpan(position, position));
    }

    /// <summary>
    /// A card written by another package version than this analyzer's is stale: the build that wrote it is not the
    /// one that checks it (an upgrade without a rebuild). Versions compare on major.minor.patch.
    /// </summary>
    private static string? StaleNote(ModelCard card)
    {
        if (card.ToolVersion is not { Length: > 0 } written)
        {
            return null;
        }
        var core = written.Split('+', '-')[0];
        if (!Version.TryParse(core, out var version))
        {
            return null;
        }
        var normalized = $"{version.Major}.{version.Minor}.{Math.Max(version.Build, 0)}";
        return normalized == GeneratorVersion.Value
            ? null
            : $"the model card was written by ModelBuildTasks {written} but the generator is {GeneratorVersion.Value}: the card is stale; rebuild the project";
    }
}
