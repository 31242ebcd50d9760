using System.Diagnostics;
using System.Globalization;
using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Tasks.Incremental;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Optimization.Reporting;
using ModelBuildTasks.Optimization.Reporting.Report;
using ModelBuildTasks.Tasks.Locations;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>What optimizing one item produced.</summary>
/// <param name="Card">The card written.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Warnings">What the build should warn about: target constraints the model bends, figures that could not be measured.</param>
/// <param name="AutoChoice">Optimization="auto": the configuration the search chose, described; else null.</param>
public sealed record ItemResult(ModelCard Card, TimeSpan Elapsed, IReadOnlyList<ItemWarning> Warnings, string? AutoChoice = null)
{
    /// <summary>The one line the build logs per model: sizes, ratio, fidelity, time.</summary>
    public string SummaryLine()
    {
        var c = Card;
        var optimized = c.Optimized ?? c.Original;
        var ratio = c.Original.Bytes == 0 ? 1 : (double)optimized.Bytes / c.Original.Bytes;
        var fidelity = c.Metrics is { } m
            ? string.Create(CultureInfo.InvariantCulture, $"cosine {m.MinCosine:0.####}, SQNR {m.MinSqnrDb:0.#} dB over {m.Samples} {m.DataSource} samples") +
              (m.AccuracyDrop is { } drop ? string.Create(CultureInfo.InvariantCulture, $", accuracy drop {drop * 100:0.##} %") : "")
            : "fidelity not measured";
        return string.Create(CultureInfo.InvariantCulture,
            $"{c.Name}: {(AutoChoice is null ? c.Optimization : "auto chose " + AutoChoice)} {Sizes.Format(c.Original.Bytes)} -> {Sizes.Format(optimized.Bytes)} ({ratio * 100:0.#} %), {fidelity}, {Elapsed.TotalSeconds:0.0} s");
    }
}

/// <summary>A coded warning about one item.</summary>
/// <param name="Code">An MBT code.</param>
/// <param name="Message">What happened.</param>
public sealed record ItemWarning(string Code, string Message);

/// <summary>
/// Optimizes one item end to end with the engine: read, optimize, write the model, evaluate, write report and card.
/// Every file is written atomically and the card last, so an interrupted run leaves the previous outputs (older than
/// the stamp, so the next build runs again) and never a partial file.
/// </summary>
public static class ModelItemPipeline
{
    /// <summary>Runs the pipeline. Throws <see cref="ModelFormatException"/> (coded) for bad input or settings.</summary>
    public static ItemResult Run(
        ModelItemSettings settings,
        ItemLocation location,
        ItemOutputs outputs,
        string toolVersion,
        IProgress<OptimizationProgress>? progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var isAuto = settings.Optimization == "auto";
        var errors = new List<SettingsError>();
        var options = EngineOptions.Create(settings, errors);
        if (options is null)
        {
            throw new ModelFormatException(errors[0].Code, string.Join("; ", errors.Select(e => e.Message)));
        }

        if (!File.Exists(settings.ModelPath))
        {
            throw new ModelFormatException(TaskErrorCodes.ModelNotFound, "the model file does not exist", settings.ModelPath);
        }

        var baselineBytes = settings.Baseline is null ? (long?)null : BaselineFile.ReadBytes(settings.Baseline);
        var originalBytes = File.ReadAllBytes(settings.ModelPath);
        var original = ReadModel(originalBytes, settings.ModelPath);
        var compression = Stopwatch.StartNew();
        var originalSizes = SizeReport.Create(originalBytes, original, Path.GetFileName(settings.ModelPath), SizeOptions);
        compression.Stop();
        cancellationToken.ThrowIfCancellationRequested();

        // Data is opened only when something will read it (calibration or evaluation); "none" rewrites the model only.
        var representative = settings.RepresentativeData is null || options.Optimization == Optimization.Optimization.None && !isAuto
            ? null
            : SampleSources.Open(settings.RepresentativeData, original, DataOptions(settings));
        var (data, source) = options.Optimization != Optimization.Optimization.None || isAuto
            ? EvaluationData(settings, original, representative)
            : (null, "");
        var maxSamples = source == "random" ? Math.Min(settings.EvaluationSamples, ModelItemParser.RandomEvaluationSamples) : settings.EvaluationSamples;
        var timings = new List<StageTiming>();
        var stage = Stopwatch.StartNew();

        // auto: the search picks the scheme (and per-layer precision, pruning, clustering); a fixed scheme is applied as is.
        AutoResult? auto = null;
        OptimizationResult result;
        ModelGraph optimized;
        byte[] optimizedBytes;
        if (isAuto)
        {
            auto = AutoOptimizer.Search(original, AutoSearchOptions.Create(settings, options, maxSamples), representative, data, progress, cancellationToken);
            (result, optimized, optimizedBytes) = (auto.Optimization, auto.Model, auto.Bytes);
            timings.Add(new StageTiming("search", stage.ElapsedMilliseconds));
        }
        else
        {
            result = Optimizer.Optimize(original, options, representative, progress, cancellationToken);
            optimized = result.Model;
            optimizedBytes = ModelWriter.ToBytes(optimized);
            timings.Add(new StageTiming("optimize", stage.ElapsedMilliseconds));
        }

        cancellationToken.ThrowIfCancellationRequested();
        compression.Start();
        var optimizedSizes = SizeReport.Create(optimizedBytes, optimized, settings.Name + ".tflite", SizeOptions);
        timings.Add(new StageTiming("compression", compression.ElapsedMilliseconds));
        cancellationToken.ThrowIfCancellationRequested();
        var (originalFigures, optimizedFigures) = (Figures(originalSizes), Figures(optimizedSizes));

        // Nothing to compare when the model was only rewritten; otherwise always measure (random data at worst). The
        // search's evaluation of the chosen model is reused when it ran one.
        CardMetrics? metrics = null;
        var evaluation = auto?.Evaluation;
        var warnings = result.Warnings
            .Select(w => new ItemWarning(OptimizationErrorCodes.TargetViolation, $"{w.Rule}: {w.Message}"))
            .ToList();
        if (evaluation is null && data is not null)
        {
            stage.Restart();
            try
            {
                evaluation = Evaluator.Evaluate(original, optimized, data, new EvaluationOptions { MaxSamples = maxSamples }, progress, cancellationToken);
            }
            catch (ModelFormatException e) when (e.Code == EvaluationErrorCodes.ModelNotRunnable)
            {
                // The model is valid (LiteRT runs it) but our runtime lacks a kernel it needs: the build goes on without
                // fidelity figures, and budgets that need them report MBT3007.
                warnings.Add(new ItemWarning(e.Code, $"fidelity not measured: {e.Detail}"));
            }

            timings.Add(new StageTiming("evaluate", stage.ElapsedMilliseconds));
        }

        if (evaluation is not null)
        {
            metrics = CardFactory.Metrics(evaluation, source);
        }

        cancellationToken.ThrowIfCancellationRequested();
        // The card names what was applied: for auto, the scheme the search chose.
        var applied = auto is null ? settings : settings with { Optimization = AutoConfig.SchemeName(auto.Config.Scheme) };
        var card = CardFactory.Create(applied, location, toolVersion, optimized, originalFigures, optimizedFigures, metrics, baselineBytes);
        var report = ReportBuilder.Create(new ReportInputs
        {
            Original = original,
            OriginalBytes = originalBytes,
            OriginalName = Path.GetFileName(settings.ModelPath),
            Optimized = optimized,
            OptimizedBytes = optimizedBytes,
            OptimizedName = settings.Name + ".tflite",
            Result = result,
            Options = result.Options,
            Evaluation = evaluation,
            Auto = auto,
            Budgets = ReportBudgets(settings),
            OriginalSizes = originalSizes,
            OptimizedSizes = optimizedSizes,
            Warnings = warnings.Skip(result.Warnings.Count).Select(w => $"{w.Code}: {w.Message}").ToList(),
            Timings = timings,
        });

        AtomicFile.Write(outputs.Model, optimizedBytes);
        WriteReports(report, settings.ReportFormat, outputs);
        if (auto is not null)
        {
            AtomicFile.Write(outputs.Recipe, Encoding.UTF8.GetBytes(auto.RecipeJson));
        }
        else
        {
            File.Delete(outputs.Recipe);
        }

        ModelCardJson.WriteFile(card, outputs.Card);
        return new ItemResult(card, clock.Elapsed, warnings, auto?.Config.Describe());
    }

    /// <summary>
    /// The cheap step for design-time builds: a card describing the source model as it is (no optimization, no
    /// metrics), so wrappers and IntelliSense exist before the first real build.
    /// </summary>
    public static ModelCard Describe(ModelItemSettings settings, ItemLocation location, string toolVersion)
    {
        var bytes = File.ReadAllBytes(settings.ModelPath);
        var model = ReadModel(bytes, settings.ModelPath);
        var figures = new CardFile { Bytes = bytes.Length, Sha256 = StampHasher.HashBytes(bytes) };
        return CardFactory.Create(settings, location, toolVersion, model, figures, optimized: null, metrics: null, baselineBytes: null);
    }

    /// <summary>
    /// Compression settings for build-time size figures (report.json's brotliBytes and zstd sizes): Brotli quality 5
    /// (window 22) and zstd 3 instead of the maximum, so both files of a 6 MB model compress in well under a second
    /// (about 0.3-0.4 s each on a loaded 2-core machine; Brotli 11 takes over 10 s) — quality 5 is a few percent above
    /// quality 11 (pose_landmark_full: 5.97 vs 5.72 MB). gzip, which the budgets use, stays at its usual level 6.
    /// </summary>
    private static readonly SizeReportOptions SizeOptions = new() { BrotliQuality = 5, BrotliWindow = 22, ZstdLevel = 3 };

    /// <summary>Writes report.json and the rendering the item asks for; a rendering no longer asked for is removed.</summary>
    private static void WriteReports(OptimizationReport report, string format, ItemOutputs outputs)
    {
        AtomicFile.Write(outputs.Report, Encoding.UTF8.GetBytes(report.ToJson()));
        WriteOrDelete(outputs.HtmlReport, format == "html" ? HtmlReport.Render(report) : null);
        WriteOrDelete(outputs.MarkdownReport, format == "md" ? MarkdownReport.Render(report) : null);
    }

    private static void WriteOrDelete(string path, string? text)
    {
        if (text is null)
        {
            File.Delete(path);
        }
        else
        {
            AtomicFile.Write(path, Encoding.UTF8.GetBytes(text));
        }
    }

    /// <summary>The item's budgets in the report's terms (baseline growth is the card's own check).</summary>
    private static AutoBudgets? ReportBudgets(ModelItemSettings settings)
    {
        var budgets = AutoSearchOptions.Budgets(settings);
        return budgets.Any ? budgets : null;
    }

    private static CardFile Figures(SizeReport sizes) =>
        new() { Bytes = sizes.Bytes, GzipBytes = sizes.GzipBytes, BrotliBytes = sizes.BrotliBytes, Sha256 = sizes.Sha256 };

    private static ModelGraph ReadModel(byte[] bytes, string path)
    {
        try
        {
            return ModelReader.Read(bytes, path);
        }
        catch (ModelFormatException e)
        {
            throw e.WithFile(path);
        }
    }

    private static DataOptions DataOptions(ModelItemSettings settings) => new() { LabelsPath = settings.Labels };

    private static (ISampleSource? Data, string Source) EvaluationData(ModelItemSettings settings, ModelGraph original, ISampleSource? representative)
    {
        if (settings.EvaluationData is not null)
        {
            return (SampleSources.Open(settings.EvaluationData, original, DataOptions(settings)), "evaluation");
        }

        return representative is not null
            ? (representative, "representative")
            : (RandomSamples.Create(original, ModelItemParser.RandomEvaluationSamples), "random");
    }
}
