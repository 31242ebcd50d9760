using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// int8 DEPTHWISE_CONV_2D with depth multiplier 1 on images large enough that most pixels take the register-blocked
/// interior path (every tap inside the image) and the rest the per-tap border path: strides, dilation, padding,
/// a channel count that leaves a tail of fewer than 8, and a batch of two, against LiteRT.
/// </summary>
[TestClass]
public sealed class DepthwiseInteriorTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void InteriorAndBorderPixelsMatchLiteRT()
    {
        var b = new QuantModelBuilder(52);
        Add(b, "dw 3x3 same, 20 channels", [1, 16, 13, 20], 3, Padding.SAME, 1, 1, ActivationFunctionType.NONE);
        Add(b, "dw 3x3 valid s2 dilation 2", [1, 17, 15, 16], 3, Padding.VALID, 2, 2, ActivationFunctionType.RELU);
        Add(b, "dw 5x5 same s2 relu6", [2, 19, 18, 8], 5, Padding.SAME, 2, 1, ActivationFunctionType.RELU6);
        Add(b, "dw 3x3 same s2 on an even size", [1, 14, 14, 24], 3, Padding.SAME, 2, 1, ActivationFunctionType.NONE);
        // Integer sums and the same requantization as LiteRT's: every element is expected to be exact.
        var results = Agreement.Measure(b, TestContext);
        Assert.HasCount(4, results);
        foreach (var r in results)
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    private static void Add(QuantModelBuilder b, string label, int[] inShape, int k, Padding padding, int stride, int dilation,
        ActivationFunctionType activation)
    {
        const float inScale = 0.03f;
        var x = b.Input(TensorType.INT8, inShape, inScale, -10);
        var channels = inShape[3];
        var w = b.Weights([1, k, k, channels], 3, true, out var scales);
        var oh = Compute.ConvGeometry.OutputSize(padding, inShape[1], k, stride, dilation);
        var ow = Compute.ConvGeometry.OutputSize(padding, inShape[2], k, stride, dilation);
        var y = b.Output(label, TensorType.INT8, [inShape[0], oh, ow, channels],
            ConvolutionTests.OutputScale(TensorType.INT8, inScale, scales.Average(), k * k), 2);
        b.Op(BuiltinOperator.DEPTHWISE_CONV_2D, 3, BuiltinOptionsUnion.FromDepthwiseConv2DOptions(new DepthwiseConv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = dilation, DilationWFactor = dilation,
            DepthMultiplier = 1, FusedActivationFunction = activation,
        }), [x, w, b.Bias(channels, inScale, scales, false)], y);
    }
}
