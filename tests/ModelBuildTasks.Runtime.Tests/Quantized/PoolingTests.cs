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

    [TestMethod]
    public void SoftmaxMatchesLiteRT()
    {
        var b = new QuantModelBuilder(11);
        foreach (var (type, outType, inScale, inZero, outScale, outZero, beta, depth) in new[]
                 {
                     (TensorType.INT8, TensorType.INT8, 0.1f, 3L, 1f / 256, -128L, 1f, 10),
                     (TensorType.INT8, TensorType.INT8, 0.05f, -20L, 1f / 256, -128L, 1f, 1001),
                     (TensorType.INT8, TensorType.INT8, 0.02f, 0L, 1f / 256, -128L, 2.5f, 37),
                     (TensorType.UINT8, TensorType.UINT8, 0.1f, 128L, 1f / 256, 0L, 1f, 20),
                     (TensorType.INT8, TensorType.INT16, 0.1f, 3L, 1f / 32768, 0L, 1f, 16),
                 })
        {
            var x = b.Input(type, [3, depth], inScale, inZero);
            var y = b.Output($"SOFTMAX {type}->{outType} depth {depth} beta {beta}", outType, [3, depth], outScale, outZero);
            b.Op(BuiltinOperator.SOFTMAX, outType == TensorType.INT16 ? 3 : 2, BuiltinOptionsUnion.FromSoftmaxOptions(new SoftmaxOptionsT { Beta = beta }), [x], y);
        }
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void MeanAndSumMatchLiteRT()
    {
        var b = new QuantModelBuilder(14);
        foreach (var (op, type, inScale, inZero, outScale, outZero, axes, keep) in new[]
                 {
                     (BuiltinOperator.SUM, TensorType.INT8, 0.01f, 3L, 0.2f, -4L, new[] { 1, 2 }, false),
                     (BuiltinOperator.SUM, TensorType.INT8, 0.01f, -30L, 0.05f, 1L, new[] { 3 }, true),
                     (BuiltinOperator.MEAN, TensorType.INT8, 0.05f, 3L, 0.05f, 3L, new[] { 1, 2 }, true),
                     (BuiltinOperator.MEAN, TensorType.INT8, 0.05f, 3L, 0.02f, -9L, new[] { 1, 2 }, false),
                     (BuiltinOperator.MEAN, TensorType.INT8, 0.05f, -3L, 0.03f, 5L, new[] { -1 }, false),
                     (BuiltinOperator.MEAN, TensorType.UINT8, 0.05f, 128L, 0.01f, 120L, new[] { 0, 2 }, true),
                     (BuiltinOperator.MEAN, TensorType.INT16, 0.0004f, 0L, 0.0002f, 0L, new[] { 1, 2 }, true),
                 })
        {
            int[] shape = [2, 5, 6, 7];
            var outShape = shape.Select((d, i) => axes.Any(a => (a + 4) % 4 == i) ? (keep ? 1 : 0) : d).Where(d => d != 0).ToArray();
            var x = b.Input(type, shape, inScale, inZero);
            var y = b.Output($"{op} {type} axes {string.Join(",", axes)} keep={keep} s {inScale}->{outScale}", type, outShape, outScale, outZero);
            b.Op(op, type == TensorType.INT16 ? 3 : 2, BuiltinOptionsUnion.FromReducerOptions(new ReducerOptionsT { KeepDims = keep }),
                [x, b.ConstInts(axes)], y);
        }
        Agreement.Check(b, TestContext);
    }
}
