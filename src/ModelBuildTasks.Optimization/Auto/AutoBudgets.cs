using ModelBuildTasks.Budgets;
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
    /// <param name="file">How messages name the model.</param>
    public IReadOnlyList<BudgetMiss> Check(long bytes, long gzipBytes, EvaluationReport? evaluation, string file = "the model")
    {
        var limits = new BudgetLimits
        {
            MaxSize = MaxSize, MaxCompressedSize = MaxCompressedSize, MaxAccuracyDrop = MaxAccuracyDrop, MinCosine = MinCosine, MinSqnrDb = MinSqnrDb,
        };
        var figures = new BudgetFigures
        {
            Bytes = bytes, GzipBytes = gzipBytes,
            AccuracyDrop = evaluation?.Accuracy?.Drop,
            ReferenceAccuracy = evaluation?.Accuracy?.ReferenceAccuracy,
            CandidateAccuracy = evaluation?.Accuracy?.CandidateAccuracy,
            MinCosine = evaluation?.MinCosine,
            MinSqnrDb = evaluation?.MinSqnrDb,
        };
        return BudgetRules.Check(file, limits, figures)
            .Select(f => new BudgetMiss(f.Code, f.Budget, f.Limit, f.Actual, f.Statement, f.Advice))
            .ToList();
    }

}

/// <summary>One budget a model misses.</summary>
/// <param name="Code">The budget's diagnostic code (<see cref="BudgetCodes"/>).</param>
/// <param name="Budget">Its name: MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine or MinSqnr.</param>
/// <param name="Limit">The budget.</param>
/// <param name="Actual">The measured figure (NaN when not measured).</param>
/// <param name="Statement">The figure, the budget and by how much it misses.</param>
/// <param name="Advice">What to do about it.</param>
public sealed record BudgetMiss(string Code, string Budget, double Limit, double Actual, string Statement, string Advice)
{
    /// <summary>The statement and the advice.</summary>
    public string Message => Statement + "; " + Advice;

    /// <summary>How far off, relative to the limit (0 = just met), to rank near misses.</summary>
    public double Shortfall => double.IsNaN(Actual) ? double.MaxValue
        : Budget is "MinSqnr" ? (Limit - Actual) / Math.Max(1, Math.Abs(Limit))
        : Budget is "MinCosine" ? (Limit - Actual) / Math.Max(1e-9, 1 - Limit)
        : (Actual - Limit) / Math.Max(1e-9, Math.Abs(Limit));
}
