using ModelBuildTasks.Budgets;

namespace ModelBuildTasks.Optimization.ModelCards;

/// <summary>Budget diagnostic codes (the companion analyzer reports the same codes, from the same rules, for C# projects).</summary>
public static class BudgetCodes
{
    /// <summary>MaxSize exceeded.</summary>
    public const string MaxSize = BudgetRules.MaxSizeCode;
    /// <summary>MaxCompressedSize exceeded.</summary>
    public const string MaxCompressedSize = BudgetRules.MaxCompressedSizeCode;
    /// <summary>MaxAccuracyDrop exceeded.</summary>
    public const string MaxAccuracyDrop = BudgetRules.MaxAccuracyDropCode;
    /// <summary>MinCosine not reached.</summary>
    public const string MinCosine = BudgetRules.MinCosineCode;
    /// <summary>MinSqnr not reached.</summary>
    public const string MinSqnr = BudgetRules.MinSqnrCode;
    /// <summary>Size grew more than MaxSizeGrowth over the Baseline.</summary>
    public const string SizeGrowth = BudgetRules.SizeGrowthCode;
    /// <summary>A budget needs a figure that was not measured.</summary>
    public const string NotMeasured = BudgetRules.NotMeasuredCode;
}

/// <summary>One missed budget.</summary>
/// <param name="Code">One of <see cref="BudgetCodes"/>.</param>
/// <param name="Message">What exceeded, by how much, and what to do.</param>
public sealed record BudgetViolation(string Code, string Message);

/// <summary>Compares a card's measured figures with its budgets (the rules in src/Shared/BudgetRules.cs).</summary>
public static class BudgetChecker
{
    /// <summary>Every violated budget of <paramref name="card"/>, in code order.</summary>
    public static IReadOnlyList<BudgetViolation> Check(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
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
            Bytes = size.Bytes, GzipBytes = size.GzipBytes,
            AccuracyDrop = m?.AccuracyDrop, ReferenceAccuracy = m?.ReferenceAccuracy, CandidateAccuracy = m?.CandidateAccuracy,
            MinCosine = m?.MinCosine, MinSqnrDb = m?.MinSqnrDb,
        };
        return BudgetRules.Check(DisplayFile(card), limits, figures).Select(f => new BudgetViolation(f.Code, f.Message)).ToList();
    }

    /// <summary>The model's file name as users know it.</summary>
    private static string DisplayFile(ModelCard card) =>
        card.DeployedFile is { Length: > 0 } deployed ? Path.GetFileName(deployed)
        : card.Item.Include is { Length: > 0 } include ? Path.GetFileName(include.Replace('\\', '/'))
        : card.Name + ".tflite";
}
