using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>The fixed-point primitives on hand-computed values, and coded load errors for bad quantized models.</summary>
[TestClass]
public sealed class FixedPointAndErrorTests
{
    [TestMethod]
    public void QuantizedMultipliersSplitIntoMantissaAndShift()
    {
        Assert.AreEqual((1 << 30, 0), FixedPoint.Quantize(0.5));
        Assert.AreEqual((1 << 30, 1), FixedPoint.Quantize(1.0));
        Assert.AreEqual((1610612736, 0), FixedPoint.Quantize(0.75));
        Assert.AreEqual((1 << 30, -3), FixedPoint.Quantize(0.0625));
        Assert.AreEqual((0, 0), FixedPoint.Quantize(0));
        // A mantissa that rounds up to 2^31 moves into the exponent.
        Assert.AreEqual((1 << 30, 1), FixedPoint.Quantize(1 - 1e-12));
    }

    [TestMethod]
    public void Int32RescalingRoundsAsGemmlowp()
    {
        // The doubling high multiply rounds halves up: 3·0.5 = 1.5 → 2, −3·0.5 = −1.5 → −1
        // ((−3·2^30 + 1 − 2^30) / 2^31 truncates to −1).
        Assert.AreEqual(2, FixedPoint.MultiplyByQuantizedMultiplier(3, 1 << 30, 0));
        Assert.AreEqual(-1, FixedPoint.MultiplyByQuantizedMultiplier(-3, 1 << 30, 0));
        // 1000·0.75·2^-3 = 93.75 → 94.
        Assert.AreEqual(94, FixedPoint.MultiplyByQuantizedMultiplier(1000, 1610612736, -3));
        Assert.AreEqual(int.MaxValue, FixedPoint.SaturatingRoundingDoublingHighMul(int.MinValue, int.MinValue));
        // The right shift rounds half away from zero: −2.5 → −3, 2.5 → 3.
        Assert.AreEqual(-3, FixedPoint.RoundingDivideByPot(-10, 2));
        Assert.AreEqual(3, FixedPoint.RoundingDivideByPot(10, 2));
    }

    [TestMethod]
    public void Int64RescalingRoundsHalfUp()
    {
        // The 16x8 path reduces the multiplier to 2^14 and rounds once, half up: −1.5 → −1.
        Assert.AreEqual(2, FixedPoint.MultiplyByQuantizedMultiplier(3L, 1 << 30, 0));
        Assert.AreEqual(-1, FixedPoint.MultiplyByQuantizedMultiplier(-3L, 1 << 30, 0));
        // Accumulators beyond int32 (here 2^40) are scaled without overflow: 2^40·0.5·2^-10 = 2^29.
        Assert.AreEqual(1 << 29, FixedPoint.MultiplyByQuantizedMultiplier(1L << 40, 1 << 30, -10));
    }

    [TestMethod]
    public unsafe void VectorRequantizationEqualsTheScalarOne()
    {
        var random = new Random(5);
        var multipliers = new int[8];
        var shifts = new int[8];
        var bias = new long[8];
        var bias32 = new int[8];
        var sums = new int[8];
        fixed (int* m = multipliers, sh = shifts, b32 = bias32, v = sums)
        fixed (long* b = bias)
        {
            for (var trial = 0; trial < 20000; trial++)
            {
                for (var c = 0; c < 8; c++)
                {
                    (multipliers[c], shifts[c]) = FixedPoint.Quantize(Math.Exp(random.NextDouble() * 24 - 20));
                    bias32[c] = random.Next(-100000, 100000);
                    bias[c] = bias32[c];
                    sums[c] = trial % 3 == 0 ? random.Next() - random.Next() : random.Next(-2000000, 2000000);
                }
                var view = new RequantizerView
                {
                    Multiplier = m, Shift = sh, Bias = b, Bias32 = b32, OutputZero = random.Next(-128, 128), ActivationMin = -128, ActivationMax = 127,
                };
                var expected = new int[8];
                for (var c = 0; c < 8; c++)
                {
                    expected[c] = view.Requantize(sums[c], c);
                }
                view.Requantize8(v, 0);
                CollectionAssert.AreEqual(expected, sums, $"trial {trial}");
            }
        }
    }

    private static ModelRuntimeException LoadFails(QuantModelBuilder b) =>
        Assert.ThrowsExactly<ModelRuntimeException>(() => ModelSession.Load(b.Build()));

    [TestMethod]
    public void ConvolutionWithoutInputQuantizationIsACodedError()
    {
        var b = new QuantModelBuilder(20);
        var x = b.Input(TensorType.INT8, [1, 4, 4, 2], 0.1f, 0);
        x.Quantization = null;
        var w = b.Weights([3, 1, 1, 2], 0, true, out var scales);
        var y = b.Output("conv", TensorType.INT8, [1, 4, 4, 3], 0.1f, 0);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT { StrideH = 1, StrideW = 1 }),
            [x, w, b.Bias(3, 0.1f, scales, false)], y);
        var e = LoadFails(b);
        Assert.AreEqual(RuntimeErrorCodes.InvalidOperator, e.Code);
        StringAssert.Contains(e.Message, "in_00");
        StringAssert.Contains(e.Message, "quantization");
    }

    [TestMethod]
    public void PerChannelScaleCountMismatchIsACodedError()
    {
        var b = new QuantModelBuilder(21);
        var x = b.Input(TensorType.INT8, [1, 4], 0.1f, 0);
        var w = b.Weights([3, 4], 0, true, out _);
        w.Quantization = TensorQuantization.PerAxis([0.1f, 0.2f], [0, 0], 0);
        var y = b.Output("fc", TensorType.INT8, [1, 3], 0.1f, 0);
        b.Op(BuiltinOperator.FULLY_CONNECTED, 4, BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT()), [x, w], y);
        var e = LoadFails(b);
        Assert.AreEqual(RuntimeErrorCodes.InvalidOperator, e.Code);
        StringAssert.Contains(e.Message, "expected 1 or 3");
    }

    [TestMethod]
    public void ZeroPointOutsideTheTypeIsACodedError()
    {
        var b = new QuantModelBuilder(22);
        var x = b.Input(TensorType.INT8, [4], 0.1f, 0);
        var y = b.Input(TensorType.INT8, [4], 0.1f, 0);
        y.Quantization = QuantModelBuilder.Quant(0.1f, 300);
        var z = b.Output("add", TensorType.INT8, [4], 0.1f, 0);
        b.Op(BuiltinOperator.ADD, 2, BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()), [x, y], z);
        var e = LoadFails(b);
        Assert.AreEqual(RuntimeErrorCodes.InvalidOperator, e.Code);
        StringAssert.Contains(e.Message, "zero point 300");
    }

    [TestMethod]
    public void OpsWithoutAnInt16KernelFailAtLoadNamingTheType()
    {
        var b = new QuantModelBuilder(23);
        var x = b.Input(TensorType.INT16, [8], 1f / 4096, 0);
        var y = b.Output("hard swish", TensorType.INT16, [8], 1f / 4096, 0);
        b.Op(BuiltinOperator.HARD_SWISH, 1, null, [x], y);
        var e = LoadFails(b);
        Assert.AreEqual(RuntimeErrorCodes.UnsupportedOperator, e.Code);
        StringAssert.Contains(e.Message, "HARD_SWISH");
        StringAssert.Contains(e.Message, "int16");
    }
}
