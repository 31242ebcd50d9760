using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Quantization;

/// <summary>Which operator inputs are weights and bias, and the channel axis their scales run along (ARCHITECTURE §3).</summary>
internal static class WeightOperands
{
    /// <summary>
    /// The per-channel axis when input <paramref name="index"/> of <paramref name="op"/> is a weight operand; else null.
    /// Custom ops are left alone: kernels such as MediaPipe's transposed convolution read their weights once at
    /// preparation, before a DEQUANTIZE op could have run.
    /// </summary>
    public static int? WeightAxis(Operator op, int index) => (op.Code.Builtin, index) switch
    {
        (BuiltinOperator.CONV_2D, 1) => 0,
        (BuiltinOperator.FULLY_CONNECTED, 1) => 0,
        (BuiltinOperator.TRANSPOSE_CONV, 1) => 0,
        (BuiltinOperator.DEPTHWISE_CONV_2D, 1) => 3,
        _ => null,
    };

    /// <summary>The input index of the bias of a convolution-like op, or -1.</summary>
    public static int BiasIndex(Operator op) => op.Code.Builtin switch
    {
        BuiltinOperator.CONV_2D or BuiltinOperator.DEPTHWISE_CONV_2D or BuiltinOperator.FULLY_CONNECTED => 2,
        BuiltinOperator.TRANSPOSE_CONV => 3,
        _ => -1,
    };

    /// <summary>Ops whose int8 weights hybrid kernels read directly (float activations, int8 weights).</summary>
    public static bool HasHybridKernel(Operator op, int index) =>
        index == 1 && op.Code.Builtin is BuiltinOperator.CONV_2D or BuiltinOperator.FULLY_CONNECTED &&
        op.Inputs[0] is { Type: TensorType.FLOAT32 };
}
