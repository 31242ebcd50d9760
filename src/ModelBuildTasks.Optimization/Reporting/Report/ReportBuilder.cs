using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Optimization.Evaluation;

namespace ModelBuildTasks.Optimization.Reporting.Report;

/// <summary>The inputs of a report: the two models (graphs and file bytes) and what is known about the optimization.</summary>
public sealed record ReportInputs
{
    /// <summary>The original model.</summary>
    public required ModelGraph Original { get; init; }

    /// <summary>The original file's bytes.</summary>
    public required byte[] OriginalBytes { get; init; }

    /// <summary>The original file's name.</summary>
    public required string OriginalName { get; init; }

    /// <summary>The optimized model.</summary>
    public required ModelGraph Optimized { get; init; }

    /// <summary>The optimized file's bytes.</summary>
    public required byte[] OptimizedBytes { get; init; }

    /// <summary>The optimized file's name.</summary>
    public required string OptimizedName { get; init; }

    /// <summary>The options the model was optimized with (for auto: the chosen candidate's).</summary>
    public OptimizationOptions? Options { get; init; }

    /// <summary>What the optimizer did (its change summary and warnings go into the report); for auto: the chosen candidate's.</summary>
    public OptimizationResult? Result { get; init; }

    /// <summary>Warnings of the caller's own (e.g. figures it could not measure), after the optimizer's.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The evaluation of the optimized model against the original, when run.</summary>
    public EvaluationReport? Evaluation { get; init; }

    /// <summary>The auto search, when the optimization was <c>auto</c>.</summary>
    public AutoResult? Auto { get; init; }

    /// <summary>The budgets checked, when any.</summary>
    public AutoBudgets? Budgets { get; init; }

    /// <summary>Stage timings measured by the caller.</summary>
    public IReadOnlyList<StageTiming> Timings { get; init; } = [];

    /// <summary>Compute Brotli sizes (quality 11 is slow on big models); ignored when the size reports are given.</summary>
    public bool Brotli { get; init; } = true;

    /// <summary>The original's size report when the caller already made one (saves compressing it again).</summary>
    public SizeReport? OriginalSizes { get; init; }

    /// <summary>The optimized model's size report when the caller already made one.</summary>
    public SizeReport? OptimizedSizes { get; init; }

    /// <summary>Keep this many layers in the size-by-layer and layer-error lists.</summary>
    public int TopLayers { get; init; } = 25;
}

/// <summary>Makes an <see cref="OptimizationReport"/> from the engine's objects (optimizer, evaluator, size report, auto search).</summary>
public static class ReportBuilder
{
    /// <summary>Builds the report.</summary>
    public static OptimizationReport Create(ReportInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var sizeOptions = new SizeReportOptions { BrotliQuality = inputs.Brotli ? 11 : 0, ZstdLevel = 1 };
        var original = inputs.OriginalSizes ?? SizeReport.Create(inputs.OriginalBytes, inputs.Original, inputs.OriginalName, sizeOptions);
        var optimized = inputs.OptimizedSizes ?? SizeReport.Create(inputs.OptimizedBytes, inputs.Optimized, inputs.OptimizedName, sizeOptions);
        var brotli = inputs.Brotli || (inputs.OriginalSizes is not null && inputs.OptimizedSizes is not null);
        var options = inputs.Options ?? inputs.Result?.Options ?? new OptimizationOptions();
        var fullInteger = options.Optimization is Optimization.Int8 or Optimization.Int16x8;
        var evaluation = inputs.Evaluation;
        return new OptimizationReport
        {
            Settings = new ReportSettings(
                inputs.Auto is not null ? "auto" : AutoConfig.SchemeName(options.Optimization),
                options.Target.ToString().ToLowerInvariant(),
                fullInteger ? options.Calibration.ToString().ToLowerInvariant() : null,
                options.Rules.Select(r => $"{r.Tensor ?? "*"} / {r.OpType ?? "*"} -> {RuleScheme(r.Scheme)}").ToList()),
            Input = File(original, brotli),
            Output = File(optimized, brotli),
            SizeByType = ByType(original, optimized),
            SizeByLayer = ByLayer(inputs.Original, inputs.Optimized, inputs.TopLayers),
            Evaluation = evaluation is null ? null
                : new ReportEvaluation(evaluation.Samples, evaluation.MinCosine, evaluation.MinSqnrDb, evaluation.Outputs, evaluation.Accuracy),
            LayerErrors = evaluation is null ? [] : evaluation.Layers.Take(inputs.TopLayers).ToList(),
            Budgets = inputs.Budgets is { } b ? Budgets(b, inputs.OptimizedBytes.Length, optimized.GzipBytes, evaluation) : [],
            Auto = inputs.Auto is { } a
                ? new ReportAuto(a.Config.Describe(), a.Evaluations, a.Capped, (long)a.Elapsed.TotalMilliseconds, a.RecipeJson, a.Trail)
                : null,
            Changes = inputs.Result?.Summary() ?? [],
            Pruned = inputs.Result is { } pr
                ? pr.PrunedTensors.Select(t => new ReportPrunedTensor(t.Name, t.OpType, t.Pattern.ToString(), Math.Round(t.SparsityBefore, 4), Math.Round(t.SparsityAfter, 4))).ToList()
                : [],
            Clustered = inputs.Result is { } cr
                ? cr.ClusteredTensors.Select(t => new ReportClusteredTensor(t.Name, t.OpType, t.Clusters, t.PerChannel, t.UniqueValuesBefore, t.UniqueValuesAfter)).ToList()
                : [],
            Sparse = inputs.Result is { } sr
                ? sr.EncodedTensors.Select(t => new ReportSparseTensor(t.Name, t.Layout, Math.Round(t.ZeroFraction, 4), t.DenseBytes, t.SparseBytes)).ToList()
                : [],
            Warnings = [.. (inputs.Result?.Warnings ?? []).Select(w => $"{w.Rule}: {w.Message}"), .. inputs.Warnings],
            Timings = inputs.Timings,
        };
    }

    private static string RuleScheme(QuantizationScheme s) => s == QuantizationScheme.None ? "float" : s.ToString().ToLowerInvariant();

    private static ReportFile File(SizeReport s, bool brotli) => new(s.File, s.Sha256, s.Bytes, s.GzipBytes, brotli ? s.BrotliBytes : 0);

    private static List<TypeSize> ByType(SizeReport original, SizeReport optimized)
    {
        var types = original.BytesByType.Keys.Union(optimized.BytesByType.Keys).Order(StringComparer.Ordinal);
        return types.Select(t =>
        {
            var o = original.BytesByType.GetValueOrDefault(t);
            var n = optimized.BytesByType.GetValueOrDefault(t);
            return new TypeSize(t, o?.Bytes ?? 0, n?.Bytes ?? 0, o?.Tensors ?? 0, n?.Tensors ?? 0);
        }).ToList();
    }

    private static List<LayerSize> ByLayer(ModelGraph original, ModelGraph optimized, int top)
    {
        var before = LayerBytes(original);
        var after = LayerBytes(optimized);
        var rows = new List<LayerSize>();
        foreach (var (name, (opType, bytes)) in before)
        {
            rows.Add(new LayerSize(name, opType, bytes, after.TryGetValue(name, out var a) ? a.Bytes : 0));
        }
        return rows.OrderByDescending(r => r.OriginalBytes).ThenBy(r => r.Layer, StringComparer.Ordinal).Take(top).ToList();
    }

    /// <summary>Constant bytes each compute op reads, directly or through DEQUANTIZE/DENSIFY chains, keyed by its first output.</summary>
    private static Dictionary<string, (string OpType, long Bytes)> LayerBytes(ModelGraph model)
    {
        var producers = new Dictionary<Tensor, Operator>(ReferenceEqualityComparer.Instance);
        foreach (var op in model.Main.Operators)
        {
            foreach (var t in op.Outputs)
            {
                if (t is not null)
                {
                    producers[t] = op;
                }
            }
        }
        var result = new Dictionary<string, (string, long)>(StringComparer.Ordinal);
        foreach (var op in model.Main.Operators)
        {
            if (ReadsWeights(op, producers) || op.Outputs.Count == 0 || op.Outputs[0] is not { } output)
            {
                continue;
            }
            long bytes = 0;
            foreach (var input in op.Inputs)
            {
                bytes += ConstantBytes(input, producers, 0);
            }
            if (bytes > 0)
            {
                result.TryAdd(output.Name, (op.Code.DisplayName, bytes));
            }
        }
        return result;
    }

    private static long ConstantBytes(Tensor? t, Dictionary<Tensor, Operator> producers, int depth)
    {
        if (t is null || depth > 4)
        {
            return 0;
        }
        if (t.IsConstant)
        {
            return t.Data.Length;
        }
        if (producers.TryGetValue(t, out var op) && ReadsWeights(op, producers))
        {
            long bytes = 0;
            foreach (var input in op.Inputs)
            {
                bytes += ConstantBytes(input, producers, depth + 1);
            }
            return bytes;
        }
        return 0;
    }

    /// <summary>A DEQUANTIZE or DENSIFY whose input is a constant or another such op: it only unpacks weights.</summary>
    private static bool ReadsWeights(Operator op, Dictionary<Tensor, Operator> producers, int depth = 0) =>
        op.Code.Builtin is BuiltinOperator.DEQUANTIZE or BuiltinOperator.DENSIFY && op.Inputs.Count > 0 && op.Inputs[0] is { } source &&
        (source.IsConstant || (depth < 4 && producers.TryGetValue(source, out var p) && ReadsWeights(p, producers, depth + 1)));

    private static List<BudgetResult> Budgets(AutoBudgets b, long bytes, long gzip, EvaluationReport? evaluation)
    {
        var misses = b.Check(bytes, gzip, evaluation).Select(m => m.Budget).ToHashSet(StringComparer.Ordinal);
        var rows = new List<BudgetResult>();
        void Add(string name, double? limit, double actual)
        {
            if (limit is { } l)
            {
                rows.Add(new BudgetResult(name, l, actual, !misses.Contains(name)));
            }
        }
        Add("MaxSize", b.MaxSize, bytes);
        Add("MaxCompressedSize", b.MaxCompressedSize, gzip);
        Add("MaxAccuracyDrop", b.MaxAccuracyDrop, evaluation?.Accuracy?.Drop ?? double.NaN);
        Add("MinCosine", b.MinCosine, evaluation?.MinCosine ?? double.NaN);
        Add("MinSqnr", b.MinSqnrDb, evaluation?.MinSqnrDb ?? double.NaN);
        return rows;
    }
}
