using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Tasks.Incremental;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Optimization.Reporting;
using ModelBuildTasks.Tasks.Locations;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>What optimizing one item produced.</summary>
/// <param name="Card">The card written.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Warnings">What the build should warn about: target constraints the model bends, figures that could not be measured.</param>
public sealed record ItemResult(ModelCard Card, TimeSpan Elapsed, IReadOnlyList<ItemWarning> Warnings)
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
            $"{c.Name}: {c.Optimization} {Sizes.Format(c.Original.Bytes)} -> {Sizes.Format(optimized.Bytes)} ({ratio * 100:0.#} %), {fidelity}, {Elapsed.TotalSeconds:0.0} s");
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
    private static readonly JsonSerializerOptions ReportJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

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
        var originalSizes = SizeReport.Create(originalBytes, original, Path.GetFileName(settings.ModelPath), SizeOptions);
        cancellationToken.ThrowIfCancellationRequested();

        // Data is opened only when something will read it (calibration or evaluation); "none" rewrites the model only.
        var representative = settings.RepresentativeData is null || options.Optimization == Optimization.Optimization.None
            ? null
            : SampleSources.Open(settings.RepresentativeData, original, DataOptions(settings));
        var result = Optimizer.Optimize(original, options, representative, progress, cancellationToken);
        var optimizedBytes = ModelWriter.ToBytes(result.Model);
        cancellationToken.ThrowIfCancellationRequested();
        var optimizedSizes = SizeReport.Create(optimizedBytes, result.Model, settings.Name + ".tflite", SizeOptions);
        cancellationToken.ThrowIfCancellationRequested();
        var (originalFigures, optimizedFigures) = (Figures(originalSizes), Figures(optimizedSizes));

        // Nothing to compare when the model was only rewritten; otherwise always measure (random data at worst).
        CardMetrics? metrics = null;
        EvaluationReport? evaluation = null;
        var warnings = result.Warnings
            .Select(w => new ItemWarning(OptimizationErrorCodes.TargetViolation, $"{w.Rule}: {w.Message}"))
            .ToList();
        if (options.Optimization != Optimization.Optimization.None)
        {
            var (data, source) = EvaluationData(settings, original, representative);
            var maxSamples = source == "random" ? Math.Min(settings.EvaluationSamples, ModelItemParser.RandomEvaluationSamples) : settings.EvaluationSamples;
            try
            {
                evaluation = Evaluator.Evaluate(original, result.Model, data, new EvaluationOptions { MaxSamples = maxSamples }, progress, cancellationToken);
                metrics = CardFactory.Metrics(evaluation, source);
            }
            catch (ModelFormatException e) when (e.Code == EvaluationErrorCodes.ModelNotRunnable)
            {
                // The model is valid (LiteRT runs it) but our runtime lacks a kernel it needs: the build goes on without
                // fidelity figures, and budgets that need them report MBT3007.
                warnings.Add(new ItemWarning(e.Code, $"fidelity not measured: {e.Detail}"));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var card = CardFactory.Create(settings, location, toolVersion, result.Model, originalFigures, optimizedFigures, metrics, baselineBytes);
        var report = new ModelReport
        {
            ToolVersion = toolVersion,
            Name = settings.Name,
            Settings = settings,
            Original = originalFigures,
            Optimized = optimizedFigures,
            SizeRatio = originalFigures.Bytes == 0 ? 1 : (double)optimizedFigures.Bytes / originalFigures.Bytes,
            Changes = result.Summary(),
            Metrics = metrics,
            WorstLayers = evaluation is null ? [] : CardFactory.Metrics(evaluation with { Outputs = evaluation.Layers }, "layers").Outputs,
            BudgetViolations = BudgetChecker.Check(card),
            Warnings = warnings,
            OptimizedSizes = optimizedSizes,
        };

        AtomicFile.Write(outputs.Model, optimizedBytes);
        AtomicFile.Write(outputs.Report, JsonSerializer.SerializeToUtf8Bytes(report, ReportJson));
        ModelCardJson.WriteFile(card, outputs.Card);
        return new ItemResult(card, clock.Elapsed, warnings);
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
    /// Compression settings for build-time size figures: Brotli quality 9 and zstd 9 instead of the maximum, which
    /// takes seconds per megabyte and changes the figures by a few percent; gzip stays at its usual level 6.
    /// </summary>
    private static readonly SizeReportOptions SizeOptions = new() { BrotliQuality = 9, BrotliWindow = 22, ZstdLevel = 9 };

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

    private static (ISampleSource Data, string Source) EvaluationData(ModelItemSettings settings, ModelGraph original, ISampleSource? representative)
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
