using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using ModelBuildTasks.Generator.Cards;

namespace ModelBuildTasks.Generator.Budgets;

/// <summary>One violated budget: which diagnostic and its full message.</summary>
internal sealed record BudgetViolation(DiagnosticDescriptor Descriptor, string Message);

/// <summary>
/// Compares a card's measured figures with its budgets. Messages say what was measured, the budget, by how much it
/// is missed and what to do, in the words of the item's metadata (MaxSize=2MB).
/// </summary>
internal static class BudgetChecker
{
    public static List<BudgetViolation> Check(ModelCard card)
    {
        var found = new List<BudgetViolation>();
        var b = card.Budgets;
        var file = card.DisplayFile;
        var optimized = card.Optimized;
        var metrics = card.Metrics;

        if (b.MaxSize is { } maxSize)
        {
            if (optimized?.Bytes is not { } bytes)
            {
                found.Add(NotMeasured(file, $"MaxSize={BudgetSize(maxSize)}", "the optimized model's size"));
            }
            else if (bytes > maxSize)
            {
                found.Add(new(BudgetDescriptors.MaxSize,
                    $"{file} is {Size(bytes)}, {Size(bytes - maxSize)} over MaxSize={BudgetSize(maxSize)}; choose a stronger Optimization (dynamic or int8 shrink float32 weights to a quarter) or raise MaxSize"));
            }
        }
        if (b.MaxCompressedSize is { } maxCompressed)
        {
            if (optimized?.GzipBytes is not { } gzip)
            {
                found.Add(NotMeasured(file, $"MaxCompressedSize={BudgetSize(maxCompressed)}", "the optimized model's gzip size"));
            }
            else if (gzip > maxCompressed)
            {
                found.Add(new(BudgetDescriptors.MaxCompressedSize,
                    $"{file} compresses to {Size(gzip)} (gzip), {Size(gzip - maxCompressed)} over MaxCompressedSize={BudgetSize(maxCompressed)}; quantize, prune or cluster the model, or raise MaxCompressedSize"));
            }
        }
        if (b.MaxAccuracyDrop is { } maxDrop)
        {
            if (metrics?.AccuracyDrop is not { } drop)
            {
                found.Add(NotMeasured(file, $"MaxAccuracyDrop={Percent(maxDrop)}", "the accuracy drop (it needs labeled EvaluationData)"));
            }
            else if (drop > maxDrop)
            {
                var detail = metrics.ReferenceAccuracy is { } r && metrics.CandidateAccuracy is { } c
                    ? $" ({Percent(r)} → {Percent(c)})"
                    : "";
                found.Add(new(BudgetDescriptors.MaxAccuracyDrop,
                    $"{file} loses {Points(drop)} of top-1 accuracy{detail}, {Points(drop - maxDrop)} more than MaxAccuracyDrop={Percent(maxDrop)}; choose a milder Optimization (int16x8 or dynamic), exclude the layers that hurt most, or raise MaxAccuracyDrop"));
            }
        }
        if (b.MinCosine is { } minCosine)
        {
            if (metrics?.MinCosine is not { } cosine)
            {
                found.Add(NotMeasured(file, $"MinCosine={Number(minCosine)}", "the cosine similarity (it needs EvaluationData)"));
            }
            else if (cosine < minCosine)
            {
                found.Add(new(BudgetDescriptors.MinCosine,
                    $"{file} reaches a cosine similarity of {Number(cosine)}, {Number(minCosine - cosine)} below MinCosine={Number(minCosine)}; choose a milder Optimization or lower MinCosine"));
            }
        }
        if (b.MinSqnrDb is { } minSqnr)
        {
            if (metrics?.MinSqnrDb is not { } sqnr)
            {
                found.Add(NotMeasured(file, $"MinSqnr={Db(minSqnr)}", "the SQNR (it needs EvaluationData)"));
            }
            else if (sqnr < minSqnr)
            {
                found.Add(new(BudgetDescriptors.MinSqnr,
                    $"{file} reaches an SQNR of {Db(sqnr)}, {Db(minSqnr - sqnr)} below MinSqnr={Db(minSqnr)}; choose a milder Optimization or lower MinSqnr"));
            }
        }
        if (b.MaxSizeGrowth is { } maxGrowth)
        {
            if (b.BaselineBytes is not { } baseline || baseline <= 0)
            {
                found.Add(NotMeasured(file, $"MaxSizeGrowth={Percent(maxGrowth)}", "the baseline size (set Baseline to a baseline JSON file)"));
            }
            else if (optimized?.Bytes is not { } bytes)
            {
                found.Add(NotMeasured(file, $"MaxSizeGrowth={Percent(maxGrowth)}", "the optimized model's size"));
            }
            else
            {
                var growth = (bytes - baseline) / (double)baseline;
                if (growth > maxGrowth)
                {
                    found.Add(new(BudgetDescriptors.MaxSizeGrowth,
                        $"{file} is {Size(bytes)}, {Percent(growth)} larger than the baseline's {Size(baseline)}, {Points(growth - maxGrowth)} over MaxSizeGrowth={Percent(maxGrowth)}; find what grew, or update the baseline if the growth is intended"));
                }
            }
        }
        return found;
    }

    private static BudgetViolation NotMeasured(string file, string budget, string figure) =>
        new(BudgetDescriptors.NotMeasured, $"{file}: {budget} is set but {figure} was not measured, so the budget cannot be checked");

    /// <summary>Binary units as MSBuild metadata writes them: 2MB = 2 × 1024 × 1024 bytes.</summary>
    public static string Size(long bytes)
    {
        const double KB = 1024, MB = 1024 * 1024, GB = 1024 * 1024 * 1024;
        var abs = Math.Abs(bytes);
        return abs >= GB ? Format(bytes / GB, "GB")
            : abs >= MB ? Format(bytes / MB, "MB")
            : abs >= KB ? Format(bytes / KB, "KB")
            : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }

    /// <summary>A budget as it is written in the item's metadata: "2MB", "800KB".</summary>
    public static string BudgetSize(long bytes) => Size(bytes).Replace(" bytes", "B").Replace(" ", "");

    private static string Format(double value, string unit) => value.ToString("0.##", CultureInfo.InvariantCulture) + " " + unit;

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Points(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + " percentage points";

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Db(double value) => value.ToString("0.##", CultureInfo.InvariantCulture) + " dB";
}
