using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// Shape and data-movement ops on int8 and int16 tensors (same scale in and out), which share the runtime's
/// type-agnostic kernels: the quantized parts are PAD's zero point and correct element sizes.
/// </summary>
[TestClass]
public sealed class DataMovementTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(TensorType.INT8)]
    [DataRow(TensorType.INT16)]
    public void DataMovementMatchesLiteRT(TensorType type)
    {
        var wide = type == TensorType.INT16;
        var b = new QuantModelBuilder(wide ? 13 : 12);
        var scale = wide ? 0.0004f : 0.05f;
        var zero = wide ? 0L : -7L;
        Tensor In(params int[] shape) => b.Input(type, shape, scale, zero);
        Tensor Out(string label, params int[] shape) => b.Output($"{label} {type}", type, shape, scale, zero);
        int V(int int8Version, int int16Version) => wide ? int16Version : int8Version;

        b.Op(BuiltinOperator.RESHAPE, 1, BuiltinOptionsUnion.FromReshapeOptions(new ReshapeOptionsT { NewShape = [6, 10] }),
            [In(2, 3, 10), b.ConstInts(6, 10)], Out("RESHAPE", 6, 10));
        b.Op(BuiltinOperator.SQUEEZE, 1, BuiltinOptionsUnion.FromSqueezeOptions(new SqueezeOptionsT { SqueezeDims = [1] }), [In(4, 1, 5)], Out("SQUEEZE", 4, 5));
        b.Op(BuiltinOperator.EXPAND_DIMS, 1, null, [In(4, 5), b.ConstInts(1)], Out("EXPAND_DIMS", 4, 1, 5));
        b.Op(BuiltinOperator.TRANSPOSE, V(2, 5), null, [In(2, 3, 4, 5), b.ConstInts(0, 3, 1, 2)], Out("TRANSPOSE", 2, 5, 3, 4));
        b.Op(BuiltinOperator.CONCATENATION, V(2, 3), BuiltinOptionsUnion.FromConcatenationOptions(new ConcatenationOptionsT { Axis = -1 }),
            [In(2, 3, 4), In(2, 3, 2)], Out("CONCATENATION", 2, 3, 6));
        b.Op(BuiltinOperator.PAD, V(2, 4), null, [In(1, 3, 4, 2), b.Const(TensorType.INT32, [4, 2], [0, 0, 1, 2, 2, 1, 0, 0])], Out("PAD", 1, 6, 7, 2));
        b.Op(BuiltinOperator.PADV2, V(2, 4), null,
            [In(1, 3, 3, 2), b.Const(TensorType.INT32, [4, 2], [0, 0, 1, 1, 1, 1, 0, 0]), b.Const(type, [], [wide ? 1234 : 50], QuantModelBuilder.Quant(scale, zero))],
            Out("PADV2", 1, 5, 5, 2));
        var split = In(2, 6, 3);
        b.Op(BuiltinOperator.SPLIT, V(2, 4), BuiltinOptionsUnion.FromSplitOptions(new SplitOptionsT { NumSplits = 2 }),
            [b.ConstInts(1), split], Out("SPLIT[0]", 2, 3, 3), Out("SPLIT[1]", 2, 3, 3));
        b.Op(BuiltinOperator.SLICE, V(2, 4), null, [In(3, 5, 4), b.ConstInts(1, 1, 0), b.ConstInts(2, 3, -1)], Out("SLICE", 2, 3, 4));
        b.Op(BuiltinOperator.STRIDED_SLICE, V(2, 4), BuiltinOptionsUnion.FromStridedSliceOptions(new StridedSliceOptionsT()),
            [In(1, 8, 6, 3), b.ConstInts(0, 1, 0, 0), b.ConstInts(1, 8, 6, 3), b.ConstInts(1, 2, 3, 1)], Out("STRIDED_SLICE", 1, 4, 2, 3));
        b.Op(BuiltinOperator.GATHER, V(2, 4), BuiltinOptionsUnion.FromGatherOptions(new GatherOptionsT { Axis = 1 }),
            [In(3, 5, 2), b.ConstInts(4, 0, 2, 2)], Out("GATHER", 3, 4, 2));
        if (!wide)
        {
            // TFLite has no int16 DEPTH_TO_SPACE / SPACE_TO_DEPTH.
            b.Op(BuiltinOperator.DEPTH_TO_SPACE, 2, BuiltinOptionsUnion.FromDepthToSpaceOptions(new DepthToSpaceOptionsT { BlockSize = 2 }),
                [In(1, 3, 2, 8)], Out("DEPTH_TO_SPACE", 1, 6, 4, 2));
            b.Op(BuiltinOperator.SPACE_TO_DEPTH, 2, BuiltinOptionsUnion.FromSpaceToDepthOptions(new SpaceToDepthOptionsT { BlockSize = 2 }),
                [In(1, 4, 6, 3)], Out("SPACE_TO_DEPTH", 1, 2, 3, 12));
        }
        b.Op(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, V(2, 4), BuiltinOptionsUnion.FromResizeNearestNeighborOptions(new ResizeNearestNeighborOptionsT()),
            [In(1, 3, 4, 2), b.ConstInts(7, 9)], Out("RESIZE_NEAREST_NEIGHBOR", 1, 7, 9, 2));
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void ResizeBilinearMatchesLiteRT()
    {
        var b = new QuantModelBuilder(16);
        foreach (var (type, alignCorners, halfPixel, outH, outW) in new[]
                 {
                     (TensorType.INT8, false, false, 9, 7), (TensorType.INT8, true, false, 8, 11), (TensorType.INT8, false, true, 10, 6),
                     (TensorType.INT8, false, true, 3, 2), (TensorType.UINT8, false, true, 9, 9), (TensorType.INT16, false, true, 7, 10),
                 })
        {
            var wide = type == TensorType.INT16;
            var scale = wide ? 0.0004f : 0.05f;
            var zero = wide ? 0L : type == TensorType.UINT8 ? 128L : -4L;
            var x = b.Input(type, [2, 4, 5, 3], scale, zero);
            var y = b.Output($"RESIZE_BILINEAR {type} -> {outH}x{outW} align={alignCorners} half={halfPixel}", type, [2, outH, outW, 3], scale, zero);
            var options = new ResizeBilinearOptionsT { AlignCorners = alignCorners, HalfPixelCenters = halfPixel };
            b.Op(BuiltinOperator.RESIZE_BILINEAR, wide ? 4 : halfPixel ? 3 : 2, BuiltinOptionsUnion.FromResizeBilinearOptions(options),
                [x, b.ConstInts(outH, outW)], y);
        }
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void ConcatenationWithDifferentScalesMatchesLiteRT()
    {
        // TFLite rescales 8-bit unsigned inputs into the output's quantization (int8 requires equal scales).
        var b = new QuantModelBuilder(17);
        var x = b.Input(TensorType.UINT8, [2, 3, 4], 0.05f, 120);
        var y = b.Input(TensorType.UINT8, [2, 5, 4], 0.02f, 10);
        var z = b.Output("CONCATENATION uint8 rescaled", TensorType.UINT8, [2, 8, 4], 0.04f, 100);
        b.Op(BuiltinOperator.CONCATENATION, 1, BuiltinOptionsUnion.FromConcatenationOptions(new ConcatenationOptionsT { Axis = 1 }), [x, y], z);
        Agreement.Check(b, TestContext);
    }
}
