using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;
using ModelBuildTasks.Runtime.Kernels.Quantized;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// The VNNI dot products (unsigned activation bytes × signed weight bytes, int8 activations offset by 128 and
/// corrected with the weights' sums) against the int16 pmaddwd path: the int32 accumulators and the requantized
/// outputs must be identical, not merely close.
/// </summary>
[TestClass]
public sealed unsafe class VnniTests
{
    [TestMethod]
    [DataRow(16, 4, 1)]
    [DataRow(16, 27, 4)]
    [DataRow(37, 1, 3)]
    [DataRow(5, 130, 2)]
    [DataRow(48, 1152, 4)]
    public void VnniAndInt16PathsGiveIdenticalAccumulators(int n, int k, int count)
    {
        var random = new Random(n * 1000 + k);
        // Full signed-byte weights, -128 included (symmetric int8 weights stop at -127, uint8 ones minus a zero point may not).
        var weights = new short[n * k + 16];
        for (var i = 0; i < n * k; i++)
        {
            weights[i] = (short)random.Next(-128, 128);
        }
        weights[0] = -128;
        weights[n * k - 1] = 127;
        foreach (var signed in new[] { true, false })
        {
            // Activations as the kernels hold them: raw values for the int16 path, VNNI's unsigned bytes for the other.
            var activations = new int[count, k];
            for (var r = 0; r < count; r++)
            {
                for (var i = 0; i < k; i++)
                {
                    activations[r, i] = signed ? random.Next(-128, 128) : random.Next(0, 256);
                }
                activations[r, 0] = signed ? -128 : 255;
            }
            var int16Sums = Int16PathSums(weights, n, k, activations, count);
            var vnniSums = VnniPathSums(weights, n, k, activations, count, signed);
            for (var r = 0; r < count; r++)
            {
                for (var c = 0; c < n; c++)
                {
                    long expected = 0;
                    for (var i = 0; i < k; i++)
                    {
                        expected += activations[r, i] * weights[c * k + i];
                    }
                    Assert.AreEqual((int)expected, int16Sums[r, c], $"int16 path, row {r} column {c}, signed={signed}");
                    Assert.AreEqual(int16Sums[r, c], vnniSums[r, c], $"VNNI path, row {r} column {c}, signed={signed}");
                }
            }
        }
    }

    [TestMethod]
    public void WeightsOutsideSignedBytesStayOnTheInt16Path()
    {
        var weights = new short[] { 1, 2, 3, 128, 0, 0, 0, 0 };
        Assert.IsNull(PackedInt8Weights.TryCreate(weights, 2, 4, signedActivations: false));
        weights[3] = -129;
        Assert.IsNull(PackedInt8Weights.TryCreate(weights, 2, 4, signedActivations: true));
        weights[3] = -128;
        Assert.IsNotNull(PackedInt8Weights.TryCreate(weights, 2, 4, signedActivations: true));
    }

    [TestMethod]
    public void Int8AndUint8ModelsGiveTheSameBytesOnBothPaths()
    {
        var b = new QuantModelBuilder(41);
        // int8 convolutions (3x3 with padding, whose border patches hold the zero point; 1x1 with an odd depth).
        var x = b.Input(TensorType.INT8, [1, 13, 11, 24], 0.03f, 5);
        var w = b.Weights([40, 3, 3, 24], 0, true, out var scales);
        var y = b.Output("conv 3x3", TensorType.INT8, [1, 13, 11, 40], ConvolutionTests.OutputScale(TensorType.INT8, 0.03f, scales.Average(), 216), 1);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = Padding.SAME, StrideH = 1, StrideW = 1, DilationHFactor = 1, DilationWFactor = 1,
        }), [x, w, b.Bias(40, 0.03f, scales, false)], y);
        var x1 = b.Input(TensorType.INT8, [1, 7, 9, 33], 0.02f, -20);
        var w1 = b.Weights([21, 1, 1, 33], 0, true, out var scales1);
        var y1 = b.Output("conv 1x1", TensorType.INT8, [1, 7, 9, 21], ConvolutionTests.OutputScale(TensorType.INT8, 0.02f, scales1.Average(), 33), -3);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = Padding.VALID, StrideH = 1, StrideW = 1, DilationHFactor = 1, DilationWFactor = 1,
            FusedActivationFunction = ActivationFunctionType.RELU6,
        }), [x1, w1, b.Bias(21, 0.02f, scales1, false)], y1);
        // A one-channel head (one lane of a 16-channel panel used), with padding.
        var x2 = b.Input(TensorType.INT8, [1, 12, 10, 8], 0.03f, 3);
        var w2 = b.Weights([1, 3, 3, 8], 0, true, out var scales2);
        var y2 = b.Output("conv one channel", TensorType.INT8, [1, 12, 10, 1], ConvolutionTests.OutputScale(TensorType.INT8, 0.03f, scales2.Average(), 72), 0);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = Padding.SAME, StrideH = 1, StrideW = 1, DilationHFactor = 1, DilationWFactor = 1,
        }), [x2, w2, b.Bias(1, 0.03f, scales2, false)], y2);
        // int8 and uint8 FULLY_CONNECTED with a batch that the packed kernel takes (uint8 weights within ±127 of their zero point).
        var fx = b.Input(TensorType.INT8, [6, 70], 0.05f, -7);
        var fw = b.Weights([19, 70], 0, false, out var fScales);
        var fy = b.Output("fc int8", TensorType.INT8, [6, 19], ConvolutionTests.OutputScale(TensorType.INT8, 0.05f, fScales[0], 70), 2);
        b.Op(BuiltinOperator.FULLY_CONNECTED, 9, BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT()),
            [fx, fw, b.Bias(19, 0.05f, fScales, false)], fy);
        var ux = b.Input(TensorType.UINT8, [5, 30], 0.03f, 100);
        var uw = b.Const(TensorType.UINT8, [12, 30], Enumerable.Range(0, 360).Select(_ => (long)b.Random.Next(10, 250)).ToArray(),
            QuantModelBuilder.Quant(0.01f, 128));
        var ub = b.Const(TensorType.INT32, [12], Enumerable.Range(0, 12).Select(_ => (long)b.Random.Next(-2000, 2000)).ToArray(),
            QuantModelBuilder.Quant(0.0003f, 0));
        var uy = b.Output("fc uint8", TensorType.UINT8, [5, 12], ConvolutionTests.OutputScale(TensorType.INT8, 0.03f, 0.01f, 30), 128);
        b.Op(BuiltinOperator.FULLY_CONNECTED, 1, BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT()), [ux, uw, ub], uy);
        var bytes = b.Build();

        byte[][] Run(Int8DotPath path)
        {
            CompiledModel model;
            using (Int8DotPaths.Force(path))
            {
                model = CompiledModel.Load(bytes);
            }
            foreach (var step in model.Steps)
            {
                var prepared = step.Kernel switch
                {
                    Conv2D conv => conv.DotPath,
                    FullyConnected fc => fc.DotPath,
                    _ => throw new AssertFailedException($"unexpected kernel {step.Kernel}"),
                };
                Assert.AreEqual(path, prepared, $"operator {step.OperatorIndex}");
            }
            using var session = new ModelSession(model, new SessionOptions { Threads = 2 });
            for (var i = 0; i < b.InputData.Count; i++)
            {
                b.InputData[i].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            return Enumerable.Range(0, model.Outputs.Count).Select(i => session.GetOutputBytes(i).ToArray()).ToArray();
        }

        Assert.AreEqual(13L * 11 * 40 * 216 + 7 * 9 * 21 * 33 + 12 * 10 * 72 + 6 * 19 * 70 + 5 * 12 * 30, CompiledModel.Load(bytes).MultiplyAccumulates);
        var int16 = Run(Int8DotPath.Int16Pairs);
        var vnni = Run(Int8DotPath.Vnni);
        Assert.HasCount(5, vnni);
        for (var i = 0; i < int16.Length; i++)
        {
            CollectionAssert.AreEqual(int16[i], vnni[i], b.OutputLabels[i]);
            // Not trivially equal: every output varies.
            Assert.IsGreaterThan(5, int16[i].Distinct().Count(), b.OutputLabels[i]);
        }
    }

    [TestMethod]
    public void TheFastestPathIsChosenByDefault() =>
        Assert.AreEqual(AvxVnni.IsSupported ? Int8DotPath.Vnni : Int8DotPath.Int16Pairs, Int8DotPaths.Current);

    private static int[,] Int16PathSums(short[] weights, int n, int k, int[,] activations, int count)
    {
        var packed = new PackedInt16Weights(weights, n, k);
        var stride = k + 2;
        var rows = new short[PackedInt8Gemm.Rows * stride];
        for (var r = 0; r < count; r++)
        {
            for (var i = 0; i < k; i++)
            {
                rows[r * stride + i] = (short)activations[r, i];
            }
        }
        var result = new int[count, n];
        var sums = new int[64];
        fixed (short* a = rows)
        fixed (int* s = sums)
        {
            for (var p = 0; p < packed.Panels; p++)
            {
                PackedInt8Gemm.Panel(a, a + Row(1, count) * stride, a + Row(2, count) * stride, a + Row(3, count) * stride,
                    packed.Data + (nint)p * packed.Pairs * 32, packed.Pairs, s);
                Collect(sums, result, p, n, count);
            }
        }
        return result;
    }

    private static int[,] VnniPathSums(short[] weights, int n, int k, int[,] activations, int count, bool signed)
    {
        var packed = PackedInt8Weights.TryCreate(weights, n, k, signed);
        Assert.IsNotNull(packed);
        var stride = VnniInt8Gemm.RowStride(k);
        var rows = new byte[VnniInt8Gemm.Rows * stride];
        var source = new byte[k];
        var result = new int[count, n];
        var sums = new int[64];
        fixed (byte* a = rows)
        fixed (byte* src = source)
        fixed (int* s = sums)
        {
            for (var r = 0; r < count; r++)
            {
                for (var i = 0; i < k; i++)
                {
                    source[i] = (byte)activations[r, i];
                }
                if (signed)
                {
                    VnniInt8Gemm.ToUnsigned((sbyte*)src, a + r * stride, k);
                }
                else
                {
                    VnniInt8Gemm.ToUnsigned(src, a + r * stride, k);
                }
            }
            for (var p = 0; p < packed.Panels; p++)
            {
                VnniInt8Gemm.Panel(a, a + Row(1, count) * stride, a + Row(2, count) * stride, a + Row(3, count) * stride,
                    packed.Data + (nint)p * packed.PanelBytes, packed.Quads, packed.Corrections + p * PackedInt8Weights.Columns, s);
                Collect(sums, result, p, n, count);
            }
        }
        return result;
    }

    /// <summary>Rows beyond the real ones repeat row 0, as the kernels pass them.</summary>
    private static int Row(int r, int count) => r < count ? r : 0;

    private static void Collect(int[] sums, int[,] result, int panel, int n, int count)
    {
        for (var r = 0; r < count; r++)
        {
            for (var j = 0; j < 16 && panel * 16 + j < n; j++)
            {
                result[r, panel * 16 + j] = sums[r * 16 + j];
            }
        }
    }
}
