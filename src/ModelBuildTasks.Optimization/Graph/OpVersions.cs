using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Graph;

/// <summary>
/// Sets an operator's version the way the TFLite converter does (tools/versioning/op_version.cc), from its builtin
/// code and its tensors' types: older runtimes refuse ops whose version they do not know, and newer kernels (int8
/// per-channel, int16 activations, float16 inputs) need the version that announces them.
/// </summary>
public static class OperatorVersions
{
    /// <summary>
    /// Raises <paramref name="op"/>'s version to what its tensors need, never lowering it (the converter's rule: a
    /// model may already use a newer version for a feature this table does not know). Custom ops keep theirs.
    /// </summary>
    public static void Update(Operator op)
    {
        if (!op.Code.IsCustom && VersionOf(op) > op.Code.Version)
        {
            op.Code = op.Code with { Version = VersionOf(op) };
        }
    }

    /// <summary>Sets the version to exactly what the converter would write (for passes that turn integer ops back to float).</summary>
    public static void Reset(Operator op)
    {
        if (!op.Code.IsCustom)
        {
            op.Code = op.Code with { Version = VersionOf(op) };
        }
    }

    /// <summary>The version the converter would write for <paramref name="op"/>.</summary>
    public static int VersionOf(Operator op)
    {
        var in0 = TypeOf(op.Inputs, 0);
        var in1 = TypeOf(op.Inputs, 1);
        var out0 = TypeOf(op.Outputs, 0);
        var i8 = in0 == TensorType.INT8;
        var i16 = in0 == TensorType.INT16;
        var hybrid = in0 == TensorType.FLOAT32 && in1 == TensorType.INT8 && out0 == TensorType.FLOAT32;
        var weightsPerChannel = op.Inputs.Count > 1 && op.Inputs[1]?.Quantization is { Scale.Length: > 1 };
        var rank0 = op.Inputs.Count > 0 && op.Inputs[0] is { } t0 ? t0.Shape.Length : 0;
        switch (op.Code.Builtin)
        {
            case BuiltinOperator.CONV_2D:
                if (i16 && in1 == TensorType.INT8) return 4; // 16x8 reference kernel
                if (i8 && in1 == TensorType.INT8) return 3;
                if (hybrid) return weightsPerChannel ? 5 : 2;
                return 1;
            case BuiltinOperator.DEPTHWISE_CONV_2D:
                if (i16 && in1 == TensorType.INT8) return 5;
                if (hybrid) return weightsPerChannel ? 6 : 4;
                if (i8 && in1 == TensorType.INT8) return 3;
                return op.OptionsAs<DepthwiseConv2DOptionsT>() is { } dw && (dw.DilationWFactor != 1 || dw.DilationHFactor != 1) ? 2 : 1;
            case BuiltinOperator.FULLY_CONNECTED:
            {
                var fc = op.OptionsAs<FullyConnectedOptionsT>();
                if (hybrid && weightsPerChannel) return 12;
                if (i16 && in1 == TensorType.INT8) return 7; // int16 activations, int8 weights
                if (op.Inputs.Count == 2 || (op.Inputs.Count > 2 && op.Inputs[2] is null)) return 6;
                if (fc is { KeepNumDims: true }) return 5;
                if (i8 && in1 == TensorType.INT8) return 4;
                if (hybrid) return fc is { AsymmetricQuantizeInputs: true } ? 9 : 3;
                return fc is { WeightsFormat: FullyConnectedOptionsWeightsFormat.SHUFFLED4x16INT8 } ? 2 : 1;
            }
            case BuiltinOperator.TRANSPOSE_CONV:
                if (op.OptionsAs<TransposeConvOptionsT>() is { FusedActivationFunction: not ActivationFunctionType.NONE }) return 4;
                if (op.Inputs.Count == 4 && op.Inputs[3] is not null) return 3;
                return TypeOf(op.Inputs, 1) == TensorType.INT8 ? 2 : 1;
            case BuiltinOperator.BATCH_MATMUL:
                if (i16) return 3;
                if (i8) return 2;
                return hybrid && op.OptionsAs<BatchMatMulOptionsT>() is { AsymmetricQuantizeInputs: true } ? 4 : 1;
            case BuiltinOperator.DEQUANTIZE:
                if (in0 is TensorType.INT16 or TensorType.FLOAT16) return 3;
                if (i8) return op.Inputs[0]!.Quantization is { Scale.Length: > 1 } ? 5 : 2;
                return 1;
            case BuiltinOperator.QUANTIZE:
                if (op.Outputs.Count > 0 && op.Outputs[0]?.Quantization is { Scale.Length: > 1 }) return 3;
                return out0 == TensorType.INT16 ? 2 : 1;
            case BuiltinOperator.ADD:
                if (i16 && op.OptionsAs<AddOptionsT>() is not { PotScaleInt16: true }) return 3;
                return i8 ? 2 : 1;
            case BuiltinOperator.SUB:
                if (i16 && op.OptionsAs<SubOptionsT>() is not { PotScaleInt16: true }) return 5;
                return i8 ? 2 : 1;
            case BuiltinOperator.MUL:
                if (i16) return 4;
                return i8 ? 2 : 1;
            case BuiltinOperator.MAX_POOL_2D or BuiltinOperator.AVERAGE_POOL_2D:
                return i16 ? 3 : i8 ? 2 : 1;
            case BuiltinOperator.TANH or BuiltinOperator.LOGISTIC:
                return i16 ? 3 : i8 ? 2 : 1;
            case BuiltinOperator.RELU:
                return i16 ? 3 : i8 || in0 == TensorType.UINT8 ? 2 : 1;
            case BuiltinOperator.SOFTMAX or BuiltinOperator.MEAN or BuiltinOperator.REDUCE_MAX or BuiltinOperator.REDUCE_MIN
                or BuiltinOperator.RELU6 or BuiltinOperator.MIRROR_PAD:
                return i16 ? 3 : i8 ? 2 : 1;
            case BuiltinOperator.CONCATENATION:
                return i16 ? 3 : i8 ? 2 : 1;
            case BuiltinOperator.PAD or BuiltinOperator.PADV2:
                if (rank0 > 4) return 4;
                return i16 ? 3 : i8 ? 2 : 1;
            case BuiltinOperator.RESIZE_BILINEAR:
                if (i16) return 4;
                if (op.OptionsAs<ResizeBilinearOptionsT>() is { HalfPixelCenters: true }) return 3;
                return i8 ? 2 : 1;
            case BuiltinOperator.RESIZE_NEAREST_NEIGHBOR:
                if (i16) return 4;
                if (op.OptionsAs<ResizeNearestNeighborOptionsT>() is { HalfPixelCenters: true } or { AlignCorners: true }) return 3;
                return i8 ? 2 : 1;
            case BuiltinOperator.MAXIMUM or BuiltinOperator.MINIMUM:
                return i16 ? 4 : i8 ? 2 : 1;
            case BuiltinOperator.TRANSPOSE:
                if (rank0 > 5) return 6;
                if (i16) return 5;
                if (rank0 > 4) return 4;
                return i8 ? 2 : 1;
            case BuiltinOperator.SLICE:
                if (rank0 > 4) return 5;
                return i16 ? 4 : i8 ? 2 : 1;
            case BuiltinOperator.STRIDED_SLICE:
                return i8 ? 2 : 1;
            case BuiltinOperator.SPLIT:
                return TypeOf(op.Inputs, 1) switch { TensorType.INT16 => 4, TensorType.INT32 => 3, TensorType.INT8 => 2, _ => 1 };
            case BuiltinOperator.GATHER:
                return i16 ? 4 : i8 ? 2 : 1;
            case BuiltinOperator.L2_NORMALIZATION:
                return out0 == TensorType.INT8 ? 2 : 1;
            case BuiltinOperator.LEAKY_RELU:
                return i16 ? 2 : 1;
            case BuiltinOperator.DEPTH_TO_SPACE or BuiltinOperator.SPACE_TO_DEPTH or BuiltinOperator.SPLIT_V
                or BuiltinOperator.SUM or BuiltinOperator.LOG_SOFTMAX:
                return i8 ? 2 : 1;
            default:
                return 1;
        }
    }

    private static TensorType? TypeOf(List<Tensor?> tensors, int i) => i < tensors.Count ? tensors[i]?.Type : null;
}
