using System.Globalization;

namespace ModelBuildTasks.Optimization.ModelCards;

/// <summary>Budget diagnostic codes (the companion analyzer reports the same codes for C# projects).</summary>
public static class BudgetCodes
{
    /// <summary>MaxSize exceeded.</summary>
    public const string MaxSize = "MBT3001";
    /// <summary>MaxCompressedSize exceeded.</summary>
    public const string MaxCompressedSize = "MBT3002";
    /// <summary>MaxAccuracyDrop exceeded.</summary>
    public const string MaxAccuracyDrop = "MBT3003";
    /// <summary>MinCosine not reached.</summary>
    public const string MinCosine = "MBT3004";
    /// <summary>MinSqnr not reached.</summary>
    public const string MinSqnr = "MBT3005";
    /// <summary>Size grew more than MaxSizeGrowth over the Baseline.</summary>
    public const string SizeGrowth = "MBT3006";
    /// <summary>A budget needs a figure that was not measured.</summary>
    public const string NotMeasured = "MBT3007";
}

/// <summary>One missed budget.</summary>
/// <param name="Code">One of <see cref="BudgetCodes"/>.</param>
/// <param name="Message">What exceeded, by how much, and what to do.</param>
public sealed record BudgetViolation(string Code, string Message);

/// <summary>Compares a card's measured figures with its budgets.</summary>
public static class BudgetChecker
{
    /// <summary>Every violated budget of <paramref name="card"/>, in code order.</summary>
    public static IReadOnlyList<BudgetViolation> Check(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var b = card.Budgets;
        var result = new List<BudgetViolation>();
        var name = card.Name;
        var size = card.Optimized ?? card.Original;
        if (b.MaxSize is { } maxSize && size.Bytes > maxSize)
        {
            result.Add(new(BudgetCodes.MaxSize,
                $"{name}: the optimized model is {Sizes.Format(size.Bytes)}, {Sizes.Format(size.Bytes - maxSize)} over MaxSize={Sizes.Format(maxSize)}. " +
                "Choose a stronger Optimization (e.g. int8 with RepresentativeData), prune or cluster, or raise MaxSize."));
        }

        if (b.MaxCompressedSize is { } maxGzip && size.GzipBytes > maxGzip)
        {
            result.Add(new(BudgetCodes.MaxCompressedSize,
                $"{name}: the optimized model is {Sizes.Format(size.GzipBytes)} gzipped, {Sizes.Format(size.GzipBytes - maxGzip)} over MaxCompressedSize={Sizes.Format(maxGzip)}. " +
                "Pruning and clustering make models compress better; or raise MaxCompressedSize."));
        }

        var m = card.Metrics;
        if (b.MaxAccuracyDrop is { } maxDrop)
        {
            if (m?.AccuracyDrop is not { } drop)
            {
                result.Add(NotMeasured(name, "MaxAccuracyDrop", "labeled EvaluationData (with Labels)"));
            }
            else if (drop > maxDrop)
            {
                result.Add(new(BudgetCodes.MaxAccuracyDrop,
                    $"{name}: top-1 accuracy dropped by {Percent(drop)} ({Percent(m.ReferenceAccuracy ?? 0)} → {Percent(m.CandidateAccuracy ?? 0)}), " +
                    $"{Percent(drop - maxDrop)} over MaxAccuracyDrop={Number(maxDrop)}. Try Optimization=int16x8 or auto, per-layer overrides in a Recipe, or raise MaxAccuracyDrop."));
            }
        }

        if (b.MinCosine is { } minCosine)
        {
            if (m is null)
            {
                result.Add(NotMeasured(name, "MinCosine", "an optimization other than none"));
            }
            else if (m.MinCosine < minCosine)
            {
                result.Add(new(BudgetCodes.MinCosine,
                    $"{name}: output cosine similarity is {Number(m.MinCosine)}, below MinCosine={Number(minCosine)}. " +
                    "Try a milder Optimization (float16, int16x8), per-layer overrides in a Recipe, or lower MinCosine."));
            }
        }

        if (b.MinSqnrDb is { } minSqnr)
        {
            if (m is null)
            {
                result.Add(NotMeasured(name, "MinSqnr", "an optimization other than none"));
            }
            else if (m.MinSqnrDb < minSqnr)
            {
                result.Add(new(BudgetCodes.MinSqnr,
                    $"{name}: output SQNR is {Number(m.MinSqnrDb)} dB, below MinSqnr={Number(minSqnr)} dB. " +
                    "Try a milder Optimization (float16, int16x8), per-layer overrides in a Recipe, or lower MinSqnr."));
            }
        }

        if (b.BaselineBytes is { } baseline && b.MaxSizeGrowth is { } growth && size.Bytes > baseline * (1 + growth))
        {
            var actual = baseline == 0 ? double.PositiveInfinity : (double)size.Bytes / baseline - 1;
            result.Add(new(BudgetCodes.SizeGrowth,
                $"{name}: the optimized model is {Sizes.Format(size.Bytes)}, {Percent(actual)} larger than the Baseline's {Sizes.Format(baseline)} " +
                $"(MaxSizeGrowth={Percent(growth)}). If the growth is intended, update the Baseline file."));
        }

        return result;
    }

    private static BudgetViolation NotMeasured(string name, string budget, string needs) =>
        new(BudgetCodes.NotMeasured, $"{name}: {budget} is set but the figure it needs was not measured; it needs {needs}.");

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
