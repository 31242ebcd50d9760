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
}

/// <summary>The hardware a model is optimized for. Phase 1 records it; the target checks come with full-integer quantization.</summary>
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

    /// <summary>The target hardware (not yet used by the data-free passes).</summary>
    public OptimizationTarget Target { get; init; } = OptimizationTarget.Cpu;

    /// <summary>Dynamic range: weights with fewer elements stay float (the TFLite converter uses 1024).</summary>
    public int DynamicRangeMinElements { get; init; } = DefaultDynamicRangeMinElements;

    /// <summary>
    /// Dynamic range: quantize FULLY_CONNECTED weights per output channel (op version 12, as current converters do)
    /// rather than per tensor (op version 9, which older runtimes accept).
    /// </summary>
    public bool DynamicRangePerChannelFullyConnected { get; init; } = true;

    /// <summary>
    /// Float32: turn sparse float16 constants (read through DENSIFY) into dense float32 constants instead of sparse
    /// float32 constants that keep their DENSIFY op. Dense is larger but needs no DENSIFY kernel.
    /// </summary>
    public bool DensifySparseWeights { get; init; }

    /// <summary>Options for a given optimization with every other setting at its default.</summary>
    public static OptimizationOptions For(Optimization optimization) => new() { Optimization = optimization };
}
