using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>The float32 kernels and the type-agnostic data-movement kernels.</summary>
internal static class Registrations
{
    public static void Register(KernelRegistry r)
    {
        const TensorType F = TensorType.FLOAT32;
        var any = KernelRegistry.AnyFixedSizeType;

        r.Add(BuiltinOperator.CONV_2D, F, Conv2D.Create);
        r.Add(BuiltinOperator.DEPTHWISE_CONV_2D, F, DepthwiseConv2D.Create);
        r.Add(BuiltinOperator.FULLY_CONNECTED, F, FullyConnected.Create);
        r.Add(BuiltinOperator.TRANSPOSE_CONV, F, TransposeConv.Create);
        r.AddCustom("Convolution2DTransposeBias", F, TransposeConv.CreateMediaPipe);
        r.Add(BuiltinOperator.BATCH_MATMUL, F, BatchMatMul.Create);

        foreach (var op in new[]
                 {
                     BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL, BuiltinOperator.DIV,
                     BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM, BuiltinOperator.PRELU,
                 })
        {
            r.Add(op, F, Binary.Create);
        }
        foreach (var op in Unary.Operators)
        {
            r.Add(op, F, Unary.Create);
        }

        r.Add(BuiltinOperator.MAX_POOL_2D, F, Pool2D.Create);
        r.Add(BuiltinOperator.AVERAGE_POOL_2D, F, Pool2D.Create);
        foreach (var op in new[] { BuiltinOperator.MEAN, BuiltinOperator.SUM, BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN, BuiltinOperator.REDUCE_PROD })
        {
            r.Add(op, F, Reduce.Create);
        }
        r.Add(BuiltinOperator.SOFTMAX, F, Softmax.Create);
        r.Add(BuiltinOperator.LOG_SOFTMAX, F, Softmax.Create);
        r.Add(BuiltinOperator.L2_NORMALIZATION, F, L2Normalization.Create);
        r.Add(BuiltinOperator.RESIZE_BILINEAR, F, Resize.Create);
        r.Add(BuiltinOperator.DEQUANTIZE, F, Dequantize.Create);

        r.Add(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, any, Resize.Create);
        r.Add(BuiltinOperator.RESHAPE, any, Reshape.Create);
        r.Add(BuiltinOperator.SQUEEZE, any, Reshape.Create);
        r.Add(BuiltinOperator.EXPAND_DIMS, any, Reshape.Create);
        r.Add(BuiltinOperator.CONCATENATION, any, Concatenation.Create);
        r.Add(BuiltinOperator.PAD, any, Pad.Create);
        r.Add(BuiltinOperator.PADV2, any, Pad.Create);
        r.Add(BuiltinOperator.TRANSPOSE, any, Transpose.Create);
        r.Add(BuiltinOperator.SPLIT, any, Split.Create);
        r.Add(BuiltinOperator.SPLIT_V, any, Split.CreateV);
        r.Add(BuiltinOperator.SLICE, any, Slice.Create);
        r.Add(BuiltinOperator.STRIDED_SLICE, any, Slice.CreateStrided);
        r.Add(BuiltinOperator.GATHER, any, Gather.Create);
        r.Add(BuiltinOperator.DEPTH_TO_SPACE, any, DepthToSpace.Create);
        r.Add(BuiltinOperator.SPACE_TO_DEPTH, any, DepthToSpace.Create);
    }
}
