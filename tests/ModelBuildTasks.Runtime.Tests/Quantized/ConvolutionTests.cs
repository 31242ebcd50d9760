using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV in int8 and 16x8 against LiteRT.</summary>
[TestClass]
public sealed class ConvolutionTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>An output scale that keeps a K-term product mostly inside the output type's range.</summary>
    internal static float OutputScale(TensorType type, float inputScale, float weightScale, int k) =>
        type == TensorType.INT16
            ? (float)(Math.Sqrt(k) * 18900 * 73 * inputScale * weightScale / 6000)
            : (float)(Math.Sqrt(k) * 74 * 73 * inputScale * weightScale / 40);

    private static void AddConv(QuantModelBuilder b, string label, TensorType type, int[] inShape, int outC, int kh, int kw,
        Padding padding, int stride, int dilation, bool perChannel, ActivationFunctionType activation, bool bias = true)
    {
        var wide = type == TensorType.INT16;
        var inScale = wide ? 0.0005f : 0.03f;
        var x = b.Input(type, inShape, inScale, wide ? 0 : 5);
        var w = b.Weights([outC, kh, kw, inShape[3]], 0, perChannel, out var scales);
        var oh = Compute.ConvGeometry.OutputSize(padding, inShape[1], kh, stride, dilation);
        var ow = Compute.ConvGeometry.OutputSize(padding, inShape[2], kw, stride, dilation);
        var k = kh * kw * inShape[3];
        var y = b.Output(label, type, [inShape[0], oh, ow, outC], OutputScale(type, inScale, scales.Average(), k), wide ? 0 : -3);
        var options = new Conv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = dilation, DilationWFactor = dilation,
            FusedActivationFunction = activation,
        };
        b.Op(BuiltinOperator.CONV_2D, wide ? 4 : 3, BuiltinOptionsUnion.FromConv2DOptions(options),
            bias ? [x, w, b.Bias(outC, inScale, scales, wide)] : [x, w], y);
    }

    [TestMethod]
    public void Conv2DInt8And16x8MatchLiteRT()
    {
        var b = new QuantModelBuilder(1);
        AddConv(b, "conv int8 3x3 same per-channel", TensorType.INT8, [1, 9, 11, 5], 7, 3, 3, Padding.SAME, 1, 1, true, ActivationFunctionType.NONE);
        AddConv(b, "conv int8 3x3 valid s2 relu6 per-tensor", TensorType.INT8, [2, 10, 9, 8], 6, 3, 3, Padding.VALID, 2, 1, false, ActivationFunctionType.RELU6);
        AddConv(b, "conv int8 1x1 relu", TensorType.INT8, [1, 6, 6, 33], 17, 1, 1, Padding.SAME, 1, 1, true, ActivationFunctionType.RELU);
        AddConv(b, "conv int8 3x3 same s2 dilation2", TensorType.INT8, [1, 12, 12, 4], 16, 3, 3, Padding.SAME, 1, 2, true, ActivationFunctionType.RELU_N1_TO_1);
        AddConv(b, "conv 16x8 3x3 same per-channel", TensorType.INT16, [1, 8, 8, 6], 5, 3, 3, Padding.SAME, 1, 1, true, ActivationFunctionType.NONE);
        AddConv(b, "conv 16x8 5x5 valid s2 relu", TensorType.INT16, [1, 13, 13, 3], 4, 5, 5, Padding.VALID, 2, 1, true, ActivationFunctionType.RELU);
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void Uint8ConvolutionAndFullyConnectedMatchLiteRT()
    {
        // uint8 models carry asymmetric per-tensor weights with a zero point.
        var b = new QuantModelBuilder(18);
        var x = b.Input(TensorType.UINT8, [1, 7, 7, 6], 0.02f, 128);
        var w = b.Const(TensorType.UINT8, [8, 3, 3, 6], Enumerable.Range(0, 8 * 9 * 6).Select(_ => (long)b.Random.Next(0, 256)).ToArray(),
            QuantModelBuilder.Quant(0.01f, 120));
        var bias = b.Const(TensorType.INT32, [8], Enumerable.Range(0, 8).Select(_ => (long)b.Random.Next(-2000, 2000)).ToArray(),
            QuantModelBuilder.Quant(0.0002f, 0));
        var y = b.Output("conv uint8 3x3 same relu", TensorType.UINT8, [1, 7, 7, 8], OutputScale(TensorType.INT8, 0.02f, 0.01f, 54), 100);
        b.Op(BuiltinOperator.CONV_2D, 1, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = Padding.SAME, StrideH = 1, StrideW = 1, DilationHFactor = 1, DilationWFactor = 1, FusedActivationFunction = ActivationFunctionType.RELU,
        }), [x, w, bias], y);
        var fx = b.Input(TensorType.UINT8, [5, 30], 0.03f, 100);
        var fw = b.Const(TensorType.UINT8, [12, 30], Enumerable.Range(0, 360).Select(_ => (long)b.Random.Next(0, 256)).ToArray(), QuantModelBuilder.Quant(0.01f, 131));
        var fb = b.Const(TensorType.INT32, [12], Enumerable.Range(0, 12).Select(_ => (long)b.Random.Next(-2000, 2000)).ToArray(), QuantModelBuilder.Quant(0.0003f, 0));
        var fy = b.Output("fc uint8", TensorType.UINT8, [5, 12], OutputScale(TensorType.INT8, 0.03f, 0.01f, 30), 128);
        b.Op(BuiltinOperator.FULLY_CONNECTED, 1, BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT()), [fx, fw, fb], fy);
        Agreement.Check(b, TestContext);
    }

    private static void AddFullyConnected(QuantModelBuilder b, string label, TensorType type, int rows, int k, int n, bool perChannel,
        ActivationFunctionType activation)
    {
        var wide = type == TensorType.INT16;
        var inScale = wide ? 0.0004f : 0.05f;
        var x = b.Input(type, [rows, k], inScale, wide ? 0 : -7);
        var w = b.Weights([n, k], 0, perChannel, out var scales);
        var y = b.Output(label, type, [rows, n], OutputScale(type, inScale, scales.Average(), k), wide ? 0 : 4);
        var options = new FullyConnectedOptionsT { FusedActivationFunction = activation };
        b.Op(BuiltinOperator.FULLY_CONNECTED, wide ? 7 : perChannel ? 12 : 4, BuiltinOptionsUnion.FromFullyConnectedOptions(options),
            [x, w, b.Bias(n, inScale, scales, wide)], y);
    }

    [TestMethod]
    public void FullyConnectedInt8And16x8MatchLiteRT()
    {
        var b = new QuantModelBuilder(2);
        AddFullyConnected(b, "fc int8 per-tensor", TensorType.INT8, 3, 70, 21, false, ActivationFunctionType.NONE);
        AddFullyConnected(b, "fc int8 per-tensor relu", TensorType.INT8, 1, 256, 100, false, ActivationFunctionType.RELU);
        AddFullyConnected(b, "fc int8 per-channel 9 rows (packed)", TensorType.INT8, 9, 75, 40, true, ActivationFunctionType.NONE);
        AddFullyConnected(b, "fc 16x8 per-tensor", TensorType.INT16, 2, 300, 13, false, ActivationFunctionType.NONE);
        AddFullyConnected(b, "fc 16x8 long run relu6", TensorType.INT16, 1, 3000, 9, false, ActivationFunctionType.RELU6);
        Agreement.Check(b, TestContext);
    }

    private static void AddDepthwise(QuantModelBuilder b, string label, TensorType type, int[] inShape, int multiplier, int k,
        Padding padding, int stride, int dilation, ActivationFunctionType activation)
    {
        var wide = type == TensorType.INT16;
        var inScale = wide ? 0.0005f : 0.03f;
        var x = b.Input(type, inShape, inScale, wide ? 0 : -10);
        var outC = inShape[3] * multiplier;
        var w = b.Weights([1, k, k, outC], 3, true, out var scales);
        var oh = Compute.ConvGeometry.OutputSize(padding, inShape[1], k, stride, dilation);
        var ow = Compute.ConvGeometry.OutputSize(padding, inShape[2], k, stride, dilation);
        var y = b.Output(label, type, [inShape[0], oh, ow, outC], OutputScale(type, inScale, scales.Average(), k * k), wide ? 0 : 2);
        var options = new DepthwiseConv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = dilation, DilationWFactor = dilation,
            DepthMultiplier = multiplier, FusedActivationFunction = activation,
        };
        b.Op(BuiltinOperator.DEPTHWISE_CONV_2D, wide ? 5 : 3, BuiltinOptionsUnion.FromDepthwiseConv2DOptions(options),
            [x, w, b.Bias(outC, inScale, scales, wide)], y);
    }

    [TestMethod]
    public void DepthwiseConv2DInt8And16x8MatchLiteRT()
    {
        var b = new QuantModelBuilder(3);
        AddDepthwise(b, "dw int8 3x3 same", TensorType.INT8, [1, 10, 10, 19], 1, 3, Padding.SAME, 1, 1, ActivationFunctionType.NONE);
        AddDepthwise(b, "dw int8 5x5 same s2 relu6", TensorType.INT8, [2, 11, 9, 8], 1, 5, Padding.SAME, 2, 1, ActivationFunctionType.RELU6);
        AddDepthwise(b, "dw int8 3x3 valid multiplier 2 dilation 2", TensorType.INT8, [1, 9, 9, 3], 2, 3, Padding.VALID, 1, 2, ActivationFunctionType.RELU);
        AddDepthwise(b, "dw 16x8 3x3 same", TensorType.INT16, [1, 7, 7, 12], 1, 3, Padding.SAME, 1, 1, ActivationFunctionType.NONE);
        AddDepthwise(b, "dw 16x8 3x3 valid s2 multiplier 3", TensorType.INT16, [1, 8, 8, 2], 3, 3, Padding.VALID, 2, 1, ActivationFunctionType.RELU6);
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void TransposeConvInt8And16x8MatchLiteRT()
    {
        var b = new QuantModelBuilder(15);
        foreach (var (type, padding, stride, k, perChannel) in new[]
                 {
                     (TensorType.INT8, Padding.SAME, 2, 3, true), (TensorType.INT8, Padding.VALID, 2, 2, false),
                     (TensorType.INT8, Padding.SAME, 1, 3, true), (TensorType.INT16, Padding.SAME, 2, 3, true),
                 })
        {
            var wide = type == TensorType.INT16;
            int[] inShape = [1, 5, 4, 6];
            const int OutC = 5;
            var oh = padding == Padding.SAME ? inShape[1] * stride : (inShape[1] - 1) * stride + k;
            var ow = padding == Padding.SAME ? inShape[2] * stride : (inShape[2] - 1) * stride + k;
            var inScale = wide ? 0.0005f : 0.03f;
            var x = b.Input(type, inShape, inScale, wide ? 0 : 4);
            var w = b.Weights([OutC, k, k, inShape[3]], 0, perChannel, out var scales);
            var y = b.Output($"TRANSPOSE_CONV {type} {k}x{k}/{stride} {padding} per-channel={perChannel}", type, [1, oh, ow, OutC],
                OutputScale(type, inScale, scales.Average(), inShape[3] * 2), wide ? 0 : -6);
            var options = new TransposeConvOptionsT { Padding = padding, StrideH = stride, StrideW = stride };
            b.Op(BuiltinOperator.TRANSPOSE_CONV, 3, BuiltinOptionsUnion.FromTransposeConvOptions(options),
                [b.ConstInts(1, oh, ow, OutC), w, x, b.Bias(OutC, inScale, scales, wide)], y);
        }
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void BatchMatMulInt8MatchesLiteRT()
    {
        var b = new QuantModelBuilder(19);
        foreach (var (shapeA, shapeB, outShape, adjX, adjY) in new[]
                 {
                     (new[] { 2, 5, 12 }, new[] { 2, 12, 7 }, new[] { 2, 5, 7 }, false, false),
                     (new[] { 3, 1, 4, 9 }, new[] { 2, 9, 6 }, new[] { 3, 2, 4, 6 }, false, false),
                     (new[] { 2, 12, 5 }, new[] { 2, 7, 12 }, new[] { 2, 5, 7 }, true, true),
                 })
        {
            var k = adjX ? shapeA[^2] : shapeA[^1];
            var x = b.Input(TensorType.INT8, shapeA, 0.05f, 4);
            var y = b.Input(TensorType.INT8, shapeB, 0.04f, -3);
            var z = b.Output($"BATCH_MATMUL int8 {string.Join("x", shapeA)} · {string.Join("x", shapeB)} adj {adjX}/{adjY}", TensorType.INT8, outShape,
                (float)(Math.Sqrt(k) * 74 * 74 * 0.05 * 0.04 / 40), 2);
            b.Op(BuiltinOperator.BATCH_MATMUL, 4, BuiltinOptionsUnion.FromBatchMatMulOptions(new BatchMatMulOptionsT { AdjX = adjX, AdjY = adjY }), [x, y], z);
        }
        Agreement.Check(b, TestContext);
    }
}
