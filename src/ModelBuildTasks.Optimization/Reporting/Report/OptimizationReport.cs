using System.Text.Json;
using System.Text.Json.Serialization;
using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Optimization.Evaluation;

namespace ModelBuildTasks.Optimization.Reporting.Report;

/// <summary>
/// One optimization, for people: settings, hashes, sizes, where the bytes are, how close the result is to the original,
/// the auto search's trail and timings. Its JSON form (<see cref="ToJson"/>, <see cref="FromJson"/>) is stable and
/// camelCase; <see cref="HtmlReport"/> and <see cref="MarkdownReport"/> render it. Make one with <see cref="ReportBuilder"/>.
/// </summary>
public sealed record OptimizationReport
{
    /// <summary>The current <see cref="FormatVersion"/>.</summary>
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Version of this JSON form.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>What was asked for.</summary>
    public ReportSettings Settings { get; init; } = new();

    /// <summary>The original model file.</summary>
    public ReportFile Input { get; init; } = new();

    /// <summary>The optimized model file.</summary>
    public ReportFile Output { get; init; } = new();

    /// <summary>Constant bytes per tensor type, original vs optimized.</summary>
    public IReadOnlyList<TypeSize> SizeByType { get; init; } = [];

    /// <summary>Constant bytes per layer (operator, named by its first output), largest original first.</summary>
    public IReadOnlyList<LayerSize> SizeByLayer { get; init; } = [];

    /// <summary>The optimized model against the original; null when not evaluated.</summary>
    public ReportEvaluation? Evaluation { get; init; }

    /// <summary>Per-layer error, worst (lowest SQNR) first.</summary>
    public IReadOnlyList<TensorMetrics> LayerErrors { get; init; } = [];

    /// <summary>Each budget set, its figure and whether it is met.</summary>
    public IReadOnlyList<BudgetResult> Budgets { get; init; } = [];

    /// <summary>The auto search; null for a fixed optimization.</summary>
    public ReportAuto? Auto { get; init; }

    /// <summary>What the optimizer changed, counted by pass and action (e.g. "int8: 62 tensors quantized").</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>Each pruned weight tensor: pattern and sparsity before and after.</summary>
    public IReadOnlyList<ReportPrunedTensor> Pruned { get; init; } = [];

    /// <summary>Each clustered weight tensor: clusters and distinct values before and after.</summary>
    public IReadOnlyList<ReportClusteredTensor> Clustered { get; init; } = [];

    /// <summary>Each weight stored in TFLite's sparse format: layout and bytes dense vs stored.</summary>
    public IReadOnlyList<ReportSparseTensor> Sparse { get; init; } = [];

    /// <summary>Warnings: target constraints the model bends, figures that could not be measured.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Wall time of each stage.</summary>
    public IReadOnlyList<StageTiming> Timings { get; init; } = [];

    /// <summary>The JSON form: camelCase, indented; infinite SQNR is written as "Infinity".</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses the JSON form; malformed JSON is a coded error naming <paramref name="source"/>.</summary>
    public static OptimizationReport FromJson(string json, string source = "report")
    {
        try
        {
            var report = JsonSerializer.Deserialize<OptimizationReport>(json, JsonOptions)
                ?? throw new ModelFormatException(ReportErrorCodes.InvalidReport, "the report is empty (null)", source);
            if (report.FormatVersion is < 1 or > CurrentFormatVersion)
            {
                throw new ModelFormatException(ReportErrorCodes.InvalidReport,
                    $"the report has formatVersion {report.FormatVersion}; this version reads 1 to {CurrentFormatVersion}", source);
            }
            return report;
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(ReportErrorCodes.InvalidReport, $"the report is not valid report JSON: {e.Message}", source, e);
        }
    }
}

/// <summary>A pruned weight tensor.</summary>
public sealed record ReportPrunedTensor(string Tensor, string Op, string Pattern, double SparsityBefore, double SparsityAfter);

/// <summary>A clustered weight tensor.</summary>
public sealed record ReportClusteredTensor(string Tensor, string Op, int Clusters, bool PerChannel, int UniqueValuesBefore, int UniqueValuesAfter);

/// <summary>A weight stored sparse (followed by DENSIFY).</summary>
public sealed record ReportSparseTensor(string Tensor, string Layout, double ZeroFraction, long DenseBytes, long StoredBytes);

/// <summary>Error codes of reports (MBT2210+). Part of the public contract: never renumber one.</summary>
public static class ReportErrorCodes
{
    /// <summary>A report file is unreadable, not JSON, or of an unknown format version.</summary>
    public const string InvalidReport = "MBT2210";
}

/// <summary>What was asked for.</summary>
/// <param name="Optimization">The optimization (<c>auto</c> for a search), as the CLI names it.</param>
/// <param name="Target">The target hardware.</param>
/// <param name="Calibration">The calibration method (full integer only), else null.</param>
/// <param name="Rules">The per-layer rules applied, as "tensor / op → scheme".</param>
public sealed record ReportSettings(string Optimization = "none", string Target = "cpu", string? Calibration = null, IReadOnlyList<string>? Rules = null);

/// <summary>A model file.</summary>
/// <param name="File">File name.</param>
/// <param name="Sha256">SHA-256 of the bytes, lowercase hex.</param>
/// <param name="Bytes">Raw size.</param>
/// <param name="GzipBytes">gzip size (level 6).</param>
/// <param name="BrotliBytes">Brotli size (0 when not computed).</param>
public sealed record ReportFile(string File = "", string Sha256 = "", long Bytes = 0, long GzipBytes = 0, long BrotliBytes = 0);

/// <summary>Constant bytes of one tensor type.</summary>
public sealed record TypeSize(string Type, long OriginalBytes, long OptimizedBytes, int OriginalTensors, int OptimizedTensors);

/// <summary>Constant bytes one layer reads (its own constants and those behind DEQUANTIZE/DENSIFY).</summary>
public sealed record LayerSize(string Layer, string OpType, long OriginalBytes, long OptimizedBytes);

/// <summary>Evaluation figures.</summary>
/// <param name="Samples">Samples compared.</param>
/// <param name="MinCosine">Lowest output cosine.</param>
/// <param name="MinSqnrDb">Lowest output SQNR (dB).</param>
/// <param name="Outputs">Per output metrics.</param>
/// <param name="Accuracy">Top-1 accuracy against labels, when labeled.</param>
public sealed record ReportEvaluation(int Samples, double MinCosine, double MinSqnrDb, IReadOnlyList<TensorMetrics> Outputs, LabelAccuracy? Accuracy);

/// <summary>One budget.</summary>
/// <param name="Budget">MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine or MinSqnr.</param>
/// <param name="Limit">The budget.</param>
/// <param name="Actual">The measured figure (NaN when not measured).</param>
/// <param name="Met">True when met.</param>
public sealed record BudgetResult(string Budget, double Limit, double Actual, bool Met);

/// <summary>The auto search.</summary>
/// <param name="Chosen">The chosen configuration, described.</param>
/// <param name="Evaluations">Evaluations run.</param>
/// <param name="Capped">True when the evaluation cap stopped it.</param>
/// <param name="ElapsedMs">Wall time.</param>
/// <param name="Recipe">The recipe JSON that pins the choice.</param>
/// <param name="Trail">Every candidate in the order tried.</param>
public sealed record ReportAuto(string Chosen, int Evaluations, bool Capped, long ElapsedMs, string Recipe, IReadOnlyList<AutoCandidate> Trail);

/// <summary>Wall time of one stage (e.g. <c>optimize</c>, <c>evaluate</c>, <c>search</c>).</summary>
public sealed record StageTiming(string Stage, long Milliseconds);
