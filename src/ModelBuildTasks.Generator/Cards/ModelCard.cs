namespace ModelBuildTasks.Generator.Cards;

// The value model of a model card (docs/model-card.md). Only records, strings, numbers and EquatableArray: no
// Roslyn symbols, syntax or locations, so equal cards compare equal and the incremental pipeline caches them.

/// <summary>Where the &lt;ModelItem&gt; is declared; line and column are 1-based, 0 when unknown.</summary>
internal sealed record ItemLocation(string? Include, string? ProjectFile, int Line, int Column);

/// <summary>Size figures of a model file.</summary>
internal sealed record FileFigures(long? Bytes, long? GzipBytes, long? BrotliBytes, string? Sha256);

/// <summary>Quantization of a tensor: one scale and zero point per tensor, or per channel along <see cref="Dimension"/>.</summary>
internal sealed record QuantizationSpec(EquatableArray<double> Scale, EquatableArray<long> ZeroPoint, int Dimension)
{
    public bool IsPerTensor => Scale.Count == 1 && ZeroPoint.Count <= 1;

    public long FirstZeroPoint => ZeroPoint.Count > 0 ? ZeroPoint[0] : 0;
}

/// <summary>Per-channel normalization from TFLite metadata: model value = (pixel - mean) / std.</summary>
internal sealed record NormalizationSpec(EquatableArray<double> Mean, EquatableArray<double> Std);

/// <summary>One input or output tensor of a signature.</summary>
internal sealed record TensorSpec(
    string Name,
    string? SignatureName,
    int Index,
    string Type,
    EquatableArray<int> Shape,
    EquatableArray<int>? ShapeSignature,
    QuantizationSpec? Quantization,
    NormalizationSpec? Normalization,
    EquatableArray<string>? Labels,
    string? Content);

/// <summary>A signature (or "main": subgraph 0's inputs and outputs).</summary>
internal sealed record SignatureSpec(string Key, int Subgraph, EquatableArray<TensorSpec> Inputs, EquatableArray<TensorSpec> Outputs);

/// <summary>Accuracy figures of one output.</summary>
internal sealed record OutputMetrics(string Name, double? Cosine, double? SqnrDb, double? Mse, double? MaxAbsError, double? Top1Agreement);

/// <summary>Accuracy of the optimized model against the original, measured by the build.</summary>
internal sealed record MetricsSpec(
    int? Samples,
    double? MinCosine,
    double? MinSqnrDb,
    double? AccuracyDrop,
    double? ReferenceAccuracy,
    double? CandidateAccuracy,
    EquatableArray<OutputMetrics> Outputs);

/// <summary>Budgets from the item's metadata; null when not set.</summary>
internal sealed record BudgetSpec(
    long? MaxSize,
    long? MaxCompressedSize,
    double? MaxAccuracyDrop,
    double? MinCosine,
    double? MinSqnrDb,
    long? BaselineBytes,
    double? MaxSizeGrowth,
    string Severity)
{
    public static BudgetSpec None { get; } = new(null, null, null, null, null, null, null, "error");

    public bool IsWarning => string.Equals(Severity, "warning", System.StringComparison.OrdinalIgnoreCase);
}

/// <summary>The model's descriptive TFLite metadata.</summary>
internal sealed record TfliteMetadataSpec(string? Name, string? Description, string? Version, string? Author, string? License);

/// <summary>A whole model card.</summary>
internal sealed record ModelCard(
    int FormatVersion,
    string? ToolVersion,
    ItemLocation Item,
    string Name,
    string? ClassName,
    string? Namespace,
    bool GenerateWrapper,
    string Deploy,
    string? DeployedFile,
    string? ResourceName,
    string? Optimization,
    string? Target,
    FileFigures? Original,
    FileFigures? Optimized,
    EquatableArray<SignatureSpec> Signatures,
    MetricsSpec? Metrics,
    BudgetSpec Budgets,
    TfliteMetadataSpec? TfliteMetadata)
{
    /// <summary>The model's file name as users know it, for messages.</summary>
    public string DisplayFile =>
        DeployedFile is { Length: > 0 } deployed ? FileName(deployed)
        : Item.Include is { Length: > 0 } include ? FileName(include)
        : Name + ".tflite";

    private static string FileName(string path)
    {
        var slash = path.LastIndexOfAny(new[] { '/', '\\' });
        return slash >= 0 ? path.Substring(slash + 1) : path;
    }
}

/// <summary>The outcome of reading a card: the card, or why it could not be read.</summary>
internal sealed record CardReadResult(string Path, ModelCard? Card, string? Error, bool IsNewerFormat)
{
    public static CardReadResult Failed(string path, string error, bool newer = false) => new(path, null, error, newer);
}
