using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Pruning;

namespace ModelBuildTasks.Optimization;

/// <summary>Which transformation <see cref="Optimizer"/> applies.</summary>
public enum Optimization
{
    /// <summary>No change: the model is only rewritten through the IR.</summary>
    None,

    /// <summary>
    /// Dequantize weights to float32: float16 and int8 weight-only constants (and hybrid ops' int8 weights) become
    /// float32 constants and their DEQUANTIZE ops disappear. Exact for float16.
    /// </summary>
    Float32,

    /// <summary>Float32 constants become float16 constants read through a DEQUANTIZE op (about half the size).</summary>
    Float16,

    /// <summary>
    /// Dynamic-range quantization: large CONV_2D/FULLY_CONNECTED weights become int8 per-channel and are read by
    /// hybrid kernels; other large weights become int8 + DEQUANTIZE (about a quarter of the size).
    /// </summary>
    Dynamic,

    /// <summary>
    /// Full-integer quantization: int8 activations (asymmetric, calibrated on representative data), int8 per-channel
    /// weights, int32 bias. Ops without an int8 kernel stay float between QUANTIZE/DEQUANTIZE unless the target forbids it.
    /// </summary>
    Int8,

    /// <summary>Full-integer "16x8": int16 symmetric activations, int8 per-channel weights, int64 bias.</summary>
    Int16x8,
}

/// <summary>The element type of a full-integer model's inputs or outputs.</summary>
public enum ModelIoType
{
    /// <summary>float32 with QUANTIZE/DEQUANTIZE at the edges (callers see no change).</summary>
    Float32,

    /// <summary>int8 with the tensor's calibrated scale and zero point.</summary>
    Int8,

    /// <summary>uint8 (zero point shifted by 128), as older accelerators and image pipelines want.</summary>
    UInt8,

    /// <summary>int16 (16x8 models only).</summary>
    Int16,
}

/// <summary>How calibration turns observed activation values into a quantization range.</summary>
public enum CalibrationMethod
{
    /// <summary>Global min and max over every sample (TFLite's default).</summary>
    MinMax,

    /// <summary>Exponential moving average of each sample's min and max (momentum <see cref="OptimizationOptions.MovingAverageMomentum"/>).</summary>
    MovingAverage,

    /// <summary>Clips to the <see cref="OptimizationOptions.CalibrationPercentile"/> percentile of values (outliers ignored).</summary>
    Percentile,

    /// <summary>The clipping range that minimizes the expected quantization error (clip + rounding) over the values seen.</summary>
    Mse,
}

/// <summary>The hardware a model is optimized for; each has constraints that <see cref="Targets.TargetCheck"/> enforces.</summary>
public enum OptimizationTarget
{
    /// <summary>CPU (TFLite builtin kernels and XNNPACK).</summary>
    Cpu,

    /// <summary>Mobile GPU delegates.</summary>
    Gpu,

    /// <summary>Edge TPU (needs full-integer models).</summary>
    EdgeTpu,

    /// <summary>Microcontrollers (TFLite Micro).</summary>
    Mcu,
}

/// <summary>What to do to a model. Immutable; use <c>with</c> to derive variants.</summary>
public sealed record OptimizationOptions
{
    /// <summary>The converter's default small-tensor threshold for dynamic-range quantization.</summary>
    public const int DefaultDynamicRangeMinElements = 1024;

    /// <summary>The transformation to apply.</summary>
    public Optimization Optimization { get; init; } = Optimization.None;

    /// <summary>The target hardware; its constraints are checked after the passes (see <see cref="Targets.TargetCheck"/>).</summary>
    public OptimizationTarget Target { get; init; } = OptimizationTarget.Cpu;

    /// <summary>Dynamic range: weights with fewer elements stay float (the TFLite converter uses 1024).</summary>
    public int DynamicRangeMinElements { get; init; } = DefaultDynamicRangeMinElements;

    /// <summary>
    /// Dynamic range: quantize FULLY_CONNECTED weights per output channel (op version 12, as current converters do)
    /// rather than per tensor (op version 9, which older runtimes accept).
    /// </summary>
    public bool DynamicRangePerChannelFullyConnected { get; init; } = true;

    /// <summary>
    /// Dynamic range: let CONV_2D and FULLY_CONNECTED read int8 weights directly (hybrid kernels, which also quantize
    /// their float input on the fly) instead of through a DEQUANTIZE op. Hybrid is faster on CPU; DEQUANTIZE keeps
    /// activations float (weight-only error, better fidelity). Same size either way.
    /// </summary>
    public bool DynamicRangeHybridOps { get; init; } = true;

    /// <summary>
    /// Float32: turn sparse float16 constants (read through DENSIFY) into dense float32 constants instead of sparse
    /// float32 constants that keep their DENSIFY op. Dense is larger but needs no DENSIFY kernel.
    /// </summary>
    public bool DensifySparseWeights { get; init; }

    /// <summary>Full integer: the model inputs' type; null = the target's default (float32, int8 for Edge TPU and MCU).</summary>
    public ModelIoType? InputType { get; init; }

    /// <summary>Full integer: the model outputs' type; null = the target's default (float32, int8 for Edge TPU and MCU).</summary>
    public ModelIoType? OutputType { get; init; }

    /// <summary>Full integer: how activation ranges are derived from the representative data.</summary>
    public CalibrationMethod Calibration { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Moving-average calibration: weight of the running range against a new sample's (TensorFlow's 0.95).</summary>
    public double MovingAverageMomentum { get; init; } = 0.95;

    /// <summary>Percentile calibration: the share of values kept inside the range, in percent (99.99 = clip the 0.01 % extremes).</summary>
    public double CalibrationPercentile { get; init; } = 99.99;

    /// <summary>Full integer: use at most this many representative samples (0 = all).</summary>
    public int MaxCalibrationSamples { get; init; }

    /// <summary>
    /// Full integer: let ops without an integer kernel stay float between QUANTIZE/DEQUANTIZE. Null = the target
    /// decides (allowed on CPU and GPU, forbidden on Edge TPU and microcontrollers).
    /// </summary>
    public bool? AllowFloatFallback { get; init; }

    /// <summary>
    /// Per-layer overrides, applied in order (the last matching rule wins): e.g. keep an op float with
    /// <see cref="QuantizationScheme.None"/>. Recipe files (<see cref="Recipes.QuantizationRecipe"/>) add to these.
    /// </summary>
    public IReadOnlyList<QuantizationRule> Rules { get; init; } = [];

    /// <summary>
    /// Magnitude pruning to a target sparsity before any quantization (null = no pruning). Pruned weights are stored in
    /// TFLite's sparse format + DENSIFY where that makes the file smaller (float32 and float16 weights; int8 weights stay
    /// dense with exact zeros, which compress well).
    /// </summary>
    public PruningOptions? Pruning { get; init; }

    /// <summary>
    /// Weight clustering after pruning and before quantization (null = none). With int8 weights the clusters are
    /// quantized cluster-preserving: at most <see cref="ClusteringOptions.ClusterCount"/> distinct codes per tensor.
    /// </summary>
    public ClusteringOptions? Clustering { get; init; }

    /// <summary>Options for a given optimization with every other setting at its default.</summary>
    public static OptimizationOptions For(Optimization optimization) => new() { Optimization = optimization };
}
