using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// The int8 depthwise interior path multiplies taps two at a time (an odd last tap paired with a zero weight):
/// even and odd tap counts, non-square kernels and 16-, 8- and leftover channel groups, two pixels at once for 8 channels, exact against LiteRT.
/// </summary>
[TestClass]
public sealed class DepthwiseTapPairTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void EvenAndOddTapCountsMatchLiteRT()
    {
        var b = new QuantModelBuilder(53);
        Add(b, "dw 2x2 valid, 32 channels", [1, 12, 11, 32], 2, 2, Padding.VALID, 1, -128);
        Add(b, "dw 1x3 same, 27 channels", [1, 10, 14, 27], 1, 3, Padding.SAME, 1, 40);
        Add(b, "dw 4x4 same s2, 24 channels", [1, 15, 16, 24], 4, 4, Padding.SAME, 2, 0);
        Add(b, "dw 1x1, 8 channels", [1, 6, 7, 8], 1, 1, Padding.VALID, 1, 3);
        // Eight channels at stride 1 take two pixels per vector; 13 interior columns leave one pixel over.
        Add(b, "dw 3x3 same, 8 channels", [1, 9, 15, 8], 3, 3, Padding.SAME, 1, -7);
        var results = Agreement.Measure(b, TestContext);
        Assert.HasCount(5, results);
        foreach (var r in results)
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    private static void Add(QuantModelBuilder b, string label, int[] inShape, int kh, int kw, Padding padding, int stride, int inZero)
    {
        const float inScale = 0.03f;
        var x = b.Input(TensorType.INT8, inShape, inScale, inZero);
        var channels = inShape[3];
        var w = b.Weights([1, kh, kw, channels], 3, true, out var scales);
        var oh = Compute.ConvGeometry.OutputSize(padding, inShape[1], kh, stride, 1);
        var ow = Compute.ConvGeometry.OutputSize(padding, inShape[2], kw, stride, 1);
        var y = b.Output(label, TensorType.INT8, [inShape[0], oh, ow, channels],
            ConvolutionTests.OutputScale(TensorType.INT8, inScale, scales.Average(), kh * kw), -1);
        b.Op(BuiltinOperator.DEPTHWISE_CONV_2D, 3, BuiltinOptionsUnion.FromDepthwiseConv2DOptions(new DepthwiseConv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = 1, DilationWFactor = 1,
            DepthMultiplier = 1,
        }), [x, w, b.Bias(channels, inScale, scales, false)], y);
    }
}
