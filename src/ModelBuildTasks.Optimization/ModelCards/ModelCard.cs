namespace ModelBuildTasks.Optimization.ModelCards;

// The model card: what the MSBuild task tells the source generator and the budget analyzer about one model.
// docs/model-card.md is the contract; property order here is the order in the JSON (camelCase, nulls written).

/// <summary>The text description of one optimized model (see docs/model-card.md).</summary>
public sealed record ModelCard
{
    /// <summary>The card format this version writes; readers reject a newer major version.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Card format version.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>ModelBuildTasks version that wrote the card.</summary>
    public string ToolVersion { get; init; } = "";

    /// <summary>Where the item is declared.</summary>
    public CardItem Item { get; init; } = new();

    /// <summary>File name without extension.</summary>
    public string Name { get; init; } = "";

    /// <summary>Wrapper class name (ClassName metadata) or null.</summary>
    public string? ClassName { get; init; }

    /// <summary>Wrapper namespace (Namespace metadata) or null.</summary>
    public string? Namespace { get; init; }

    /// <summary>Whether the generator emits a wrapper.</summary>
    public bool GenerateWrapper { get; init; } = true;

    /// <summary>copy | embed | none.</summary>
    public string Deploy { get; init; } = "copy";

    /// <summary>Path of the deployed model relative to the output folder (deploy=copy), else null.</summary>
    public string? DeployedFile { get; init; }

    /// <summary>Manifest resource name (deploy=embed), else null.</summary>
    public string? ResourceName { get; init; }

    /// <summary>The optimization applied: none | float16 | dynamic | int8 | int16x8.</summary>
    public string Optimization { get; init; } = "none";

    /// <summary>cpu | gpu | edgetpu | mcu.</summary>
    public string Target { get; init; } = "cpu";

    /// <summary>The source model's sizes and hash.</summary>
    public CardFile Original { get; init; } = new();

    /// <summary>The optimized model's sizes and hash; null in a describe-only (design-time) card.</summary>
    public CardFile? Optimized { get; init; }

    /// <summary>Signatures (or one "main" entry from subgraph 0).</summary>
    public IReadOnlyList<CardSignature> Signatures { get; init; } = [];

    /// <summary>Fidelity figures; null when nothing was measured.</summary>
    public CardMetrics? Metrics { get; init; }

    /// <summary>Budgets from the item metadata.</summary>
    public CardBudgets Budgets { get; init; } = new();

    /// <summary>Descriptive TFLite metadata, when the model has it.</summary>
    public CardTfLiteMetadata? TfliteMetadata { get; init; }
}

/// <summary>The <c>&lt;ModelItem&gt;</c> element a card comes from.</summary>
public sealed record CardItem
{
    /// <summary>The item spec as written in the project.</summary>
    public string Include { get; init; } = "";

    /// <summary>Absolute path of the file that declares the item.</summary>
    public string ProjectFile { get; init; } = "";

    /// <summary>1-based line of the element, 0 when unknown.</summary>
    public int Line { get; init; }

    /// <summary>1-based column of the element, 0 when unknown.</summary>
    public int Column { get; init; }
}

/// <summary>Size figures and hash of a model file.</summary>
public sealed record CardFile
{
    /// <summary>Bytes on disk.</summary>
    public long Bytes { get; init; }

    /// <summary>Gzip-compressed bytes.</summary>
    public long GzipBytes { get; init; }

    /// <summary>Brotli-compressed bytes.</summary>
    public long BrotliBytes { get; init; }

    /// <summary>SHA-256 of the file, lower-case hex.</summary>
    public string Sha256 { get; init; } = "";
}

/// <summary>A model signature.</summary>
public sealed record CardSignature
{
    /// <summary>Signature key; "main" for a model without signatures.</summary>
    public string Key { get; init; } = "main";

    /// <summary>Subgraph index.</summary>
    public int Subgraph { get; init; }

    /// <summary>Input tensors in signature order.</summary>
    public IReadOnlyList<CardTensor> Inputs { get; init; } = [];

    /// <summary>Output tensors in signature order.</summary>
    public IReadOnlyList<CardTensor> Outputs { get; init; } = [];
}

/// <summary>One input or output tensor.</summary>
public sealed record CardTensor
{
    /// <summary>The tensor's name in the model.</summary>
    public string Name { get; init; } = "";

    /// <summary>The signature's name for it; null for "main".</summary>
    public string? SignatureName { get; init; }

    /// <summary>Tensor index in its subgraph.</summary>
    public int Index { get; init; }

    /// <summary>Element type name (float32, int8, …).</summary>
    public string Type { get; init; } = "";

    /// <summary>Dimensions.</summary>
    public IReadOnlyList<int> Shape { get; init; } = [];

    /// <summary>Dimensions with -1 for dynamic ones; null when static.</summary>
    public IReadOnlyList<int>? ShapeSignature { get; init; }

    /// <summary>Quantization parameters, or null.</summary>
    public CardQuantization? Quantization { get; init; }

    /// <summary>Input normalization from TFLite metadata, or null.</summary>
    public CardNormalization? Normalization { get; init; }

    /// <summary>Class labels from the associated labels file, or null.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>image | tensor (TFLite metadata content type), or null.</summary>
    public string? Content { get; init; }
}

/// <summary>Affine quantization of a tensor.</summary>
public sealed record CardQuantization
{
    /// <summary>Scales (one, or one per channel).</summary>
    public IReadOnlyList<float> Scale { get; init; } = [];

    /// <summary>Zero points.</summary>
    public IReadOnlyList<long> ZeroPoint { get; init; } = [];

    /// <summary>The quantized axis (per-channel).</summary>
    public int Dimension { get; init; }
}

/// <summary>Input normalization: (x − mean) / std.</summary>
public sealed record CardNormalization
{
    /// <summary>Per-channel means.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviations.</summary>
    public IReadOnlyList<float> Std { get; init; } = [];
}

/// <summary>How close the optimized model is to the original.</summary>
public sealed record CardMetrics
{
    /// <summary>The largest SQNR written: identical outputs have an infinite SQNR, which JSON cannot hold.</summary>
    public const double SqnrCeilingDb = 999;

    /// <summary>Samples evaluated.</summary>
    public int Samples { get; init; }

    /// <summary>Where the samples came from: evaluation | representative | random.</summary>
    public string DataSource { get; init; } = "random";

    /// <summary>Lowest output cosine similarity.</summary>
    public double MinCosine { get; init; }

    /// <summary>Lowest output SQNR in dB (capped at <see cref="SqnrCeilingDb"/>).</summary>
    public double MinSqnrDb { get; init; }

    /// <summary>Absolute top-1 accuracy drop with labels, else null.</summary>
    public double? AccuracyDrop { get; init; }

    /// <summary>Reference top-1 accuracy with labels, else null.</summary>
    public double? ReferenceAccuracy { get; init; }

    /// <summary>Candidate top-1 accuracy with labels, else null.</summary>
    public double? CandidateAccuracy { get; init; }

    /// <summary>Per-output figures.</summary>
    public IReadOnlyList<CardOutputMetrics> Outputs { get; init; } = [];
}

/// <summary>Fidelity of one model output.</summary>
public sealed record CardOutputMetrics
{
    /// <summary>Output tensor name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Cosine similarity.</summary>
    public double Cosine { get; init; }

    /// <summary>SQNR in dB (capped at <see cref="CardMetrics.SqnrCeilingDb"/>).</summary>
    public double SqnrDb { get; init; }

    /// <summary>Mean squared error.</summary>
    public double Mse { get; init; }

    /// <summary>Largest absolute error.</summary>
    public double MaxAbsError { get; init; }

    /// <summary>Arg-max agreement for classifier outputs, else null.</summary>
    public double? Top1Agreement { get; init; }
}

/// <summary>Budgets set on the item; null = not set.</summary>
public sealed record CardBudgets
{
    /// <summary>MaxSize in bytes.</summary>
    public long? MaxSize { get; init; }

    /// <summary>MaxCompressedSize in bytes (gzip).</summary>
    public long? MaxCompressedSize { get; init; }

    /// <summary>MaxAccuracyDrop, absolute (0..1).</summary>
    public double? MaxAccuracyDrop { get; init; }

    /// <summary>MinCosine.</summary>
    public double? MinCosine { get; init; }

    /// <summary>MinSqnr in dB.</summary>
    public double? MinSqnrDb { get; init; }

    /// <summary>Optimized bytes recorded in the Baseline file.</summary>
    public long? BaselineBytes { get; init; }

    /// <summary>Allowed growth over <see cref="BaselineBytes"/> as a fraction.</summary>
    public double? MaxSizeGrowth { get; init; }

    /// <summary>error | warning.</summary>
    public string Severity { get; init; } = "error";
}

/// <summary>Descriptive fields of the model's TFLITE_METADATA.</summary>
public sealed record CardTfLiteMetadata
{
    /// <summary>Model name.</summary>
    public string? Name { get; init; }

    /// <summary>Description.</summary>
    public string? Description { get; init; }

    /// <summary>Version.</summary>
    public string? Version { get; init; }

    /// <summary>Author.</summary>
    public string? Author { get; init; }

    /// <summary>License.</summary>
    public string? License { get; init; }
}
