using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// A small full-integer network with float input and output, shaped like what post-training quantization emits
/// (QUANTIZE → convolutions → residual ADD → pooling → FULLY_CONNECTED → SOFTMAX → DEQUANTIZE), against LiteRT.
/// Errors compound through the layers, so this checks the kernels together, not only one by one.
/// </summary>
[TestClass]
public sealed class EndToEndTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void FullIntegerNetworkMatchesLiteRT() => Agreement.Check(BuildNetwork(),
        TestContext,
        floatTolerance: 1.0 / 256 / 0.1); // one output step (1/256) relative to the largest of ten probabilities (≥ 0.1)

    [TestMethod]
    public void IntegerKernelsGiveTheSameBytesOnOneAndTwoThreads()
    {
        var b = new QuantModelBuilder(31);
        var x = b.Input(TensorType.INT8, [2, 21, 19, 24], 0.03f, 5);
        var w = b.Weights([40, 3, 3, 24], 0, true, out var scales);
        var y = b.Output("conv", TensorType.INT8, [2, 21, 19, 40], ConvolutionTests.OutputScale(TensorType.INT8, 0.03f, scales.Average(), 216), 1);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = Padding.SAME, StrideH = 1, StrideW = 1, DilationHFactor = 1, DilationWFactor = 1,
        }), [x, w, b.Bias(40, 0.03f, scales, false)], y);
        var dw = b.Weights([1, 3, 3, 24], 3, true, out var dwScales);
        var z = b.Output("depthwise", TensorType.INT8, [2, 21, 19, 24], 0.05f, 0);
        b.Op(BuiltinOperator.DEPTHWISE_CONV_2D, 3, BuiltinOptionsUnion.FromDepthwiseConv2DOptions(new DepthwiseConv2DOptionsT
        {
            Padding = Padding.SAME, StrideH = 1, StrideW = 1, DilationHFactor = 1, DilationWFactor = 1, DepthMultiplier = 1,
        }), [x, dw, b.Bias(24, 0.03f, dwScales, false)], z);
        var bytes = b.Build();
        byte[][] Run(int threads)
        {
            using var session = new ModelSession(CompiledModel.Load(bytes), new SessionOptions { Threads = threads });
            b.InputData[0].CopyTo(session.GetInputBytes(0));
            session.Run();
            return [session.GetOutputBytes(0).ToArray(), session.GetOutputBytes(1).ToArray()];
        }
        var one = Run(1);
        var two = Run(2);
        CollectionAssert.AreEqual(one[0], two[0]);
        CollectionAssert.AreEqual(one[1], two[1]);
        // Not trivially equal: the outputs vary.
        Assert.IsGreaterThan(10, one[0].Distinct().Count());
    }

    private static QuantModelBuilder BuildNetwork()
    {
        var b = new QuantModelBuilder(30);
        Tensor Act(string name, int[] shape, float scale, long zero) =>
            b.Add(new Tensor(name, TensorType.INT8, shape) { Quantization = QuantModelBuilder.Quant(scale, zero) });
        Conv2DOptionsT ConvOptions(int stride, ActivationFunctionType activation) => new()
        {
            Padding = Padding.SAME, StrideH = stride, StrideW = stride, DilationHFactor = 1, DilationWFactor = 1, FusedActivationFunction = activation,
        };

        var input = b.FloatInput([1, 16, 16, 3], -1f, 1f);
        var q = Act("q", [1, 16, 16, 3], 2f / 255, 0);
        b.Op(BuiltinOperator.QUANTIZE, 1, null, [input], q);

        var w1 = b.Weights([16, 3, 3, 3], 0, true, out var s1);
        var c1 = Act("conv1", [1, 8, 8, 16], 0.02f, -128);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(ConvOptions(2, ActivationFunctionType.RELU6)),
            [q, w1, b.Bias(16, 2f / 255, s1, false)], c1);

        var w2 = b.Weights([1, 3, 3, 16], 3, true, out var s2);
        var c2 = Act("dw", [1, 8, 8, 16], 0.03f, -10);
        b.Op(BuiltinOperator.DEPTHWISE_CONV_2D, 3, BuiltinOptionsUnion.FromDepthwiseConv2DOptions(new DepthwiseConv2DOptionsT
        {
            Padding = Padding.SAME, StrideH = 1, StrideW = 1, DilationHFactor = 1, DilationWFactor = 1, DepthMultiplier = 1,
            FusedActivationFunction = ActivationFunctionType.RELU,
        }), [c1, w2, b.Bias(16, 0.02f, s2, false)], c2);

        var w3 = b.Weights([16, 1, 1, 16], 0, true, out var s3);
        var c3 = Act("project", [1, 8, 8, 16], 0.04f, 3);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(ConvOptions(1, ActivationFunctionType.NONE)),
            [c2, w3, b.Bias(16, 0.03f, s3, false)], c3);

        var sum = Act("residual", [1, 8, 8, 16], 0.05f, -5);
        b.Op(BuiltinOperator.ADD, 2, BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()), [c1, c3], sum);

        var pooled = Act("pool", [1, 1, 1, 16], 0.05f, -5);
        b.Op(BuiltinOperator.AVERAGE_POOL_2D, 2, BuiltinOptionsUnion.FromPool2DOptions(new Pool2DOptionsT
        {
            Padding = Padding.VALID, StrideH = 1, StrideW = 1, FilterHeight = 8, FilterWidth = 8,
        }), [sum], pooled);

        var flat = Act("flat", [1, 16], 0.05f, -5);
        b.Op(BuiltinOperator.RESHAPE, 1, BuiltinOptionsUnion.FromReshapeOptions(new ReshapeOptionsT { NewShape = [1, 16] }),
            [pooled, b.ConstInts(1, 16)], flat);

        var w4 = b.Weights([10, 16], 0, false, out var s4);
        var logits = Act("logits", [1, 10], 0.1f, 0);
        b.Op(BuiltinOperator.FULLY_CONNECTED, 4, BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT()),
            [flat, w4, b.Bias(10, 0.05f, s4, false)], logits);

        var probabilities = Act("softmax", [1, 10], 1f / 256, -128);
        b.Op(BuiltinOperator.SOFTMAX, 2, BuiltinOptionsUnion.FromSoftmaxOptions(new SoftmaxOptionsT { Beta = 1 }), [logits], probabilities);

        var output = b.Output("network output (dequantized probabilities)", TensorType.FLOAT32, [1, 10]);
        b.Op(BuiltinOperator.DEQUANTIZE, 2, null, [probabilities], output);

        return b;
    }
}
