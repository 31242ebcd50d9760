using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;
using ModelBuildTasks.Runtime.Kernels.Quantized;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// Int8 convolutions with one to four output channels take direct VNNI dot products over each kernel row of the
/// input instead of 16-channel panels over gathered patches; the output bytes must be identical to the panels'.
/// </summary>
[TestClass]
public sealed class FewChannelConvTests
{
    [TestMethod]
    public void DirectPathGivesTheSameBytesAsThePackedPanels()
    {
        var b = new QuantModelBuilder(77);
        // A segmentation head: 3x3, SAME padding, one channel; its last rows end at the tensor's end (copied, not over-read).
        Conv(b, "head", [2, 17, 15, 8], 1, 3, 3, Padding.SAME, 1, 1, 1, 0.03f, -128);
        // Odd depth (a 15-byte kernel row), stride 2, three channels, a clamped activation.
        Conv(b, "stride 2", [1, 11, 12, 5], 3, 3, 3, Padding.VALID, 2, 2, 1, 0.02f, 7, ActivationFunctionType.RELU6);
        // Rows longer than one 32-byte chunk (5·16 = 80 bytes) and dilated rows.
        Conv(b, "dilated 5x5", [1, 14, 13, 16], 2, 5, 5, Padding.SAME, 1, 1, 2, 0.04f, 20);
        // Four channels, 1x1 with three input channels.
        Conv(b, "1x1", [1, 9, 10, 3], 4, 1, 1, Padding.VALID, 1, 1, 1, 0.05f, -3);
        var bytes = b.Build();

        byte[][] Run(bool direct)
        {
            CompiledModel model;
            using (direct ? null : FewChannelWeights.Disable())
            {
                model = CompiledModel.Load(bytes);
            }
            foreach (var step in model.Steps)
            {
                var conv = (Conv2D)step.Kernel;
                Assert.AreEqual(direct && AvxVnni.IsSupported, conv.UsesDirectPath, $"operator {step.OperatorIndex}");
            }
            using var session = new ModelSession(model, new SessionOptions { Threads = 2 });
            for (var i = 0; i < b.InputData.Count; i++)
            {
                b.InputData[i].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            return Enumerable.Range(0, model.Outputs.Count).Select(i => session.GetOutputBytes(i).ToArray()).ToArray();
        }

        var panels = Run(direct: false);
        var direct = Run(direct: true);
        Assert.HasCount(4, direct);
        for (var i = 0; i < panels.Length; i++)
        {
            CollectionAssert.AreEqual(panels[i], direct[i], b.OutputLabels[i]);
            // Not trivially equal: the outputs vary.
            Assert.IsGreaterThan(5, panels[i].Distinct().Count(), b.OutputLabels[i]);
        }
    }

    [TestMethod]
    public void ManyChannelsOrDilatedColumnsKeepThePanels()
    {
        var b = new QuantModelBuilder(78);
        Conv(b, "five channels", [1, 6, 6, 8], 5, 3, 3, Padding.SAME, 1, 1, 1, 0.03f, 0);
        Conv(b, "dilated columns", [1, 9, 9, 8], 1, 3, 3, Padding.SAME, 1, 1, 1, 0.03f, 0, dilationW: 2);
        var model = CompiledModel.Load(b.Build());
        foreach (var step in model.Steps)
        {
            Assert.IsFalse(((Conv2D)step.Kernel).UsesDirectPath, $"operator {step.OperatorIndex}");
        }
    }

    [TestMethod]
    public void EightChannelStoresMatchTheInt16Path()
    {
        // VNNI convolutions with 8 output channels requantize and store 8 bytes per pixel themselves.
        var b = new QuantModelBuilder(79);
        Conv(b, "1x1 eight channels", [1, 9, 11, 8], 8, 1, 1, Padding.VALID, 1, 1, 1, 0.03f, -128);
        Conv(b, "3x3 eight channels relu6", [1, 10, 7, 5], 8, 3, 3, Padding.SAME, 1, 1, 1, 0.02f, 9, ActivationFunctionType.RELU6);
        var bytes = b.Build();

        byte[][] Run(Int8DotPath path)
        {
            CompiledModel model;
            using (Int8DotPaths.Force(path))
            {
                model = CompiledModel.Load(bytes);
            }
            using var session = new ModelSession(model, new SessionOptions { Threads = 2 });
            for (var i = 0; i < b.InputData.Count; i++)
            {
                b.InputData[i].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            return Enumerable.Range(0, model.Outputs.Count).Select(i => session.GetOutputBytes(i).ToArray()).ToArray();
        }

        var int16 = Run(Int8DotPath.Int16Pairs);
        var vnni = Run(Int8DotPath.Vnni);
        Assert.HasCount(2, vnni);
        for (var i = 0; i < int16.Length; i++)
        {
            CollectionAssert.AreEqual(int16[i], vnni[i], b.OutputLabels[i]);
            Assert.IsGreaterThan(5, int16[i].Distinct().Count(), b.OutputLabels[i]);
        }
    }

    private static void Conv(QuantModelBuilder b, string label, int[] inShape, int outC, int kh, int kw, Padding padding,
        int strideH, int strideW, int dilationH, float inScale, int inZero, ActivationFunctionType activation = ActivationFunctionType.NONE,
        int dilationW = 1)
    {
        var x = b.Input(TensorType.INT8, inShape, inScale, inZero);
        var w = b.Weights([outC, kh, kw, inShape[3]], 0, true, out var scales);
        var outH = Compute.ConvGeometry.OutputSize(padding, inShape[1], kh, strideH, dilationH);
        var outW = Compute.ConvGeometry.OutputSize(padding, inShape[2], kw, strideW, dilationW);
        var k = kh * kw * inShape[3];
        var y = b.Output(label, TensorType.INT8, [inShape[0], outH, outW, outC],
            ConvolutionTests.OutputScale(TensorType.INT8, inScale, scales.Average(), k), 2);
        b.Op(BuiltinOperator.CONV_2D, 3, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = padding, StrideH = strideH, StrideW = strideW, DilationHFactor = dilationH, DilationWFactor = dilationW,
            FusedActivationFunction = activation,
        }), [x, w, b.Bias(outC, inScale, scales, false)], y);
    }
}
