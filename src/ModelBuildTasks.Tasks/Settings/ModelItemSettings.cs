namespace ModelBuildTasks.Tasks.Settings;

/// <summary>
/// One <c>&lt;ModelItem&gt;</c> after metadata parsing and defaults: every value is valid and every path absolute.
/// Choice values are lower-case words as users write them.
/// </summary>
public sealed record ModelItemSettings
{
    /// <summary>The item spec as written.</summary>
    public required string Include { get; init; }

    /// <summary>Absolute path of the source model.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Output base name: the model's file name without extension.</summary>
    public required string Name { get; init; }

    /// <summary>What the user asked for: "" (default), none, float16, dynamic, int8, int16x8 or auto.</summary>
    public string RequestedOptimization { get; init; } = "";

    /// <summary>What will be applied: none, float16, dynamic, int8, int16x8 or auto.</summary>
    public required string Optimization { get; init; }

    /// <summary>TargetDevice: cpu | gpu | edgetpu | mcu.</summary>
    public string Target { get; init; } = "cpu";

    /// <summary>Calibration data (folder or .npy), absolute, or null.</summary>
    public string? RepresentativeData { get; init; }

    /// <summary>Evaluation data as given, absolute, or null (then RepresentativeData, then seeded random inputs).</summary>
    public string? EvaluationData { get; init; }

    /// <summary>Labels file for accuracy, absolute, or null.</summary>
    public string? Labels { get; init; }

    /// <summary>Samples to evaluate at most.</summary>
    public int EvaluationSamples { get; init; } = ModelItemParser.DefaultEvaluationSamples;

    /// <summary>Model input type after full-integer quantization: float32 | int8 | uint8 | int16; null = the target's default.</summary>
    public string? InputType { get; init; }

    /// <summary>Model output type after full-integer quantization; null = the target's default.</summary>
    public string? OutputType { get; init; }

    /// <summary>minmax | moving-average | percentile | mse.</summary>
    public string Calibration { get; init; } = "minmax";

    /// <summary>Per-layer overrides (JSON), absolute, or null.</summary>
    public string? Recipe { get; init; }

    /// <summary>Target sparsity 0..1 for pruning, or null.</summary>
    public double? Prune { get; init; }

    /// <summary>unstructured, N:M (e.g. 2:4) or block:RxC (e.g. block:1x4), normalized.</summary>
    public string PrunePattern { get; init; } = "unstructured";

    /// <summary>Clusters per layer, or null.</summary>
    public int? Cluster { get; init; }

    /// <summary>kmeans++ | linear | density | random.</summary>
    public string ClusterInit { get; init; } = "kmeans++";

    /// <summary>MaxSize in bytes.</summary>
    public long? MaxSize { get; init; }

    /// <summary>MaxCompressedSize in bytes (gzip).</summary>
    public long? MaxCompressedSize { get; init; }

    /// <summary>MaxAccuracyDrop (absolute fraction).</summary>
    public double? MaxAccuracyDrop { get; init; }

    /// <summary>MinCosine.</summary>
    public double? MinCosine { get; init; }

    /// <summary>MinSqnr in dB.</summary>
    public double? MinSqnrDb { get; init; }

    /// <summary>Baseline JSON file, absolute, or null.</summary>
    public string? Baseline { get; init; }

    /// <summary>Allowed growth over the baseline (fraction).</summary>
    public double? MaxSizeGrowth { get; init; }

    /// <summary>error | warning.</summary>
    public string BudgetSeverity { get; init; } = "error";

    /// <summary>Wrapper class name or null.</summary>
    public string? ClassName { get; init; }

    /// <summary>Wrapper namespace or null.</summary>
    public string? Namespace { get; init; }

    /// <summary>Whether the generator emits a wrapper.</summary>
    public bool GenerateWrapper { get; init; } = true;

    /// <summary>copy | embed | none.</summary>
    public string Deploy { get; init; } = "copy";

    /// <summary>
    /// Dynamic range: CONV_2D/FULLY_CONNECTED read int8 weights directly (hybrid kernels, faster on CPU) when true;
    /// every int8 weight goes through a DEQUANTIZE op (float activations, weight-only error) when false.
    /// </summary>
    public bool HybridOps { get; init; } = true;

    /// <summary>Report: json (always written) | html | md — html and md also write a rendered report next to the JSON.</summary>
    public string ReportFormat { get; init; } = "json";

    /// <summary>The deployed file relative to the output folder (deploy=copy), else null.</summary>
    public string? DeployedFile => Deploy == "copy" ? Name + ".tflite" : null;

    /// <summary>The manifest resource name (deploy=embed), else null. Stable: it does not depend on folders or the root namespace.</summary>
    public string? ResourceName => Deploy == "embed" ? "ModelBuildTasks.Models." + Name + ".tflite" : null;
}
