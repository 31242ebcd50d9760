// Compiled into two assemblies (linked source): the engine (net8.0) and the netstandard2.0 analyzer, which cannot
// reference the engine. One set of rules and messages, whether a budget is checked by the CLI, the build task or
// the compiler. Keep it free of dependencies beyond the base class library.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelBuildTasks.Budgets;

/// <summary>The budgets a model item sets; null when not set.</summary>
internal sealed class BudgetLimits
{
    public long? MaxSize { get; set; }

    public long? MaxCompressedSize { get; set; }

    public double? MaxAccuracyDrop { get; set; }

    public double? MinCosine { get; set; }

    public double? MinSqnrDb { get; set; }

    public long? BaselineBytes { get; set; }

    public double? MaxSizeGrowth { get; set; }
}

/// <summary>What was measured of the model the budgets apply to; null when not measured.</summary>
internal sealed class BudgetFigures
{
    public long? Bytes { get; set; }

    public long? GzipBytes { get; set; }

    public double? AccuracyDrop { get; set; }

    public double? ReferenceAccuracy { get; set; }

    public double? CandidateAccuracy { get; set; }

    public double? MinCosine { get; set; }

    public double? MinSqnrDb { get; set; }
}

/// <summary>One budget that does not hold.</summary>
internal sealed class BudgetFinding
{
    public BudgetFinding(string code, string budget, double limit, double actual, string statement, string advice)
    {
        Code = code;
        Budget = budget;
        Limit = limit;
        Actual = actual;
        Statement = statement;
        Advice = advice;
    }

    /// <summary>MBT3001–MBT3007 (<see cref="BudgetRules"/>).</summary>
    public string Code { get; }

    /// <summary>The metadata name: MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine, MinSqnr or MaxSizeGrowth.</summary>
    public string Budget { get; }

    public double Limit { get; }

    /// <summary>The measured figure; NaN when it was not measured (code MBT3007).</summary>
    public double Actual { get; }

    /// <summary>What was measured, the budget and by how much it is missed: "x.tflite is 2.41 MB, 0.41 MB over MaxSize=2MB".</summary>
    public string Statement { get; }

    /// <summary>What to do about it.</summary>
    public string Advice { get; }

    /// <summary>The statement and the advice.</summary>
    public string Message => Statement + "; " + Advice;
}

/// <summary>
/// Compares measured figures with budgets. Messages use the words of the item's metadata ("MaxSize=2MB") and its
/// units (KB, MB, GB = powers of 1000; KiB, MiB, GiB = powers of 1024).
/// </summary>
internal static class BudgetRules
{
    public const string MaxSizeCode = "MBT3001";
    public const string MaxCompressedSizeCode = "MBT3002";
    public const string MaxAccuracyDropCode = "MBT3003";
    public const string MinCosineCode = "MBT3004";
    public const string MinSqnrCode = "MBT3005";
    public const string SizeGrowthCode = "MBT3006";
    public const string NotMeasuredCode = "MBT3007";

    /// <summary>Every budget that does not hold, in code order; <paramref name="file"/> names the model in messages.</summary>
    public static List<BudgetFinding> Check(string file, BudgetLimits limits, BudgetFigures figures)
    {
        var found = new List<BudgetFinding>();
        if (limits.MaxSize is { } maxSize)
        {
            if (figures.Bytes is not { } bytes)
            {
                found.Add(NotMeasured(file, "MaxSize", maxSize, $"MaxSize={BudgetSize(maxSize)}", "the model's size"));
            }
            else if (bytes > maxSize)
            {
                found.Add(new(MaxSizeCode, "MaxSize", maxSize, bytes,
                    $"{file} is {Size(bytes)}, {Size(bytes - maxSize)} over MaxSize={BudgetSize(maxSize)}",
                    "choose a stronger Optimization (dynamic or int8 shrink float32 weights to a quarter), prune or cluster, or raise MaxSize"));
            }
        }

        if (limits.MaxCompressedSize is { } maxCompressed)
        {
            if (figures.GzipBytes is not { } gzip)
            {
                found.Add(NotMeasured(file, "MaxCompressedSize", maxCompressed, $"MaxCompressedSize={BudgetSize(maxCompressed)}", "the model's gzip size"));
            }
            else if (gzip > maxCompressed)
            {
                found.Add(new(MaxCompressedSizeCode, "MaxCompressedSize", maxCompressed, gzip,
                    $"{file} compresses to {Size(gzip)} (gzip), {Size(gzip - maxCompressed)} over MaxCompressedSize={BudgetSize(maxCompressed)}",
                    "quantize, prune or cluster the model, or raise MaxCompressedSize"));
            }
        }

        if (limits.MaxAccuracyDrop is { } maxDrop)
        {
            if (figures.AccuracyDrop is not { } drop)
            {
                found.Add(NotMeasured(file, "MaxAccuracyDrop", maxDrop, $"MaxAccuracyDrop={Percent(maxDrop)}", "the accuracy drop (it needs labeled EvaluationData)"));
            }
            else if (drop > maxDrop)
            {
                var detail = figures.ReferenceAccuracy is { } r && figures.CandidateAccuracy is { } c ? $" ({Percent(r)} → {Percent(c)})" : "";
                found.Add(new(MaxAccuracyDropCode, "MaxAccuracyDrop", maxDrop, drop,
                    $"{file} loses {Points(drop)} of top-1 accuracy{detail}, {Points(drop - maxDrop)} more than MaxAccuracyDrop={Percent(maxDrop)}",
                    "choose a milder Optimization (int16x8 or dynamic), exclude the layers that hurt most in a Recipe, or raise MaxAccuracyDrop"));
            }
        }

        if (limits.MinCosine is { } minCosine)
        {
            if (figures.MinCosine is not { } cosine || double.IsNaN(cosine))
            {
                found.Add(NotMeasured(file, "MinCosine", minCosine, $"MinCosine={Number(minCosine)}", "the cosine similarity (the model is evaluated when it is optimized)"));
            }
            else if (cosine < minCosine)
            {
                found.Add(new(MinCosineCode, "MinCosine", minCosine, cosine,
                    $"{file} reaches a cosine similarity of {Number(cosine)}, {Number(minCosine - cosine)} below MinCosine={Number(minCosine)}",
                    "choose a milder Optimization (float16, int16x8), exclude layers in a Recipe, or lower MinCosine"));
            }
        }

        if (limits.MinSqnrDb is { } minSqnr)
        {
            if (figures.MinSqnrDb is not { } sqnr || double.IsNaN(sqnr))
            {
                found.Add(NotMeasured(file, "MinSqnr", minSqnr, $"MinSqnr={Db(minSqnr)}", "the SQNR (the model is evaluated when it is optimized)"));
            }
            else if (sqnr < minSqnr)
            {
                found.Add(new(MinSqnrCode, "MinSqnr", minSqnr, sqnr,
                    $"{file} reaches an SQNR of {Db(sqnr)}, {Db(minSqnr - sqnr)} below MinSqnr={Db(minSqnr)}",
                    "choose a milder Optimization (float16, int16x8), exclude layers in a Recipe, or lower MinSqnr"));
            }
        }

        if (limits.MaxSizeGrowth is { } maxGrowth)
        {
            if (limits.BaselineBytes is not { } baseline || baseline <= 0)
            {
                found.Add(NotMeasured(file, "MaxSizeGrowth", maxGrowth, $"MaxSizeGrowth={Percent(maxGrowth)}", "the baseline size (set Baseline to a baseline JSON file)"));
            }
            else if (figures.Bytes is not { } bytes)
            {
                found.Add(NotMeasured(file, "MaxSizeGrowth", maxGrowth, $"MaxSizeGrowth={Percent(maxGrowth)}", "the model's size"));
            }
            else
            {
                var growth = (bytes - baseline) / (double)baseline;
                if (growth > maxGrowth)
                {
                    found.Add(new(SizeGrowthCode, "MaxSizeGrowth", maxGrowth, growth,
                        $"{file} is {Size(bytes)}, {Percent(growth)} larger than the baseline's {Size(baseline)}, {Points(growth - maxGrowth)} over MaxSizeGrowth={Percent(maxGrowth)}",
                        "find what grew, or update the baseline if the growth is intended"));
                }
            }
        }

        return found;
    }

    private static BudgetFinding NotMeasured(string file, string budget, double limit, string setting, string figure) =>
        new(NotMeasuredCode, budget, limit, double.NaN, $"{file}: {setting} is set but {figure} was not measured",
            "the budget cannot be checked");

    /// <summary>A size in the units budgets are parsed with (KB = 1000 bytes): "2.41 MB", "410 KB", "900 B".</summary>
    public static string Size(long bytes)
    {
        var abs = Math.Abs(bytes);
        return abs >= 1_000_000_000 ? Format(bytes / 1e9, "GB")
            : abs >= 1_000_000 ? Format(bytes / 1e6, "MB")
            : abs >= 1_000 ? Format(bytes / 1e3, "KB")
            : bytes.ToString(CultureInfo.InvariantCulture) + " B";
    }

    /// <summary>A budget as it is written in the item's metadata: "2MB", "1.5MiB", "800KiB".</summary>
    public static string BudgetSize(long bytes)
    {
        // The largest magnitude that states the value exactly to 2 decimals; within it, the unit needing fewer decimals.
        foreach (var (decimalUnit, binaryUnit, prefix) in Magnitudes)
        {
            var inDecimal = bytes >= decimalUnit ? Decimals(bytes, decimalUnit) : int.MaxValue;
            var inBinary = bytes >= binaryUnit ? Decimals(bytes, binaryUnit) : int.MaxValue;
            if (inDecimal <= 2 || inBinary <= 2)
            {
                return inDecimal <= inBinary
                    ? (bytes / (double)decimalUnit).ToString("0.##", CultureInfo.InvariantCulture) + prefix + "B"
                    : (bytes / (double)binaryUnit).ToString("0.##", CultureInfo.InvariantCulture) + prefix + "iB";
            }
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }

    private static readonly (long Decimal, long Binary, string Prefix)[] Magnitudes =
    {
        (1_000_000_000, 1024L * 1024 * 1024, "G"), (1_000_000, 1024 * 1024, "M"), (1000, 1024, "K"),
    };

    /// <summary>How many decimals <paramref name="bytes"/> / <paramref name="unit"/> needs (3 meaning more than 2).</summary>
    private static int Decimals(long bytes, long unit) =>
        bytes % unit == 0 ? 0 : bytes * 10 % unit == 0 ? 1 : bytes * 100 % unit == 0 ? 2 : 3;

    private static string Format(double value, string unit) => value.ToString("0.##", CultureInfo.InvariantCulture) + " " + unit;

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Points(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + " percentage points";

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Db(double value) => value.ToString("0.##", CultureInfo.InvariantCulture) + " dB";
}
