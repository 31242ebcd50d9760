using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// The integer kernels (int8, uint8, int16) and the hybrid float kernels with int8 weights. Registered after the
/// float32 ones, so entries here replace a type-agnostic kernel where integer data needs its own arithmetic.
/// </summary>
internal static class Registrations
{
    private static readonly TensorType[] Int8And16 = [TensorType.INT8, TensorType.UINT8, TensorType.INT16];

    public static void Register(KernelRegistry r)
    {
        r.Add(BuiltinOperator.CONV_2D, Int8And16, Conv2D.Create);
        // Float outputs: hybrid when the weights are int8, else the float32 kernel.
        r.Add(BuiltinOperator.CONV_2D, TensorType.FLOAT32,
            s => s.Input(1).Type == TensorType.INT8 ? HybridConv2D.Create(s) : Float32.Conv2D.Create(s));
        r.Add(BuiltinOperator.FULLY_CONNECTED, TensorType.FLOAT32,
            s => s.Input(1).Type == TensorType.INT8 ? HybridFullyConnected.Create(s) : Float32.FullyConnected.Create(s));
        r.Add(BuiltinOperator.FULLY_CONNECTED, Int8And16, FullyConnected.Create);
        r.Add(BuiltinOperator.DEPTHWISE_CONV_2D, Int8And16, DepthwiseConv2D.Create);
        r.Add(BuiltinOperator.TRANSPOSE_CONV, Int8And16, TransposeConv.Create);
        r.Add(BuiltinOperator.BATCH_MATMUL, [TensorType.INT8, TensorType.INT16, TensorType.INT32], BatchMatMul.Create);
        r.Add(BuiltinOperator.BATCH_MATMUL, TensorType.FLOAT32,
            s => s.Input(1).Type == TensorType.INT8 ? HybridBatchMatMul.Create(s) : Float32.BatchMatMul.Create(s));
        foreach (var op in new[]
                 {
                     BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL, BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM,
                 })
        {
            r.Add(op, Int8And16, Elementwise.Create);
        }
        r.Add(BuiltinOperator.PRELU, [TensorType.INT8, TensorType.UINT8], Elementwise.Create);
        // 16x8 PRELU: int16 data, int8 alpha (LiteRT reads alpha as int8 whatever its declared type).
        r.Add(BuiltinOperator.PRELU, TensorType.INT16, Int16Prelu.Create);
        foreach (var op in new[]
                 {
                     BuiltinOperator.RELU, BuiltinOperator.RELU6, BuiltinOperator.RELU_N1_TO_1, BuiltinOperator.LEAKY_RELU,
                 })
        {
            r.Add(op, Int8And16, LookupTable.Create);
        }
        // 8-bit: the function rounded to the output scale; int16: TFLite's sigmoid table with interpolation (gemmlowp's
        // fixed point for the power-of-two input scales LiteRT sends there).
        r.Add(BuiltinOperator.LOGISTIC, Int8And16, LookupTable.Create);
        r.Add(BuiltinOperator.TANH, Int8And16, LookupTable.Create);
        r.Add(BuiltinOperator.HARD_SWISH, [TensorType.INT8, TensorType.UINT8], LookupTable.Create);
        r.Add(BuiltinOperator.QUANTIZE, Int8And16, Quantize.Create);
        r.Add(BuiltinOperator.SOFTMAX, Int8And16, Softmax.Create);
        r.Add(BuiltinOperator.LOG_SOFTMAX, [TensorType.INT8, TensorType.UINT8], LogSoftmax.Create);
        r.Add(BuiltinOperator.L2_NORMALIZATION, [TensorType.INT8, TensorType.UINT8], L2Normalization.Create);
        r.Add(BuiltinOperator.MEAN, Int8And16, Mean.Create);
        r.Add(BuiltinOperator.SUM, Int8And16, Mean.Create);
        r.Add(BuiltinOperator.REDUCE_MAX, Int8And16, ReduceExtreme.Create);
        r.Add(BuiltinOperator.REDUCE_MIN, Int8And16, ReduceExtreme.Create);
        r.Add(BuiltinOperator.RESIZE_BILINEAR, Int8And16, ResizeBilinear.Create);
        r.Add(BuiltinOperator.CONCATENATION, Int8And16, Concatenation.Create);
        r.Add(BuiltinOperator.MAX_POOL_2D, Int8And16, Pool2D.Create);
        r.Add(BuiltinOperator.AVERAGE_POOL_2D, Int8And16, Pool2D.Create);
    }
}
