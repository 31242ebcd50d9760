using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// The vectorized and multi-threaded paths of the 8-bit elementwise, pooling, resize, lookup, QUANTIZE, DEQUANTIZE
/// and PAD kernels: tensors big enough for full vectors, odd sizes for the scalar tails, broadcast patterns that
/// give long rows, short rows and repeated operands, and outputs large enough to be split over two threads. Every
/// output must equal LiteRT's byte for byte, with one thread and with two.
/// </summary>
[TestClass]
public sealed class VectorizedKernelTests
{
    public TestContext TestContext { get; set; } = null!;

    private static void Binary(QuantModelBuilder b, BuiltinOperator op, TensorType type, int[] shapeA, int[] shapeB, int[] outShape,
        ActivationFunctionType activation = ActivationFunctionType.NONE)
    {
        var sameScale = op is BuiltinOperator.MAXIMUM or BuiltinOperator.MINIMUM;
        var unsigned = type == TensorType.UINT8;
        var x = b.Input(type, shapeA, 0.04f, unsigned ? 130 : 5);
        var y = b.Input(type, shapeB, sameScale ? 0.04f : 0.015f, sameScale ? (unsigned ? 130 : 5) : unsigned ? 100 : -17);
        var z = b.Output($"{op} {type} {string.Join("x", shapeA)} ∘ {string.Join("x", shapeB)} {activation}", type, outShape,
            sameScale ? 0.04f : op == BuiltinOperator.MUL ? 0.005f : 0.05f, sameScale ? (unsigned ? 130 : 5) : unsigned ? 120 : 9);
        var options = op switch
        {
            BuiltinOperator.ADD => BuiltinOptionsUnion.FromAddOptions(new AddOptionsT { FusedActivationFunction = activation }),
            BuiltinOperator.SUB => BuiltinOptionsUnion.FromSubOptions(new SubOptionsT { FusedActivationFunction = activation }),
            BuiltinOperator.MUL => BuiltinOptionsUnion.FromMulOptions(new MulOptionsT { FusedActivationFunction = activation }),
            _ => (BuiltinOptionsUnion?)null,
        };
        b.Op(op, 2, options, [x, y], z);
    }

    [TestMethod]
    public void ElementwiseBroadcastPatternsAreBitExact()
    {
        var b = new QuantModelBuilder(31);
        // Same shape: one flat row, split into blocks and over threads; 41·37·19 leaves a scalar tail.
        Binary(b, BuiltinOperator.ADD, TensorType.INT8, [1, 41, 37, 19], [1, 41, 37, 19], [1, 41, 37, 19]);
        Binary(b, BuiltinOperator.ADD, TensorType.INT8, [1, 96, 96, 8], [1, 96, 96, 8], [1, 96, 96, 8], ActivationFunctionType.RELU);
        Binary(b, BuiltinOperator.SUB, TensorType.INT8, [3, 17, 33], [3, 17, 33], [3, 17, 33], ActivationFunctionType.RELU6);
        Binary(b, BuiltinOperator.MUL, TensorType.INT8, [1, 40, 40, 21], [1, 40, 40, 21], [1, 40, 40, 21]);
        Binary(b, BuiltinOperator.ADD, TensorType.UINT8, [1, 30, 30, 17], [1, 30, 30, 17], [1, 30, 30, 17]);
        // Per-channel operand (rows of C, the second operand repeating along H·W), on either side.
        Binary(b, BuiltinOperator.ADD, TensorType.INT8, [1, 50, 50, 24], [24], [1, 50, 50, 24]);
        Binary(b, BuiltinOperator.MUL, TensorType.INT8, [1, 1, 1, 40], [1, 30, 30, 40], [1, 30, 30, 40]);
        // A scalar against a tensor, and a broadcast in the middle dimensions.
        Binary(b, BuiltinOperator.ADD, TensorType.INT8, [1, 60, 60, 9], [1], [1, 60, 60, 9]);
        Binary(b, BuiltinOperator.SUB, TensorType.INT8, [2, 1, 30, 20], [2, 25, 1, 20], [2, 25, 30, 20]);
        Binary(b, BuiltinOperator.MUL, TensorType.UINT8, [1, 33, 1, 35], [1, 1, 31, 35], [1, 33, 31, 35]);
        // Outer broadcast with a short innermost row (size-1 dimensions dropped, dims merged where they can be).
        Binary(b, BuiltinOperator.MAXIMUM, TensorType.INT8, [1, 70, 70, 1], [1, 70, 70, 3], [1, 70, 70, 3]);
        Binary(b, BuiltinOperator.MINIMUM, TensorType.INT8, [5, 64, 33], [5, 1, 33], [5, 64, 33]);
        Binary(b, BuiltinOperator.MAXIMUM, TensorType.UINT8, [4, 1000], [4, 1000], [4, 1000]);
        // int16 MAXIMUM/MINIMUM share the vector path (ADD/SUB/MUL int16 keep the scalar one).
        Binary(b, BuiltinOperator.MAXIMUM, TensorType.INT16, [1, 40, 40, 19], [1, 40, 40, 19], [1, 40, 40, 19]);
        Binary(b, BuiltinOperator.MINIMUM, TensorType.INT16, [1, 30, 30, 24], [24], [1, 30, 30, 24]);
        AssertExact(b);
    }

    [TestMethod]
    public void PoolingResizeAndLookupAreBitExact()
    {
        var b = new QuantModelBuilder(32);
        void Pool(BuiltinOperator op, TensorType type, int[] shape, int filter, int stride, Padding padding, int outH, int outW)
        {
            var wide = type == TensorType.INT16;
            var zero = type == TensorType.UINT8 ? 128 : wide ? 0 : -3;
            var scale = wide ? 0.0005f : 0.05f;
            var x = b.Input(type, shape, scale, zero);
            var y = b.Output($"{op} {type} {string.Join("x", shape)} {filter}/{stride} {padding}", type, [shape[0], outH, outW, shape[3]], scale, zero);
            var options = new Pool2DOptionsT
            {
                Padding = padding, StrideH = stride, StrideW = stride, FilterHeight = filter, FilterWidth = filter,
                FusedActivationFunction = ActivationFunctionType.RELU6,
            };
            b.Op(op, wide ? 3 : 2, BuiltinOptionsUnion.FromPool2DOptions(options), [x], y);
        }
        // 16 channels: the 128-bit path; 45: 256-bit, 128-bit and scalar tail; 64: two full vectors.
        Pool(BuiltinOperator.MAX_POOL_2D, TensorType.INT8, [1, 112, 112, 16], 2, 2, Padding.VALID, 56, 56);
        Pool(BuiltinOperator.MAX_POOL_2D, TensorType.INT8, [1, 33, 33, 45], 3, 2, Padding.SAME, 17, 17);
        Pool(BuiltinOperator.MAX_POOL_2D, TensorType.UINT8, [2, 20, 20, 64], 3, 1, Padding.SAME, 20, 20);
        Pool(BuiltinOperator.AVERAGE_POOL_2D, TensorType.INT8, [1, 31, 31, 27], 3, 2, Padding.SAME, 16, 16);
        Pool(BuiltinOperator.AVERAGE_POOL_2D, TensorType.UINT8, [1, 16, 16, 40], 16, 1, Padding.VALID, 1, 1);
        Pool(BuiltinOperator.MAX_POOL_2D, TensorType.INT16, [1, 24, 24, 37], 2, 2, Padding.VALID, 12, 12);
        Pool(BuiltinOperator.AVERAGE_POOL_2D, TensorType.INT16, [1, 20, 20, 27], 3, 2, Padding.SAME, 10, 10);

        void Resize(TensorType type, int[] shape, int outH, int outW, bool alignCorners, bool halfPixel)
        {
            var zero = type == TensorType.UINT8 ? 128 : -4;
            var x = b.Input(type, shape, 0.05f, zero);
            var y = b.Output($"RESIZE_BILINEAR {type} {string.Join("x", shape)} -> {outH}x{outW} align={alignCorners} half={halfPixel}",
                type, [shape[0], outH, outW, shape[3]], 0.05f, zero);
            b.Op(BuiltinOperator.RESIZE_BILINEAR, halfPixel ? 3 : 2,
                BuiltinOptionsUnion.FromResizeBilinearOptions(new ResizeBilinearOptionsT { AlignCorners = alignCorners, HalfPixelCenters = halfPixel }),
                [x, b.ConstInts(outH, outW)], y);
        }
        // 8 channels (one 8-lane step), 16 (one 16-lane step), 27 (16 + 8 + scalar tail).
        Resize(TensorType.INT8, [1, 64, 64, 8], 128, 128, false, true);
        Resize(TensorType.INT8, [1, 32, 32, 16], 64, 64, false, false);
        Resize(TensorType.UINT8, [1, 20, 30, 27], 37, 51, true, false);
        Resize(TensorType.INT8, [2, 17, 13, 27], 40, 29, false, true);

        // 8-bit lookups: a requantizing RELU, LOGISTIC, and an int8 -> uint8 requantize, with tails after the 64-byte steps.
        var r = b.Input(TensorType.INT8, [1, 100, 100, 7], 0.05f, 3);
        b.Op(BuiltinOperator.RELU, 1, null, [r], b.Output("RELU int8 requantizing", TensorType.INT8, [1, 100, 100, 7], 0.03f, -128));
        var l = b.Input(TensorType.INT8, [3, 1001], 0.06f, -2);
        b.Op(BuiltinOperator.LOGISTIC, 2, null, [l], b.Output("LOGISTIC int8", TensorType.INT8, [3, 1001], 1f / 256, -128));
        var q = b.Input(TensorType.INT8, [7, 9, 131], 0.05f, 10);
        b.Op(BuiltinOperator.QUANTIZE, 2, null, [q], b.Output("QUANTIZE int8 -> uint8", TensorType.UINT8, [7, 9, 131], 0.07f, 120));
        AssertExact(b);
    }

    [TestMethod]
    public void QuantizeDequantizeAndPadAreBitExact()
    {
        var b = new QuantModelBuilder(33);
        // QUANTIZE from float: values well beyond the output range on both sides (clamping), an odd count for the tail.
        var f = b.FloatInput([1, 150, 150, 3], -6f, 6f);
        b.Op(BuiltinOperator.QUANTIZE, 1, null, [f], b.Output("QUANTIZE float -> int8", TensorType.INT8, [1, 150, 150, 3], 0.0371f, 7));
        var g = b.FloatInput([5, 333], -2f, 12f);
        b.Op(BuiltinOperator.QUANTIZE, 1, null, [g], b.Output("QUANTIZE float -> uint8", TensorType.UINT8, [5, 333], 0.04f, 60));
        // Exact halves of the scale: ties round away from zero.
        var halves = new float[4096];
        for (var i = 0; i < halves.Length; i++)
        {
            halves[i] = (i - 2048) * 0.125f;
        }
        var h = b.FloatInput([4096], 0f, 1f);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()).CopyTo(b.InputData[^1]);
        b.Op(BuiltinOperator.QUANTIZE, 1, null, [h], b.Output("QUANTIZE float -> int8 ties", TensorType.INT8, [4096], 0.25f, -1));
        // int16 keeps TFLite's arithmetic (double division, ties away from zero), on the 4-lane double path.
        var w = b.FloatInput([1, 70, 70, 3], -3f, 3f);
        b.Op(BuiltinOperator.QUANTIZE, 1, null, [w], b.Output("QUANTIZE float -> int16", TensorType.INT16, [1, 70, 70, 3], 0.0001f, 0));

        var d = b.Input(TensorType.INT8, [1, 128, 128, 5], 0.037f, -11);
        b.Op(BuiltinOperator.DEQUANTIZE, 2, null, [d], b.Output("DEQUANTIZE int8", TensorType.FLOAT32, [1, 128, 128, 5]));
        var e = b.Input(TensorType.UINT8, [3, 1003], 0.021f, 131);
        b.Op(BuiltinOperator.DEQUANTIZE, 2, null, [e], b.Output("DEQUANTIZE uint8", TensorType.FLOAT32, [3, 1003]));

        // PAD of an int8 tensor with a non-zero zero point: the border is that zero point.
        var p = b.Input(TensorType.INT8, [1, 96, 96, 32], 0.05f, -7);
        b.Op(BuiltinOperator.PAD, 2, null, [p, b.Const(TensorType.INT32, [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])],
            b.Output("PAD int8 zero point -7", TensorType.INT8, [1, 98, 98, 32], 0.05f, -7));
        AssertExact(b);
    }

    /// <summary>Runs the model in LiteRT and in our runtime with one and with two threads; all outputs must be identical bytes.</summary>
    private void AssertExact(QuantModelBuilder builder)
    {
        var bytes = builder.Build();
        var path = Path.Combine(Path.GetTempPath(), $"mbt-vector-{Guid.NewGuid():N}.tflite");
        File.WriteAllBytes(path, bytes);
        try
        {
            var expected = Oracle.Run(path, builder.InputData);
            foreach (var threads in new[] { 1, 2 })
            {
                using var session = ModelSession.Load(bytes, new SessionOptions { Threads = threads });
                for (var i = 0; i < builder.InputData.Count; i++)
                {
                    builder.InputData[i].CopyTo(session.GetInputBytes(i));
                }
                session.Run();
                Assert.HasCount(expected.Outputs.Count, session.Outputs);
                for (var o = 0; o < expected.Outputs.Count; o++)
                {
                    var want = expected.Outputs[o].Data;
                    var got = session.GetOutputBytes(o);
                    var mismatches = 0;
                    var first = -1;
                    for (var k = 0; k < want.Length; k++)
                    {
                        if (want[k] != got[k])
                        {
                            mismatches++;
                            first = first < 0 ? k : first;
                        }
                    }
                    TestContext.WriteLine($"{builder.OutputLabels[o]}, {threads} thread(s): {want.Length} bytes, {mismatches} differ");
                    Assert.AreEqual(want.Length, got.Length, $"{builder.OutputLabels[o]}: output sizes differ");
                    Assert.AreEqual(0, mismatches, $"{builder.OutputLabels[o]} with {threads} thread(s): {mismatches} bytes differ from LiteRT, first at byte {first}");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
