using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.FullInteger;

/// <summary>The element type a tensor has in a full-integer model, or that an op computes in.</summary>
internal enum Kind
{
    Float,
    Int8,
    Int16,
    UInt8,
}

/// <summary>
/// Facts about TFLite's integer kernels (ARCHITECTURE §3 and the TFLite quantization spec): which ops have int8 and
/// int16 kernels, which need the same scale on input and output, and which have a fixed output scale.
/// </summary>
internal static class IntegerKernels
{
    private static readonly HashSet<BuiltinOperator> Int8 =
    [
        BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.TRANSPOSE_CONV,
        BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL, BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MAX_POOL_2D,
        BuiltinOperator.CONCATENATION, BuiltinOperator.RESHAPE, BuiltinOperator.SQUEEZE, BuiltinOperator.EXPAND_DIMS,
        BuiltinOperator.PAD, BuiltinOperator.PADV2, BuiltinOperator.RELU, BuiltinOperator.RELU6, BuiltinOperator.RELU_N1_TO_1,
        BuiltinOperator.LEAKY_RELU, BuiltinOperator.PRELU, BuiltinOperator.HARD_SWISH, BuiltinOperator.LOGISTIC, BuiltinOperator.TANH,
        BuiltinOperator.SOFTMAX, BuiltinOperator.LOG_SOFTMAX, BuiltinOperator.MEAN, BuiltinOperator.RESIZE_BILINEAR,
        BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, BuiltinOperator.DEPTH_TO_SPACE, BuiltinOperator.SPACE_TO_DEPTH,
        BuiltinOperator.TRANSPOSE, BuiltinOperator.SLICE, BuiltinOperator.STRIDED_SLICE, BuiltinOperator.SPLIT, BuiltinOperator.SPLIT_V, BuiltinOperator.GATHER, BuiltinOperator.MAXIMUM,
        BuiltinOperator.MINIMUM, BuiltinOperator.L2_NORMALIZATION, BuiltinOperator.REDUCE_MAX, BuiltinOperator.BATCH_MATMUL,
    ];

    // int16 LOGISTIC/TANH: TFLite's kernels need zero point 0 in and out and the output scale 2^-15, which 16x8's
    // symmetric activations and FixedOutput give them (the "-100 dB" once seen on selfie_segmentation was SQNR against
    // a float mask of ~1e-12: the int16 logistic's floor is one step, 2^-15). The runtime matches LiteRT bit for bit.
    private static readonly HashSet<BuiltinOperator> Int16 =
    [
        BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.TRANSPOSE_CONV,
        BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL, BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MAX_POOL_2D,
        BuiltinOperator.CONCATENATION, BuiltinOperator.RESHAPE, BuiltinOperator.SQUEEZE, BuiltinOperator.EXPAND_DIMS,
        BuiltinOperator.PAD, BuiltinOperator.PADV2, BuiltinOperator.RELU, BuiltinOperator.RELU6, BuiltinOperator.LEAKY_RELU,
        BuiltinOperator.SOFTMAX, BuiltinOperator.MEAN, BuiltinOperator.RESIZE_BILINEAR, BuiltinOperator.LOGISTIC, BuiltinOperator.TANH,
        BuiltinOperator.PRELU, BuiltinOperator.BATCH_MATMUL,
        BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, BuiltinOperator.TRANSPOSE, BuiltinOperator.SLICE, BuiltinOperator.STRIDED_SLICE,
        BuiltinOperator.SPLIT, BuiltinOperator.GATHER, BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM, BuiltinOperator.REDUCE_MAX,
    ];

    /// <summary>True when TFLite has a kernel for <paramref name="op"/> computing in <paramref name="kind"/>.</summary>
    public static bool Has(BuiltinOperator op, Kind kind) => kind switch
    {
        Kind.Int8 => Int8.Contains(op),
        Kind.Int16 => Int16.Contains(op),
        _ => true,
    };

    /// <summary>
    /// Why <paramref name="op"/> cannot use its <paramref name="kind"/> kernel although the op has one, or null:
    /// 16x8 PRELU reads alpha as int8 (a weight), so alpha must be a constant the quantizer can make int8.
    /// </summary>
    public static string? Restriction(Operator op, Kind kind) => (op.Code.Builtin, kind) switch
    {
        (BuiltinOperator.PRELU, Kind.Int16) when op.Inputs.Count < 2 || op.Inputs[1] is not { IsConstant: true } =>
            "int16 PRELU needs a constant alpha",
        _ => null,
    };

    /// <summary>The kind a constant input of an op computing in <paramref name="kind"/> is quantized to.</summary>
    public static Kind ConstantKind(BuiltinOperator op, int index, Kind kind) =>
        op == BuiltinOperator.PRELU && index == 1 && kind == Kind.Int16 ? Kind.Int8 : kind;

    /// <summary>Ops whose integer kernels require input and output to share scale and zero point.</summary>
    public static bool IsSameScale(BuiltinOperator op) => op is
        BuiltinOperator.CONCATENATION or BuiltinOperator.RESHAPE or BuiltinOperator.SQUEEZE or BuiltinOperator.EXPAND_DIMS or
        BuiltinOperator.MAX_POOL_2D or BuiltinOperator.AVERAGE_POOL_2D or BuiltinOperator.PAD or BuiltinOperator.PADV2 or
        BuiltinOperator.TRANSPOSE or BuiltinOperator.SLICE or BuiltinOperator.STRIDED_SLICE or BuiltinOperator.GATHER or
        BuiltinOperator.MAXIMUM or BuiltinOperator.MINIMUM or BuiltinOperator.RESIZE_BILINEAR or
        BuiltinOperator.RESIZE_NEAREST_NEIGHBOR or BuiltinOperator.SPLIT or BuiltinOperator.SPLIT_V or
        BuiltinOperator.DEPTH_TO_SPACE or BuiltinOperator.SPACE_TO_DEPTH or BuiltinOperator.REDUCE_MAX;

    /// <summary>The inputs a same-scale op ties to its outputs (data inputs, not shapes or axes).</summary>
    public static IEnumerable<int> SameScaleInputs(BuiltinOperator op, int inputCount) => op switch
    {
        BuiltinOperator.CONCATENATION or BuiltinOperator.MAXIMUM or BuiltinOperator.MINIMUM => Enumerable.Range(0, inputCount),
        BuiltinOperator.SPLIT => [1],
        _ => [0],
    };

    /// <summary>The fixed output quantization (scale, zero point) of an op for a kind, or null.</summary>
    public static (float Scale, long ZeroPoint)? FixedOutput(BuiltinOperator op, Kind kind) => (op, kind) switch
    {
        (BuiltinOperator.LOGISTIC or BuiltinOperator.SOFTMAX, Kind.Int8) => (1f / 256, -128),
        (BuiltinOperator.LOGISTIC or BuiltinOperator.SOFTMAX or BuiltinOperator.TANH, Kind.Int16) => (1f / 32768, 0),
        (BuiltinOperator.TANH or BuiltinOperator.L2_NORMALIZATION, Kind.Int8) => (1f / 128, 0),
        (BuiltinOperator.LOG_SOFTMAX, Kind.Int8) => (16f / 256, 127),
        _ => null,
    };

    public static TensorType TypeOf(Kind kind) => kind switch
    {
        Kind.Int8 => TensorType.INT8,
        Kind.Int16 => TensorType.INT16,
        Kind.UInt8 => TensorType.UINT8,
        _ => TensorType.FLOAT32,
    };

    public static string Suffix(Kind kind) => kind switch
    {
        Kind.Int8 => "_int8",
        Kind.Int16 => "_int16",
        Kind.UInt8 => "_uint8",
        _ => "_float",
    };
}
