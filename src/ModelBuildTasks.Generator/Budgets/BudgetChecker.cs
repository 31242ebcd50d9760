using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using ModelBuildTasks.Budgets;
using ModelBuildTasks.Generator.Cards;

namespace ModelBuildTasks.Generator.Budgets;

/// <summary>One violated budget: which diagnostic and its full message.</summary>
internal sealed record BudgetViolation(DiagnosticDescriptor Descriptor, string Message);

/// <summary>Compares a card's measured figures with its budgets, by the rules the engine uses (src/Shared/BudgetRules.cs).</summary>
internal static class BudgetChecker
{
    public static List<BudgetViolation> Check(ModelCard card)
    {
        var b = card.Budgets;
        var limits = new BudgetLimits
        {
            MaxSize = b.MaxSize, MaxCompressedSize = b.MaxCompressedSize, MaxAccuracyDrop = b.MaxAccuracyDrop,
            MinCosine = b.MinCosine, MinSqnrDb = b.MinSqnrDb, BaselineBytes = b.BaselineBytes, MaxSizeGrowth = b.MaxSizeGrowth,
        };
        // The deployed file: the optimized model, or the original when the item is not optimized.
        var size = card.Optimized ?? card.Original;
        var m = card.Metrics;
        var figures = new BudgetFigures
        {
            Bytes = size?.Bytes, GzipBytes = size?.GzipBytes,
            AccuracyDrop = m?.AccuracyDrop, ReferenceAccuracy = m?.ReferenceAccuracy, CandidateAccuracy = m?.CandidateAccuracy,
            MinCosine = m?.MinCosine, MinSqnrDb = m?.MinSqnrDb,
        };
        var found = new List<BudgetViolation>();
        foreach (var finding in BudgetRules.Check(card.DisplayFile, limits, figures))
        {
            found.Add(new BudgetViolation(Descriptor(finding.Code), finding.Message));
        }
        return found;
    }

    private static DiagnosticDescriptor Descriptor(string code) => code switch
    {
        BudgetRules.MaxSizeCode => BudgetDescriptors.MaxSize,
        BudgetRules.MaxCompressedSizeCode => BudgetDescriptors.MaxCompressedSize,
        BudgetRules.MaxAccuracyDropCode => BudgetDescriptors.MaxAccuracyDrop,
        BudgetRules.MinCosineCode => BudgetDescriptors.MinCosine,
        BudgetRules.MinSqnrCode => BudgetDescriptors.MinSqnr,
        BudgetRules.SizeGrowthCode => BudgetDescriptors.MaxSizeGrowth,
        _ => BudgetDescriptors.NotMeasured,
    };
}
