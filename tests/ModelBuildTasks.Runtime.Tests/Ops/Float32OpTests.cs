using ModelBuildTasks.Model.Schema;
using static ModelBuildTasks.Model.Schema.ActivationFunctionType;
using Op = ModelBuildTasks.Model.Schema.BuiltinOperator;
using Opts = ModelBuildTasks.Model.Schema.BuiltinOptionsUnion;

namespace ModelBuildTasks.Runtime.Tests.Ops;

/// <summary>Each float32 operator of the list, with its options, against LiteRT on a one-operator model.</summary>
[TestClass]
public sealed class Float32OpTests
{
    private const Padding Same = Padding.SAME;
    private const Padding Valid = Padding.VALID;

    [TestMethod]
    [DataRow(1, 1, 1, Same, NONE, 9)]
    [DataRow(2, 2, 1, Same, RELU6, 5)]
    [DataRow(2, 1, 1, Valid, RELU, 4)]
    [DataRow(1, 1, 2, Valid, RELU_N1_TO_1, 5)]
    [DataRow(1, 2, 2, Same, NONE, 9)]
    public void Conv2D(int strideH, int strideW, int dilation, Padding padding, ActivationFunctionType activation, int outH)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 9, 9, 3]);
        var outW = padding == Same ? (9 + strideW - 1) / strideW : (9 - (dilation * 2) - 1) / strideW + 1;
        var y = m.Output([1, outH, outW, 4]);
        m.Op(Op.CONV_2D, Opts.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = padding, StrideH = strideH, StrideW = strideW, DilationHFactor = dilation, DilationWFactor = dilation,
            FusedActivationFunction = activation,
        }), [x, m.Weights([4, 3, 3, 3]), m.Weights([4], seed: 5)], y);
        m.AssertMatchesOracle();
    }

    /// <summary>
    /// Up to four output channels take the direct path; 12 input channels exercise its scalar tail, 16 its
    /// contiguous-window fast path.
    /// </summary>
    [TestMethod]
    [DataRow(1, 1, Same, RELU, 1, 9, 12)]
    [DataRow(2, 2, Valid, NONE, 3, 3, 12)]
    [DataRow(2, 1, Same, RELU6, 4, 5, 12)]
    [DataRow(1, 1, Same, NONE, 1, 9, 16)]
    [DataRow(2, 1, Valid, RELU, 2, 4, 16)]
    public void Conv2DNarrowOutput(int stride, int dilation, Padding padding, ActivationFunctionType activation, int outC, int outSize, int inC)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 9, 9, inC]);
        var y = m.Output([1, outSize, outSize, outC]);
        m.Op(Op.CONV_2D, Opts.FromConv2DOptions(new Conv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = dilation, DilationWFactor = dilation,
            FusedActivationFunction = activation,
        }), [x, m.Weights([outC, 3, 3, inC]), m.Weights([outC], seed: 5)], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void Conv2DPointwise()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 5, 6, 16]);
        var y = m.Output([1, 5, 6, 24]);
        m.Op(Op.CONV_2D, Opts.FromConv2DOptions(new Conv2DOptionsT { Padding = Valid, StrideH = 1, StrideW = 1 }),
            [x, m.Weights([24, 1, 1, 16]), m.Weights([24], seed: 8)], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(1, 1, Same, NONE, 1, 8)]
    [DataRow(2, 1, Same, RELU, 2, 4)]
    [DataRow(1, 1, Valid, RELU6, 2, 6)]
    [DataRow(1, 2, Valid, NONE, 1, 4)]
    [DataRow(2, 1, Valid, NONE, 3, 3)]
    public void DepthwiseConv2D(int stride, int dilation, Padding padding, ActivationFunctionType activation, int multiplier, int outSize)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 8, 8, 3]);
        var y = m.Output([1, outSize, outSize, 3 * multiplier]);
        m.Op(Op.DEPTHWISE_CONV_2D, Opts.FromDepthwiseConv2DOptions(new DepthwiseConv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = dilation, DilationWFactor = dilation,
            DepthMultiplier = multiplier, FusedActivationFunction = activation,
        }), [x, m.Weights([1, 3, 3, 3 * multiplier]), m.Weights([3 * multiplier], seed: 6)], y);
        m.AssertMatchesOracle();
    }

    /// <summary>16 channels: the 3×3 fast path and the general 5×5 path, with border pixels on every side and odd sizes.</summary>
    [TestMethod]
    [DataRow(3, 1, Same, RELU6, 11, 10)]
    [DataRow(3, 2, Same, NONE, 6, 5)]
    [DataRow(3, 2, Valid, RELU, 5, 4)]
    [DataRow(3, 1, Valid, NONE, 9, 8)]
    [DataRow(5, 1, Same, RELU, 11, 10)]
    [DataRow(5, 2, Valid, NONE, 4, 3)]
    public void DepthwiseConv2DChannelChunks(int kernel, int stride, Padding padding, ActivationFunctionType activation, int outH, int outW)
    {
        var m = new SingleOpModel();
        var x = m.Input([2, 11, 10, 16]);
        var y = m.Output([2, outH, outW, 16]);
        m.Op(Op.DEPTHWISE_CONV_2D, Opts.FromDepthwiseConv2DOptions(new DepthwiseConv2DOptionsT
        {
            Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = 1, DilationWFactor = 1,
            DepthMultiplier = 1, FusedActivationFunction = activation,
        }), [x, m.Weights([1, kernel, kernel, 16]), m.Weights([16], seed: 6)], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(true, false, NONE)]
    [DataRow(false, false, RELU)]
    [DataRow(true, true, RELU6)]
    public void FullyConnected(bool bias, bool keepNumDims, ActivationFunctionType activation)
    {
        var m = new SingleOpModel();
        var x = m.Input(keepNumDims ? [1, 3, 10] : [2, 10]);
        var y = m.Output(keepNumDims ? [1, 3, 5] : [2, 5]);
        m.Op(new Model.OperatorCode(Op.FULLY_CONNECTED, Version: keepNumDims ? 5 : 1),
            Opts.FromFullyConnectedOptions(new FullyConnectedOptionsT { KeepNumDims = keepNumDims, FusedActivationFunction = activation }),
            [x, m.Weights([5, 10]), bias ? m.Weights([5], seed: 3) : null], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(2, Same, true, 8)]
    [DataRow(2, Valid, false, 9)]
    [DataRow(1, Same, true, 4)]
    public void TransposeConv(int stride, Padding padding, bool bias, int outSize)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 4, 4, 3]);
        var y = m.Output([1, outSize, outSize, 2]);
        m.Op(new Model.OperatorCode(Op.TRANSPOSE_CONV, Version: bias ? 3 : 1),
            Opts.FromTransposeConvOptions(new TransposeConvOptionsT { Padding = padding, StrideH = stride, StrideW = stride }),
            [m.Ints(1, outSize, outSize, 2), m.Weights([2, 3, 3, 3]), x, .. (bias ? new[] { m.Weights([2], seed: 4) } : [])], y);
        m.AssertMatchesOracle();
    }

    /// <summary>MediaPipe's custom transposed convolution with bias; options are TfLiteTransposeConvParams (padding 1 = SAME, 2 = VALID, stride w, h).</summary>
    [TestMethod]
    [DataRow(1, 2, 8)]
    [DataRow(2, 2, 9)]
    [DataRow(1, 1, 4)]
    public void MediaPipeConvolution2DTransposeBias(int paddingCode, int stride, int outSize)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 4, 4, 8]);
        var y = m.Output([1, outSize, outSize, 3]);
        var op = m.Op(new Model.OperatorCode(Op.CUSTOM, "Convolution2DTransposeBias"), null, [x, m.Weights([3, 3, 3, 8]), m.Weights([3], seed: 4)], y);
        op.CustomOptions = new[] { paddingCode, stride, stride }.SelectMany(BitConverter.GetBytes).ToArray();
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(Op.ADD, RELU)]
    [DataRow(Op.SUB, NONE)]
    [DataRow(Op.MUL, RELU6)]
    [DataRow(Op.MAXIMUM, NONE)]
    [DataRow(Op.MINIMUM, NONE)]
    public void BinaryWithBroadcast(Op op, ActivationFunctionType activation)
    {
        var m = new SingleOpModel();
        var a = m.Input([2, 1, 3]);
        var b = m.Input([1, 4, 1]);
        var y = m.Output([2, 4, 3]);
        m.Op(op, BinaryOptions(op, activation), [a, b], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(Op.ADD, RELU_N1_TO_1)]
    [DataRow(Op.MUL, NONE)]
    [DataRow(Op.SUB, RELU)]
    public void BinarySameShapeAndChannelConstant(Op op, ActivationFunctionType activation)
    {
        var m = new SingleOpModel();
        var a = m.Input([1, 5, 5, 8]);
        var b = m.Input([1, 5, 5, 8]);
        var t = m.Output([1, 5, 5, 8]);
        var y = m.Output([1, 5, 5, 8]);
        m.Op(op, BinaryOptions(op, activation), [a, b], t);
        m.Op(op, BinaryOptions(op, NONE), [t, m.Weights([8])], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void DivByConstantAndByTensor()
    {
        var m = new SingleOpModel();
        var a = m.Input([1, 4, 6]);
        var t = m.Output([1, 4, 6]);
        var y = m.Output([1, 4, 6]);
        var divisor = m.Const([6], [0.5f, -1.5f, 2f, 3f, -0.25f, 7f]);
        m.Op(Op.DIV, Opts.FromDivOptions(new DivOptionsT()), [a, divisor], t);
        m.Op(Op.DIV, Opts.FromDivOptions(new DivOptionsT { FusedActivationFunction = RELU }), [divisor, t], y);
        m.AssertMatchesOracle(lo: 0.5, hi: 3);
    }

    [TestMethod]
    [DataRow(new[] { 1, 1, 3 })]
    [DataRow(new[] { 4, 5, 3 })]
    public void Prelu(int[] alphaShape)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 4, 5, 3]);
        var y = m.Output([1, 4, 5, 3]);
        m.Op(Op.PRELU, null, [x, m.Weights(alphaShape)], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(Op.RELU)]
    [DataRow(Op.RELU6)]
    [DataRow(Op.RELU_N1_TO_1)]
    [DataRow(Op.LEAKY_RELU)]
    [DataRow(Op.LOGISTIC)]
    [DataRow(Op.TANH)]
    [DataRow(Op.HARD_SWISH)]
    public void Activation(Op op)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 3, 5, 7]);
        var y = m.Output([1, 3, 5, 7]);
        m.Op(op, op == Op.LEAKY_RELU ? Opts.FromLeakyReluOptions(new LeakyReluOptionsT { Alpha = 0.2f }) : null, [x], y);
        m.AssertMatchesOracle(lo: -8, hi: 8);
    }

    [TestMethod]
    [DataRow(1f)]
    [DataRow(0.37f)]
    public void Softmax(float beta)
    {
        var m = new SingleOpModel();
        var x = m.Input([2, 3, 10]);
        var y = m.Output([2, 3, 10]);
        m.Op(Op.SOFTMAX, Opts.FromSoftmaxOptions(new SoftmaxOptionsT { Beta = beta }), [x], y);
        m.AssertMatchesOracle(lo: -10, hi: 10);
    }

    [TestMethod]
    public void LogSoftmax()
    {
        var m = new SingleOpModel();
        var x = m.Input([4, 17]);
        var y = m.Output([4, 17]);
        m.Op(Op.LOG_SOFTMAX, Opts.FromLogSoftmaxOptions(new LogSoftmaxOptionsT()), [x], y);
        m.AssertMatchesOracle(lo: -10, hi: 10);
    }

    [TestMethod]
    public void PadAndPadV2()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 3, 3, 2]);
        var y = m.Output([1, 6, 6, 2]);
        var z = m.Output([2, 4, 3, 2]);
        m.Op(Op.PAD, Opts.FromPadOptions(new PadOptionsT()), [x, m.Ints([4, 2], [0, 0, 1, 2, 2, 1, 0, 0])], y);
        m.Op(Op.PADV2, Opts.FromPadV2Options(new PadV2OptionsT()),
            [x, m.Ints([4, 2], [1, 0, 0, 1, 0, 0, 0, 0]), m.Const([], [-1.5f])], z);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(Op.MAX_POOL_2D, 3, 2, Same, NONE, 4)]
    [DataRow(Op.MAX_POOL_2D, 2, 2, Valid, RELU, 3)]
    [DataRow(Op.AVERAGE_POOL_2D, 3, 2, Same, NONE, 4)]
    [DataRow(Op.AVERAGE_POOL_2D, 3, 1, Same, RELU6, 7)]
    [DataRow(Op.AVERAGE_POOL_2D, 2, 2, Valid, NONE, 3)]
    public void Pool(Op op, int filter, int stride, Padding padding, ActivationFunctionType activation, int outSize)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 7, 7, 3]);
        var y = m.Output([1, outSize, outSize, 3]);
        m.Op(op, Opts.FromPool2DOptions(new Pool2DOptionsT
        {
            FilterHeight = filter, FilterWidth = filter, StrideH = stride, StrideW = stride, Padding = padding,
            FusedActivationFunction = activation,
        }), [x], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(Op.MEAN, new[] { 1, 2 }, true, new[] { 1, 1, 1, 3 })]
    [DataRow(Op.MEAN, new[] { 1, 2 }, false, new[] { 1, 3 })]
    [DataRow(Op.MEAN, new[] { -1 }, false, new[] { 1, 4, 5 })]
    [DataRow(Op.SUM, new[] { 0, 3 }, true, new[] { 1, 4, 5, 1 })]
    [DataRow(Op.SUM, new[] { 2 }, false, new[] { 1, 4, 3 })]
    public void Reduce(Op op, int[] axes, bool keepDims, int[] outShape)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 4, 5, 3]);
        var y = m.Output(outShape);
        m.Op(op, Opts.FromReducerOptions(new ReducerOptionsT { KeepDims = keepDims }), [x, m.Ints(axes)], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void ReshapeSqueezeExpandDims()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 4, 1, 6]);
        var r = m.Output([2, 12]);
        var s = m.Output([4, 6]);
        var e = m.Output([1, 4, 1, 1, 6]);
        m.Op(Op.RESHAPE, Opts.FromReshapeOptions(new ReshapeOptionsT { NewShape = [2, 12] }), [x, m.Ints(2, -1)], r);
        m.Op(Op.SQUEEZE, Opts.FromSqueezeOptions(new SqueezeOptionsT { SqueezeDims = [0, 2] }), [x], s);
        m.Op(Op.EXPAND_DIMS, Opts.FromExpandDimsOptions(new ExpandDimsOptionsT()), [x, m.Ints([], [-2])], e);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(new[] { 2, 0, 1 }, new[] { 4, 2, 3 })]
    [DataRow(new[] { 0, 2, 1 }, new[] { 2, 4, 3 })]
    [DataRow(new[] { 1, 0, 2 }, new[] { 3, 2, 4 })]
    public void Transpose(int[] perm, int[] outShape)
    {
        var m = new SingleOpModel();
        var x = m.Input([2, 3, 4]);
        var y = m.Output(outShape);
        m.Op(Op.TRANSPOSE, Opts.FromTransposeOptions(new TransposeOptionsT()), [x, m.Ints(perm)], y);
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(-1, NONE)]
    [DataRow(1, RELU)]
    [DataRow(1, NONE)]
    [DataRow(-1, RELU6)]
    // LiteRT ignores CONCATENATION's fused activation; the RELU rows check that we do too.
    public void Concatenation(int axis, ActivationFunctionType activation)
    {
        var m = new SingleOpModel();
        var a = m.Input([1, 2, 3, 2]);
        var b = m.Input(axis == 1 ? [1, 4, 3, 2] : [1, 2, 3, 4]);
        m.Op(Op.CONCATENATION, Opts.FromConcatenationOptions(new ConcatenationOptionsT { Axis = axis, FusedActivationFunction = activation }),
            [a, b, m.Weights(axis == 1 ? [1, 1, 3, 2] : [1, 2, 3, 1])], m.Output(axis == 1 ? [1, 7, 3, 2] : [1, 2, 3, 7]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void Split()
    {
        var m = new SingleOpModel();
        var x = m.Input([2, 6, 4]);
        m.Op(Op.SPLIT, Opts.FromSplitOptions(new SplitOptionsT { NumSplits = 3 }), [m.Ints([], [1]), x],
            m.Output([2, 2, 4]), m.Output([2, 2, 4]), m.Output([2, 2, 4]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void Slice()
    {
        var m = new SingleOpModel();
        var x = m.Input([3, 4, 5]);
        m.Op(Op.SLICE, Opts.FromSliceOptions(new SliceOptionsT()), [x, m.Ints(1, 0, 2), m.Ints(2, -1, 3)], m.Output([2, 4, 3]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void StridedSliceNegativeStrides()
    {
        var m = new SingleOpModel();
        var x = m.Input([4, 6, 3]);
        m.Op(Op.STRIDED_SLICE, Opts.FromStridedSliceOptions(new StridedSliceOptionsT()),
            [x, m.Ints(1, -1, 0), m.Ints(4, 0, 3), m.Ints(2, -2, 1)], m.Output([2, 3, 3]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void StridedSliceMasksAndShrink()
    {
        var m = new SingleOpModel();
        var x = m.Input([4, 6, 3]);
        m.Op(Op.STRIDED_SLICE, Opts.FromStridedSliceOptions(new StridedSliceOptionsT { BeginMask = 1, EndMask = 1, ShrinkAxisMask = 4 }),
            [x, m.Ints(3, 2, 1), m.Ints(0, 4, 2), m.Ints(1, 1, 1)], m.Output([4, 2]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void GatherOnFirstAndMiddleAxis()
    {
        var m = new SingleOpModel();
        var x = m.Input([2, 5, 3]);
        m.Op(Op.GATHER, Opts.FromGatherOptions(new GatherOptionsT { Axis = 0 }), [x, m.Ints(1, 0, 1)], m.Output([3, 5, 3]));
        m.Op(Op.GATHER, Opts.FromGatherOptions(new GatherOptionsT { Axis = 1 }), [x, m.Ints([2, 2], [4, 0, 2, 2])], m.Output([2, 2, 2, 3]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    public void ResizeBilinear(bool alignCorners, bool halfPixel)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 3, 4, 2]);
        m.Op(Op.RESIZE_BILINEAR, Opts.FromResizeBilinearOptions(new ResizeBilinearOptionsT { AlignCorners = alignCorners, HalfPixelCenters = halfPixel }),
            [x, m.Ints(6, 7)], m.Output([1, 6, 7, 2]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    public void ResizeNearestNeighbor(bool alignCorners, bool halfPixel)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 3, 4, 2]);
        m.Op(Op.RESIZE_NEAREST_NEIGHBOR, Opts.FromResizeNearestNeighborOptions(new ResizeNearestNeighborOptionsT { AlignCorners = alignCorners, HalfPixelCenters = halfPixel }),
            [x, m.Ints(7, 5)], m.Output([1, 7, 5, 2]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void DepthToSpaceAndSpaceToDepth()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 2, 3, 8]);
        var d = m.Output([1, 4, 6, 2]);
        m.Op(Op.DEPTH_TO_SPACE, Opts.FromDepthToSpaceOptions(new DepthToSpaceOptionsT { BlockSize = 2 }), [x], d);
        m.Op(Op.SPACE_TO_DEPTH, Opts.FromSpaceToDepthOptions(new SpaceToDepthOptionsT { BlockSize = 2 }), [d], m.Output([1, 2, 3, 8]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void L2Normalization()
    {
        var m = new SingleOpModel();
        var x = m.Input([2, 3, 8]);
        m.Op(Op.L2_NORMALIZATION, Opts.FromL2NormOptions(new L2NormOptionsT()), [x], m.Output([2, 3, 8]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    [DataRow(false, false, new[] { 2, 3, 4 }, new[] { 2, 4, 5 })]
    [DataRow(false, true, new[] { 2, 3, 4 }, new[] { 1, 5, 4 })]
    [DataRow(true, false, new[] { 2, 4, 3 }, new[] { 4, 5 })]
    public void BatchMatMul(bool adjX, bool adjY, int[] xShape, int[] yShape)
    {
        var m = new SingleOpModel();
        var x = m.Input(xShape);
        var y = m.Input(yShape);
        m.Op(Op.BATCH_MATMUL, Opts.FromBatchMatMulOptions(new BatchMatMulOptionsT { AdjX = adjX, AdjY = adjY }), [x, y], m.Output([2, 3, 5]));
        m.AssertMatchesOracle();
    }

    [TestMethod]
    public void DequantizeInt8InputAndFloat16Constant()
    {
        var m = new SingleOpModel();
        var q = m.Input([2, 6], TensorType.INT8);
        q.Quantization = Model.TensorQuantization.PerTensor(0.05f, 3);
        var dq = m.Output([2, 6]);
        m.Op(Op.DEQUANTIZE, null, [q], dq);
        var halves = new byte[12];
        for (var i = 0; i < 6; i++)
        {
            BitConverter.TryWriteBytes(halves.AsSpan(i * 2), (Half)(0.3f * i - 1.1f));
        }
        var w = m.Raw([6], TensorType.FLOAT16, halves);
        var wf = m.Intermediate([6]);
        m.Op(Op.DEQUANTIZE, null, [w], wf);
        m.Op(Op.ADD, Opts.FromAddOptions(new AddOptionsT()), [dq, wf], m.Output([2, 6]));
        m.AssertMatchesOracle();
    }

    private static Opts? BinaryOptions(Op op, ActivationFunctionType activation) => op switch
    {
        Op.ADD => Opts.FromAddOptions(new AddOptionsT { FusedActivationFunction = activation }),
        Op.SUB => Opts.FromSubOptions(new SubOptionsT { FusedActivationFunction = activation }),
        Op.MUL => Opts.FromMulOptions(new MulOptionsT { FusedActivationFunction = activation }),
        _ => null,
    };
}
