using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// CONV_2D over NHWC float32 as a matrix multiply: output pixels are rows, output channels columns, and the
/// reduction runs over (ky, kx, in-channel) — exactly the order of TFLite's [out, kh, kw, in] filter, so the
/// filter packs directly. A 1×1, stride-1 convolution reads its input in place; other shapes gather a block of
/// rows (im2col, zeros for padding) into per-thread scratch first. Threads split rows, and columns when the
/// image is small. A convolution with at most <see cref="MaxNarrowOutputs"/> output channels (a segmentation
/// head) would waste most of a 16-wide GEMM panel, so it takes a direct path: per pixel, vector dot products over
/// the window, 8 input channels at a time.
/// </summary>
internal sealed unsafe class Conv2D : Kernel
{
    private const int MaxRowsDirect = 72;
    private const int Im2ColBudgetFloats = 24 * 1024;
    private const int MaxNarrowOutputs = 4;

    private readonly ConvGeometry g;
    private readonly PackedWeights weights;
    private readonly FusedActivation activation;
    private readonly bool direct;
    private readonly float[]? narrowFilter;
    private readonly float[]? narrowBias;
    private readonly int maxRows;
    private readonly int input;
    private readonly int output;

    private Conv2D(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var bias = s.OptionalInput(2);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(f, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        var o = s.Options<Conv2DOptionsT>();
        g = ConvShapes.Conv2D(s, x, f, y, o);
        var biasValues = ReadOnlySpan<float>.Empty;
        if (bias is not null)
        {
            s.Require(bias.ElementCount == g.OutC, $"bias {bias} must have {g.OutC} elements");
            biasValues = s.ConstFloats(bias);
        }
        var k = g.KH * g.KW * g.InC;
        MultiplyAccumulates = (long)g.Batch * g.OutH * g.OutW * g.OutC * k;
        weights = new PackedWeights(s.ConstFloats(f), g.OutC, k, biasValues);
        activation = FusedActivation.From(o.FusedActivationFunction, s);
        direct = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0
                 && g.OutH == g.InH && g.OutW == g.InW;
        if (g.OutC <= MaxNarrowOutputs && g.InC >= 8)
        {
            narrowFilter = GC.AllocateArray<float>(g.OutC * k, pinned: true);
            s.ConstFloats(f)[..(g.OutC * k)].CopyTo(narrowFilter);
            narrowBias = GC.AllocateArray<float>(g.OutC, pinned: true);
            biasValues.CopyTo(narrowBias);
        }
        maxRows = direct ? MaxRowsDirect : Math.Clamp(Im2ColBudgetFloats / k / Gemm.MR * Gemm.MR, Gemm.MR, MaxRowsDirect);
        ScratchBytesPerThread = direct ? 0 : (long)maxRows * k * sizeof(float);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Conv2D(s);

    public override void Run(RunContext context)
    {
        if (narrowFilter is not null)
        {
            RunNarrow(context);
            return;
        }
        var job = new Job
        {
            G = g,
            W = weights.Matrix,
            Input = context.F(input),
            Output = context.F(output),
            Scratch = context.ScratchTable,
            Direct = direct,
            Min = activation.Min,
            Max = activation.Max,
        };
        var items = Gemm.Partition(g.OutputPixels, weights.Panels, maxRows, context.ThreadCount, out job.RowsPerBlock, out job.PanelGroups, out job.PanelsPerGroup);
        context.Pool.For(items, 1, &Body, &job);
        if (activation.IsTanh)
        {
            activation.Apply(job.Output, (long)g.OutputPixels * g.OutC);
        }
    }

    private struct Job
    {
        public ConvGeometry G;
        public PackedMatrix W;
        public float* Input;
        public float* Output;
        public nint* Scratch;
        public bool Direct;
        public float Min;
        public float Max;
        public int RowsPerBlock;
        public int PanelGroups;
        public int PanelsPerGroup;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        var rows = j.G.OutputPixels;
        var k = j.W.K;
        for (var item = begin; item < end; item++)
        {
            var block = item / j.PanelGroups;
            var group = item % j.PanelGroups;
            var m0 = block * j.RowsPerBlock;
            var count = Math.Min(j.RowsPerBlock, rows - m0);
            var p0 = group * j.PanelsPerGroup;
            var p1 = Math.Min(j.W.Panels, p0 + j.PanelsPerGroup);
            float* a;
            if (j.Direct)
            {
                a = j.Input + (nint)m0 * j.G.InC;
            }
            else
            {
                a = (float*)j.Scratch[thread];
                Im2Col(ref j.G, j.Input, m0, count, a);
            }
            Gemm.Multiply(a, k, count, j.W, p0, p1, j.Output + (nint)m0 * j.G.OutC, j.G.OutC, j.Min, j.Max);
        }
    }

    private void RunNarrow(RunContext context)
    {
        fixed (float* w = narrowFilter, b = narrowBias)
        {
            var job = new NarrowJob
            {
                G = g, Input = context.F(input), Output = context.F(output), Filter = w, Bias = b, Min = activation.Min, Max = activation.Max,
            };
            var rows = g.Batch * g.OutH;
            context.Pool.For(rows, Math.Max(1, rows / (8 * context.ThreadCount)), &NarrowBody, &job);
            if (activation.IsTanh)
            {
                activation.Apply(job.Output, (long)g.OutputPixels * g.OutC);
            }
        }
    }

    private struct NarrowJob
    {
        public ConvGeometry G;
        public float* Input;
        public float* Output;
        public float* Filter;
        public float* Bias;
        public float Min;
        public float Max;
    }

    /// <summary>Output rows [begin, end) of a narrow convolution; taps outside the image are skipped (they would add zeros).</summary>
    private static void NarrowBody(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(NarrowJob*)state;
        ref var g = ref j.G;
        var c = g.InC;
        var k = g.KH * g.KW * c;
        for (var row = begin; row < end; row++)
        {
            var b = row / g.OutH;
            var oy = row % g.OutH;
            var iy0 = oy * g.StrideH - g.PadTop;
            var image = j.Input + (nint)b * g.InH * g.InW * c;
            var dst = j.Output + (nint)row * g.OutW * g.OutC;
            var rowsInside = iy0 >= 0 && iy0 + (g.KH - 1) * g.DilationH < g.InH;
            var windowRow = g.KW * c;
            for (var ox = 0; ox < g.OutW; ox++)
            {
                var ix0 = ox * g.StrideW - g.PadLeft;
                if (rowsInside && g.DilationW == 1 && c % 8 == 0 && ix0 >= 0 && ix0 + g.KW <= g.InW)
                {
                    // Window inside the image: each window row is one contiguous run in input and filter alike.
                    // With c % 8 == 0 every vector lane sums the same elements as the per-tap path below.
                    for (var oc = 0; oc < g.OutC; oc++)
                    {
                        var acc = Vector256<float>.Zero;
                        for (var ky = 0; ky < g.KH; ky++)
                        {
                            var src = image + ((nint)(iy0 + ky * g.DilationH) * g.InW + ix0) * c;
                            var w = j.Filter + (nint)oc * k + (nint)ky * windowRow;
                            for (var i = 0; i < windowRow; i += 8)
                            {
                                acc = Gemm.MulAdd(Vector256.Load(src + i), Vector256.Load(w + i), acc);
                            }
                        }
                        var inside = j.Bias[oc] + (Vector256.Sum(acc) + 0f);
                        dst[(nint)ox * g.OutC + oc] = Math.Min(Math.Max(inside, j.Min), j.Max);
                    }
                    continue;
                }
                for (var oc = 0; oc < g.OutC; oc++)
                {
                    var acc = Vector256<float>.Zero;
                    var tail = 0f;
                    for (var ky = 0; ky < g.KH; ky++)
                    {
                        var iy = iy0 + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.InH)
                        {
                            continue;
                        }
                        for (var kx = 0; kx < g.KW; kx++)
                        {
                            var ix = ix0 + kx * g.DilationW;
                            if ((uint)ix >= (uint)g.InW)
                            {
                                continue;
                            }
                            var src = image + ((nint)iy * g.InW + ix) * c;
                            var w = j.Filter + (nint)oc * k + ((nint)ky * g.KW + kx) * c;
                            var ch = 0;
                            for (; ch <= c - 8; ch += 8)
                            {
                                acc = Gemm.MulAdd(Vector256.Load(src + ch), Vector256.Load(w + ch), acc);
                            }
                            for (; ch < c; ch++)
                            {
                                tail = MathF.FusedMultiplyAdd(src[ch], w[ch], tail);
                            }
                        }
                    }
                    var sum = j.Bias[oc] + (Vector256.Sum(acc) + tail);
                    dst[(nint)ox * g.OutC + oc] = Math.Min(Math.Max(sum, j.Min), j.Max);
                }
            }
        }
    }

    /// <summary>Rows [m0, m0+count) of the im2col matrix: per output pixel, the (ky, kx, c) patch, zero outside the image.</summary>
    internal static void Im2Col(ref ConvGeometry g, float* input, int m0, int count, float* dst)
    {
        var c = g.InC;
        var rowLength = g.KW * c;
        for (var r = 0; r < count; r++)
        {
            var m = m0 + r;
            var ox = m % g.OutW;
            var oy = m / g.OutW % g.OutH;
            var b = m / (g.OutW * g.OutH);
            var iy0 = oy * g.StrideH - g.PadTop;
            var ix0 = ox * g.StrideW - g.PadLeft;
            for (var ky = 0; ky < g.KH; ky++)
            {
                var iy = iy0 + ky * g.DilationH;
                if ((uint)iy >= (uint)g.InH)
                {
                    new Span<float>(dst, rowLength).Clear();
                    dst += rowLength;
                    continue;
                }
                var src = input + ((nint)(b * g.InH + iy) * g.InW) * c;
                if (g.DilationW == 1 && ix0 >= 0 && ix0 + g.KW <= g.InW)
                {
                    // The whole window row is inside the image and contiguous in NHWC: one copy (matters for few channels).
                    Buffer.MemoryCopy(src + (nint)ix0 * c, dst, rowLength * sizeof(float), rowLength * sizeof(float));
                    dst += rowLength;
                    continue;
                }
                for (var kx = 0; kx < g.KW; kx++)
                {
                    var ix = ix0 + kx * g.DilationW;
                    if ((uint)ix >= (uint)g.InW)
                    {
                        new Span<float>(dst, c).Clear();
                    }
                    else
                    {
                        Buffer.MemoryCopy(src + (nint)ix * c, dst, c * sizeof(float), c * sizeof(float));
                    }
                    dst += c;
                }
            }
        }
    }
}
