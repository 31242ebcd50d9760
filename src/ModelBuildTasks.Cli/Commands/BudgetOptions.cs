using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Optimization.Reporting.Report;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>
/// The budget flags of <c>mbt optimize</c> (<c>--max-size</c>, <c>--max-compressed-size</c>, <c>--max-accuracy-drop</c>
/// with <c>--labels</c>, <c>--min-cosine</c>, <c>--min-sqnr</c>, <c>--eval-data</c>) and what they do: with
/// <c>--optimization auto</c> they drive <see cref="AutoOptimizer"/>; with a fixed optimization they gate the result
/// (exit code <see cref="BudgetMissedExitCode"/> and coded messages when a budget is missed).
/// </summary>
internal sealed class BudgetOptions
{
    /// <summary>Exit code of `mbt optimize` when the model misses a budget (the output is still written, for inspection).</summary>
    public const int BudgetMissedExitCode = 3;

    private readonly Option<string> maxSize = new("--max-size") { Description = "Budget: largest file size, e.g. 2MB, 1.5MiB, 300KB." };
    private readonly Option<string> maxCompressedSize = new("--max-compressed-size") { Description = "Budget: largest gzip-compressed size." };
    private readonly Option<double?> maxAccuracyDrop = new("--max-accuracy-drop") { Description = "Budget: largest top-1 accuracy drop, e.g. 0.01 (needs --eval-data with --labels)." };
    private readonly Option<double?> minCosine = new("--min-cosine") { Description = "Budget: smallest cosine similarity of every output with the original's, e.g. 0.999." };
    private readonly Option<double?> minSqnr = new("--min-sqnr") { Description = "Budget: smallest SQNR in dB of every output, e.g. 30." };
    private readonly Option<string> evalData = new("--eval-data") { Description = "Samples the accuracy budgets are measured on (same forms as --representative-data)." };
    private readonly Option<FileInfo> labels = new("--labels") { Description = "Labels of --eval-data: a CSV 'file,label' (or a 1-D integer .npy)." };
    private readonly Option<int?> maxEvaluations = new("--max-evaluations") { Description = $"Auto: stop after this many evaluations (default {AutoOptions.DefaultMaxEvaluations})." };
    /// <summary>The evaluation <see cref="WriteReport"/> ran, if any.</summary>
    private EvaluationReport? evaluated;

    private readonly Option<FileInfo> writeRecipe = new("--write-recipe") { Description = "Auto: write the chosen configuration as a recipe file (default: OUTPUT.recipe.json)." };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public static BudgetOptions AddTo(Command command)
    {
        var o = new BudgetOptions();
        foreach (var option in new Option[] { o.maxSize, o.maxCompressedSize, o.maxAccuracyDrop, o.minCosine, o.minSqnr, o.evalData, o.labels, o.maxEvaluations, o.writeRecipe })
        {
            command.Options.Add(option);
        }
        return o;
    }

    /// <summary>The budgets given on the command line; a malformed size is a coded error.</summary>
    public AutoBudgets Budgets(ParseResult parse) => new()
    {
        MaxSize = Size(parse.GetValue(maxSize), "--max-size"),
        MaxCompressedSize = Size(parse.GetValue(maxCompressedSize), "--max-compressed-size"),
        MaxAccuracyDrop = parse.GetValue(maxAccuracyDrop),
        MinCosine = parse.GetValue(minCosine),
        MinSqnrDb = parse.GetValue(minSqnr),
    };

    /// <summary>
    /// The hook before optimizing: runs the auto search when <paramref name="optimization"/> is <c>auto</c> (writes the
    /// model, recipe and report, returns the exit code); returns null for a fixed optimization.
    /// </summary>
    public int? RunAuto(ParseResult parse, string optimization, ModelGraph model, OptimizationOptions options, ISampleSource? representative,
        string destination, FileInfo? reportFile, TextWriter output, TextWriter error)
    {
        if (optimization != "auto")
        {
            return null;
        }
        var budgets = Budgets(parse);
        var clock = Stopwatch.StartNew();
        var auto = new AutoOptions
        {
            Budgets = budgets,
            Target = options.Target,
            Base = options,
            MaxEvaluations = parse.GetValue(maxEvaluations) ?? AutoOptions.DefaultMaxEvaluations,
        };
        var progress = new LineProgress(error);
        var result = AutoOptimizer.Search(model, auto, representative, EvaluationData(parse, model), progress);
        progress.Finish();
        var search = clock.ElapsedMilliseconds;
        ModelWriter.WriteFile(result.Model, destination);
        var recipePath = parse.GetValue(writeRecipe)?.FullName ?? destination + ".recipe.json";
        WriteAtomically(recipePath, result.RecipeJson);
        if (reportFile is not null)
        {
            var original = File.ReadAllBytes(ModelPath(parse));
            var report = ReportBuilder.Create(new ReportInputs
            {
                Original = model, OriginalBytes = original, OriginalName = Path.GetFileName(ModelPath(parse)),
                Optimized = result.Model, OptimizedBytes = result.Bytes, OptimizedName = Path.GetFileName(destination),
                Options = result.Optimization.Options, Result = result.Optimization, Evaluation = result.Evaluation, Auto = result, Budgets = budgets,
                Timings = [new StageTiming("search", search)],
            });
            WriteAtomically(reportFile.FullName, report.ToJson());
        }
        output.WriteLine($"{Path.GetFileName(ModelPath(parse))} -> {destination}: auto chose {result.Config.Describe()}, {Sizes.Format(result.Bytes.Length)} " +
                         $"({result.Evaluations} evaluations, {result.Elapsed.TotalSeconds:0.0} s); recipe {recipePath}");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The report of a fixed optimization, in the same form as auto's (<see cref="OptimizationReport"/>, what
    /// <c>mbt report</c> renders): sizes (gzip, Brotli), the budgets given, and the fidelity with per-layer error measured
    /// on --eval-data, else on the representative data (a report without data has no accuracy section).
    /// </summary>
    public void WriteReport(ParseResult parse, ModelGraph original, OptimizationResult result, ISampleSource? representative,
        string source, string destination, string reportPath)
    {
        var clock = Stopwatch.StartNew();
        var data = EvaluationData(parse, original) ?? representative;
        evaluated = data is null ? null : Evaluator.Evaluate(original, result.Model, data, new EvaluationOptions());
        var timings = evaluated is null ? new List<StageTiming>() : [new StageTiming("evaluate", clock.ElapsedMilliseconds)];
        var budgets = Budgets(parse);
        var report = ReportBuilder.Create(new ReportInputs
        {
            Original = original, OriginalBytes = File.ReadAllBytes(source), OriginalName = Path.GetFileName(source),
            Optimized = result.Model, OptimizedBytes = File.ReadAllBytes(destination), OptimizedName = Path.GetFileName(destination),
            Result = result, Evaluation = evaluated, Budgets = budgets.Any ? budgets : null, Timings = timings,
        });
        WriteAtomically(reportPath, report.ToJson());
    }

    /// <summary>
    /// The hook after a fixed optimization wrote <paramref name="destination"/>: checks the budgets, prints each miss as
    /// a coded error and returns <see cref="BudgetMissedExitCode"/>, or null when every budget holds (or none is set).
    /// </summary>
    public int? Check(ParseResult parse, ModelGraph original, ModelGraph optimized, string destination, TextWriter error)
    {
        var budgets = Budgets(parse);
        if (!budgets.Any)
        {
            return null;
        }
        // The report's evaluation is reused when it ran on the evaluation data.
        var evaluation = budgets.NeedsEvaluation && evaluated is not null && parse.GetValue(evalData) is not null ? evaluated
            : budgets.NeedsEvaluation && EvaluationData(parse, original) is { } data
            ? Evaluator.Evaluate(original, optimized, data, new EvaluationOptions { PerLayer = false })
            : null;
        var bytes = File.ReadAllBytes(destination);
        var gzip = GzipSize(bytes);
        var misses = budgets.Check(bytes.Length, gzip, evaluation, Path.GetFileName(destination));
        foreach (var miss in misses)
        {
            error.WriteLine($"error {miss.Code}: {miss.Message}");
        }
        return misses.Count == 0 ? null : BudgetMissedExitCode;
    }

    private static long GzipSize(byte[] bytes)
    {
        using var counter = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(counter, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(bytes);
        }
        return counter.Length;
    }

    private ISampleSource? EvaluationData(ParseResult parse, ModelGraph model)
    {
        if (parse.GetValue(evalData) is not { } path)
        {
            if (Budgets(parse).NeedsEvaluation)
            {
                throw new AutoSearchException(AutoErrorCodes.InvalidAutoOptions, "--max-accuracy-drop, --min-cosine and --min-sqnr need --eval-data PATH");
            }
            return null;
        }
        return SampleSources.Open(Path.GetFullPath(path), model, new DataOptions { LabelsPath = parse.GetValue(labels)?.FullName });
    }

    private static string ModelPath(ParseResult parse) => parse.GetValue<FileInfo>("model")!.FullName;

    private static long? Size(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }
        if (!Sizes.TryParse(text, out var bytes) || bytes <= 0)
        {
            throw new AutoSearchException(AutoErrorCodes.InvalidAutoOptions, $"{option}: '{text}' is not a size (e.g. 2MB, 1.5MiB, 300KB, 1024)");
        }
        return bytes;
    }

    internal static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Prints "auto 3/16" on stderr, overwriting the line.</summary>
    private sealed class LineProgress(TextWriter error) : IProgress<OptimizationProgress>
    {
        private bool any;

        public void Report(OptimizationProgress value)
        {
            any = true;
            error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{value.Stage} {value.Done}{(value.Total is { } t ? $"/{t}" : "")}      "));
        }

        public void Finish()
        {
            if (any)
            {
                error.WriteLine();
            }
        }
    }
}
