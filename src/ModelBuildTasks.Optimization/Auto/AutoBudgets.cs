using System.Globalization;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.ModelCards;

namespace ModelBuildTasks.Optimization.Auto;

/// <summary>
/// What an optimized model must meet. Every budget is optional; an unset one is not checked. Sizes are bytes of the
/// written file (compressed: gzip, what the search decides on because it is fast and what servers use by default).
/// </summary>
public sealed record AutoBudgets
{
    /// <summary>Largest allowed file size in bytes.</summary>
    public long? MaxSize { get; init; }

    /// <summary>Largest allowed gzip-compressed file size in bytes.</summary>
    public long? MaxCompressedSize { get; init; }

    /// <summary>Largest allowed top-1 accuracy drop against labels (0.01 = one percentage point); needs labeled evaluation data.</summary>
    public double? MaxAccuracyDrop { get; init; }

    /// <summary>Smallest allowed cosine similarity of every output with the original model's.</summary>
    public double? MinCosine { get; init; }

    /// <summary>Smallest allowed SQNR (dB) of every output against the original model's.</summary>
    public double? MinSqnrDb { get; init; }

    /// <summary>True when a budget needs an evaluation (not just the file size).</summary>
    public bool NeedsEvaluation => MaxAccuracyDrop is not null || MinCosine is not null || MinSqnrDb is not null;

    /// <summary>True when at least one budget is set.</summary>
    public bool Any => NeedsEvaluation || MaxSize is not null || MaxCompressedSize is not null;

    /// <summary>The budgets <paramref name="bytes"/>, <paramref name="gzipBytes"/> and the evaluation miss, in a fixed order.</summary>
    /// <param name="bytes">The file size.</param>
    /// <param name="gzipBytes">Its gzip size.</param>
    /// <param name="evaluation">The evaluation against the original; null when none was run (accuracy budgets then count as missed).</param>
    public IReadOnlyList<BudgetMiss> Check(long bytes, long gzipBytes, EvaluationReport? evaluation)
    {
        var misses = new List<BudgetMiss>();
        if (MaxSize is { } maxSize && bytes > maxSize)
        {
            misses.Add(new BudgetMiss(BudgetCodes.MaxSize, "MaxSize", maxSize, bytes,
                $"MaxSize: {Sizes.Format(bytes)} is {Sizes.Format(bytes - maxSize)} over {Sizes.Format(maxSize)}"));
        }
        if (MaxCompressedSize is { } maxGzip && gzipBytes > maxGzip)
        {
            misses.Add(new BudgetMiss(BudgetCodes.MaxCompressedSize, "MaxCompressedSize", maxGzip, gzipBytes,
                $"MaxCompressedSize: {Sizes.Format(gzipBytes)} (gzip) is {Sizes.Format(gzipBytes - maxGzip)} over {Sizes.Format(maxGzip)}"));
        }
        if (MaxAccuracyDrop is { } maxDrop)
        {
            if (evaluation?.Accuracy is not { } accuracy)
            {
                misses.Add(new BudgetMiss(BudgetCodes.NotMeasured, "MaxAccuracyDrop", maxDrop, double.NaN,
                    "MaxAccuracyDrop: not measured (the evaluation data has no labels)"));
            }
            else if (accuracy.Drop > maxDrop)
            {
                misses.Add(new BudgetMiss(BudgetCodes.MaxAccuracyDrop, "MaxAccuracyDrop", maxDrop, accuracy.Drop,
                    $"MaxAccuracyDrop: the accuracy drops by {Number(accuracy.Drop)}, {Number(accuracy.Drop - maxDrop)} more than {Number(maxDrop)}"));
            }
        }
        if (MinCosine is { } minCosine)
        {
            var cosine = evaluation?.MinCosine ?? double.NaN;
            if (!(cosine >= minCosine))
            {
                misses.Add(new BudgetMiss(BudgetCodes.MinCosine, "MinCosine", minCosine, cosine,
                    $"MinCosine: the lowest output cosine {Number(cosine)} is {Number(minCosine - cosine)} short of {Number(minCosine)}"));
            }
        }
        if (MinSqnrDb is { } minSqnr)
        {
            var sqnr = evaluation?.MinSqnrDb ?? double.NaN;
            if (!(sqnr >= minSqnr))
            {
                misses.Add(new BudgetMiss(BudgetCodes.MinSqnr, "MinSqnr", minSqnr, sqnr,
                    $"MinSqnr: the lowest output SQNR {Number(sqnr)} dB is {Number(minSqnr - sqnr)} dB short of {Number(minSqnr)} dB"));
            }
        }
        return misses;
    }

    internal static string Number(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>One budget a model misses.</summary>
/// <param name="Code">The budget's diagnostic code (<see cref="BudgetCodes"/>).</param>
/// <param name="Budget">Its name: MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine or MinSqnr.</param>
/// <param name="Limit">The budget.</param>
/// <param name="Actual">The measured figure (NaN when not measured).</param>
/// <param name="Message">Which budget, the figure and by how much it misses.</param>
public sealed record BudgetMiss(string Code, string Budget, double Limit, double Actual, string Message)
{
    /// <summary>How far off, relative to the limit (0 = just met), to rank near misses.</summary>
    public double Shortfall => double.IsNaN(Actual) ? double.MaxValue
        : Budget is "MinSqnr" ? (Limit - Actual) / Math.Max(1, Math.Abs(Limit))
        : Budget is "MinCosine" ? (Limit - Actual) / Math.Max(1e-9, 1 - Limit)
        : (Actual - Limit) / Math.Max(1e-9, Math.Abs(Limit));
}
