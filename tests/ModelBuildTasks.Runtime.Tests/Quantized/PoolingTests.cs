using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>MAX_POOL_2D, AVERAGE_POOL_2D, SOFTMAX and MEAN in int8 and int16 against LiteRT.</summary>
[TestClass]
public sealed class PoolingTests
{
    public TestContext TestContext { get; set; } = null!;

    private static void AddPool(QuantModelBuilder b, BuiltinOperator op, TensorType type, int[] shape, int filter, int stride, Padding padding,
        ActivationFunctionType activation)
    {
        var wide = type == TensorType.INT16;
        var scale = wide ? 0.0003f : 0.04f;
        var zero = wide ? 0 : 6;
        var x = b.Input(type, shape, scale, zero);
        var oh = Compute.ConvGeometry.OutputSize(padding, shape[1], filter, stride, 1);
        var ow = Compute.ConvGeometry.OutputSize(padding, shape[2], filter, stride, 1);
        var y = b.Output($"{op} {type} {filter}x{filter}/{stride} {padding} {activation}", type, [shape[0], oh, ow, shape[3]], scale, zero);
        var options = new Pool2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, FilterHeight = filter, FilterWidth = filter, FusedActivationFunction = activation,
        };
        b.Op(op, wide ? 3 : 2, BuiltinOptionsUnion.FromPool2DOptions(options), [x], y);
    }

    [TestMethod]
    public void PoolsMatchLiteRT()
    {
        var b = new QuantModelBuilder(8);
        AddPool(b, BuiltinOperator.MAX_POOL_2D, TensorType.INT8, [1, 9, 9, 5], 3, 2, Padding.SAME, ActivationFunctionType.NONE);
        AddPool(b, BuiltinOperator.MAX_POOL_2D, TensorType.INT8, [2, 8, 8, 3], 2, 2, Padding.VALID, ActivationFunctionType.RELU6);
        AddPool(b, BuiltinOperator.AVERAGE_POOL_2D, TensorType.INT8, [1, 9, 9, 5], 3, 2, Padding.SAME, ActivationFunctionType.NONE);
        AddPool(b, BuiltinOperator.AVERAGE_POOL_2D, TensorType.INT8, [1, 7, 7, 16], 7, 1, Padding.VALID, ActivationFunctionType.RELU);
        AddPool(b, BuiltinOperator.MAX_POOL_2D, TensorType.INT16, [1, 6, 6, 4], 3, 1, Padding.SAME, ActivationFunctionType.NONE);
        AddPool(b, BuiltinOperator.AVERAGE_POOL_2D, TensorType.INT16, [1, 6, 6, 4], 3, 2, Padding.SAME, ActivationFunctionType.NONE);
        Agreement.Check(b, TestContext);
    }
}
