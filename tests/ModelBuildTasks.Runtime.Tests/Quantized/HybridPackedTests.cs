using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;
using ModelBuildTasks.Runtime.Kernels.Quantized;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// Hybrid CONV_2D, FULLY_CONNECTED and BATCH_MATMUL on the packed GEMMs (VNNI and int16 pairs, two threads) against the
/// per-channel loops they replaced: the float outputs must be the same bits, since LiteRT agreement was measured
/// on the per-channel arithmetic.
/// </summary>
[TestClass]
public sealed class HybridPackedTests
{
    private static Tensor FloatBias(QuantModelBuilder b, int n)
    {
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = (float)(b.Random.NextDouble() - 0.5);
        }
        return b.Add(new Tensor($"bias_{n}_{b.Random.Next()}", TensorType.FLOAT32, [n])
        {
            Data = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        });
    }

    private static void Conv(QuantModelBuilder b, int[] shape, int outC, int kernel, int stride, Padding padding, ActivationFunctionType activation, bool perChannel)
    {
        var x = b.FloatInput(shape, -1.5f, 2.5f);
        var w = b.Weights([outC, kernel, kernel, shape[3]], 0, perChannel, out _);
        var oh = Compute.ConvGeometry.OutputSize(padding, shape[1], kernel, stride, 1);
        var ow = Compute.ConvGeometry.OutputSize(padding, shape[2], kernel, stride, 1);
        var y = b.Output($"conv {kernel}x{kernel}/{stride} {padding} {shape[3]}->{outC} {activation}", TensorType.FLOAT32, [shape[0], oh, ow, outC]);
        var options = new Conv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = 1, DilationWFactor = 1, FusedActivationFunction = activation,
        };
        b.Op(BuiltinOperator.CONV_2D, perChannel ? 5 : 2, BuiltinOptionsUnion.FromConv2DOptions(options), [x, w, FloatBias(b, outC)], y);
    }

    private static void FullyConnected(QuantModelBuilder b, int rows, int k, int n, ActivationFunctionType activation)
    {
        var x = b.FloatInput([rows, k], -2f, 3f);
        var w = b.Weights([n, k], 0, true, out _);
        var y = b.Output($"fc {rows}x{k}->{n} {activation}", TensorType.FLOAT32, [rows, n]);
        var options = new FullyConnectedOptionsT { FusedActivationFunction = activation, AsymmetricQuantizeInputs = true };
        b.Op(BuiltinOperator.FULLY_CONNECTED, 12, BuiltinOptionsUnion.FromFullyConnectedOptions(options), [x, w, FloatBias(b, n)], y);
    }

    private static void BatchMatMul(QuantModelBuilder b, int[] shapeA, int[] shapeB, int[] outShape, bool adjX, bool adjY, bool perColumn)
    {
        var x = b.FloatInput(shapeA, -2f, 3f);
        var n = outShape[^1];
        var values = new long[shapeB.Aggregate(1, (p, d) => p * d)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = b.Random.Next(-127, 128);
        }
        var scales = Enumerable.Range(0, perColumn ? n : 1).Select(i => 0.01f + 0.002f * i).ToArray();
        var quantization = perColumn ? TensorQuantization.PerAxis(scales, new long[n], shapeB.Length - 1) : QuantModelBuilder.Quant(scales[0], 0);
        var w = b.Const(TensorType.INT8, shapeB, values, quantization);
        var z = b.Output($"BATCH_MATMUL {string.Join("x", shapeA)} · {string.Join("x", shapeB)} adj {adjX}/{adjY}", TensorType.FLOAT32, outShape);
        b.Op(BuiltinOperator.BATCH_MATMUL, 4, BuiltinOptionsUnion.FromBatchMatMulOptions(new BatchMatMulOptionsT { AdjX = adjX, AdjY = adjY }), [x, w], z);
    }

    [TestMethod]
    public void PackedPathsGiveTheSameBitsAsThePerChannelLoops()
    {
        var b = new QuantModelBuilder(77);
        // 3×3 with padding (border patches hold the zero point), batch 2, channels not a multiple of 16 or 4.
        Conv(b, [2, 9, 11, 7], 37, 3, 1, Padding.SAME, ActivationFunctionType.RELU, true);
        Conv(b, [1, 12, 10, 16], 16, 3, 2, Padding.SAME, ActivationFunctionType.NONE, false);
        Conv(b, [1, 8, 8, 3], 24, 5, 1, Padding.VALID, ActivationFunctionType.RELU6, true);
        // 1×1: stride 1 (k a multiple of 4 and not), stride 2 with SAME padding, batch 3, one output channel.
        Conv(b, [1, 10, 9, 32], 40, 1, 1, Padding.VALID, ActivationFunctionType.NONE, true);
        Conv(b, [3, 6, 7, 13], 19, 1, 1, Padding.SAME, ActivationFunctionType.RELU, true);
        Conv(b, [1, 9, 9, 24], 33, 1, 2, Padding.SAME, ActivationFunctionType.NONE, true);
        Conv(b, [1, 5, 6, 20], 1, 1, 1, Padding.VALID, ActivationFunctionType.NONE, false);
        // FULLY_CONNECTED: one row, a partial row block, many channels; odd K.
        FullyConnected(b, 1, 75, 20, ActivationFunctionType.NONE);
        FullyConnected(b, 6, 64, 48, ActivationFunctionType.RELU);
        FullyConnected(b, 3, 9, 130, ActivationFunctionType.NONE);
        // K = 2^16: the rescale leaves the int32 vectors for int64 scalars.
        FullyConnected(b, 2, 65536, 3, ActivationFunctionType.NONE);
        // BATCH_MATMUL: broadcast batches, two right matrices, transposed operands, rows past one block.
        BatchMatMul(b, [3, 1, 4, 9], [2, 9, 6], [3, 2, 4, 6], false, false, true);
        BatchMatMul(b, [2, 12, 5], [2, 7, 12], [2, 5, 7], true, true, false);
        BatchMatMul(b, [1, 33, 64], [64, 17], [1, 33, 17], false, false, true);
        var bytes = b.Build();

        var reference = Run(bytes, b, null);
        foreach (var path in new[] { Int8DotPath.Vnni, Int8DotPath.Int16Pairs })
        {
            var packed = Run(bytes, b, path);
            for (var i = 0; i < reference.Length; i++)
            {
                CollectionAssert.AreEqual(reference[i], packed[i], $"{b.OutputLabels[i]} on {path}");
            }
        }
        for (var i = 0; i < reference.Length; i++)
        {
            // Not trivially equal: the outputs vary.
            Assert.IsGreaterThan(5, reference[i].Chunk(4).Select(v => BitConverter.ToSingle(v)).Distinct().Count(), b.OutputLabels[i]);
        }
    }

    [TestMethod]
    public void PackedRunsAllocateNothing()
    {
        var b = new QuantModelBuilder(78);
        Conv(b, [1, 9, 11, 8], 20, 3, 1, Padding.SAME, ActivationFunctionType.RELU, true);
        Conv(b, [1, 6, 7, 12], 17, 1, 2, Padding.SAME, ActivationFunctionType.NONE, true);
        FullyConnected(b, 5, 33, 18, ActivationFunctionType.RELU6);
        BatchMatMul(b, [2, 6, 10], [2, 10, 7], [2, 6, 7], false, false, true);
        var model = Load(b.Build(), Int8DotPaths.Current);
        using var session = new ModelSession(model, new SessionOptions { Threads = 1 });
        Assert.AreEqual(0L, TestSupport.Allocations.Fewest(session.Run));
    }

    /// <summary>Runs the model with kernels built for <paramref name="path"/> (null: the per-channel loops) on two threads.</summary>
    internal static byte[][] Run(byte[] bytes, QuantModelBuilder b, Int8DotPath? path)
    {
        var model = Load(bytes, path);
        using var session = new ModelSession(model, new SessionOptions { Threads = 2 });
        for (var i = 0; i < b.InputData.Count; i++)
        {
            b.InputData[i].CopyTo(session.GetInputBytes(i));
        }
        session.Run();
        return Enumerable.Range(0, model.Outputs.Count).Select(i => session.GetOutputBytes(i).ToArray()).ToArray();
    }

    /// <summary>Loads a model whose hybrid kernels use <paramref name="path"/> (null: the per-channel loops), checking they do.</summary>
    internal static CompiledModel Load(byte[] bytes, Int8DotPath? path)
    {
        CompiledModel model;
        using (path is null ? HybridPaths.ForcePerChannel() : Int8DotPaths.Force(path.Value))
        {
            model = CompiledModel.Load(bytes);
        }
        var hybrid = 0;
        foreach (var step in model.Steps)
        {
            Int8DotPath? prepared;
            switch (step.Kernel)
            {
                case HybridConv2D conv: prepared = conv.DotPath; break;
                case HybridFullyConnected fc: prepared = fc.DotPath; break;
                case HybridBatchMatMul matMul: prepared = matMul.DotPath; break;
                default: continue;
            }
            Assert.AreEqual(path, prepared, $"operator {step.OperatorIndex}");
            hybrid++;
        }
        Assert.IsGreaterThan(0, hybrid);
        return model;
    }
}
