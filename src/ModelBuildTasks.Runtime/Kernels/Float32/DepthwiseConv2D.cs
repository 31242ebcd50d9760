using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// DEPTHWISE_CONV_2D over NHWC float32. Output channel o = i·multiplier + j reads input channel i; the filter is
/// [1, kh, kw, out_channels]. With multiplier 1 (the common case) channels are contiguous in input, filter and
/// output alike, so the kernel vectorizes across channels and walks the window per output pixel. Threads split
/// output rows.
/// </summary>
internal sealed unsafe class DepthwiseConv2D : Kernel
{
    private readonly ConvGeometry g;
    private readonly int multiplier;
    private readonly float[] filter;
    private readonly float[] bias;
    private readonly FusedActivation activation;
    private readonly int input;
    private readonly int output;

    private DepthwiseConv2D(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var b = s.OptionalInput(2);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(f, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        var o = s.Options<DepthwiseConv2DOptionsT>();
        g = ConvShapes.Depthwise(s, x, f, y, o);
        multiplier = g.OutC / g.InC;
        MultiplyAccumulates = (long)g.Batch * g.OutH * g.OutW * g.OutC * g.KH * g.KW;
        filter = GC.AllocateArray<float>(checked(g.KH * g.KW * g.OutC + 8), pinned: true);
        s.ConstFloats(f).CopyTo(filter);
        bias = GC.AllocateArray<float>(g.OutC + 8, pinned: true);
        if (b is not null)
        {
            s.Require(b.ElementCount == g.OutC, $"bias {b} must have {g.OutC} elements");
            s.ConstFloats(b).CopyTo(bias);
        }
        activation = FusedActivation.From(o.FusedActivationFunction, s);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new DepthwiseConv2D(s);

    public override void Run(RunContext context)
    {
        fixed (float* w = filter, bs = bias)
        {
            var job = new Job
            {
                G = g,
                Input = context.F(input),
                Output = context.F(output),
                Filter = w,
                Bias = bs,
                Multiplier = multiplier,
                Min = activation.Min,
                Max = activation.Max,
            };
            var rows = g.Batch * g.OutH;
            context.Pool.For(rows, Math.Max(1, rows / (8 * context.ThreadCount)), &Body, &job);
            if (activation.IsTanh)
            {
                activation.Apply(job.Output, (long)g.OutputPixels * g.OutC);
            }
        }
    }

    private struct Job
    {
        public ConvGeometry G;
        public float* Input;
        public float* Output;
        public float* Filter;
        public float* Bias;
        public int Multiplier;
        public float Min;
        public float Max;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        for (var row = begin; row < end; row++)
        {
            if (j.Multiplier == 1 && j.G.KH == 3 && j.G.KW == 3 && j.G.DilationH == 1 && j.G.DilationW == 1 && j.G.InC % 8 == 0)
            {
                Row3x3(ref j, row);
            }
            else if (j.Multiplier == 1)
            {
                Row(ref j, row);
            }
            else
            {
                RowWithMultiplier(ref j, row);
            }
        }
    }

    /// <summary>
    /// One output row of the common 3×3 case, 8 channels at a time: the chunk's nine weight vectors stay in
    /// registers while the row's pixels stream past; pixels whose window is cut by the border take the general
    /// path. Same accumulation order as <see cref="Row"/> (bias, then ky, kx), so results are identical.
    /// </summary>
    private static void Row3x3(ref Job j, int row)
    {
        ref var g = ref j.G;
        var c = g.InC;
        var b = row / g.OutH;
        var oy = row % g.OutH;
        var iy0 = oy * g.StrideH - g.PadTop;
        var image = j.Input + (nint)b * g.InH * g.InW * c;
        var outRow = j.Output + (nint)row * g.OutW * c;
        var lo = Vector256.Create(j.Min);
        var hi = Vector256.Create(j.Max);
        var fullRows = iy0 >= 0 && iy0 + 2 < g.InH;
        // Output columns whose 3-wide window lies inside the image: ix0 = ox·stride − padLeft ∈ [0, InW − 3].
        var oxBegin = fullRows ? (g.PadLeft + g.StrideW - 1) / g.StrideW : g.OutW;
        var oxEnd = fullRows ? Math.Min(g.OutW, Math.Max(oxBegin, (g.InW - 3 + g.PadLeft) / g.StrideW + 1)) : g.OutW;
        oxBegin = Math.Min(oxBegin, oxEnd);
        var rowStride = (nint)g.InW * c;
        var step = (nint)g.StrideW * c;
        for (var ch = 0; ch < c; ch += 8)
        {
            var w = j.Filter + ch;
            var w0 = Vector256.Load(w);
            var w1 = Vector256.Load(w + c);
            var w2 = Vector256.Load(w + 2 * c);
            var w3 = Vector256.Load(w + 3 * c);
            var w4 = Vector256.Load(w + 4 * c);
            var w5 = Vector256.Load(w + 5 * c);
            var w6 = Vector256.Load(w + 6 * c);
            var w7 = Vector256.Load(w + 7 * c);
            var w8 = Vector256.Load(w + 8 * c);
            var bias = Vector256.Load(j.Bias + ch);
            var src = image + ((nint)iy0 * g.InW + (oxBegin * g.StrideW - g.PadLeft)) * c + ch;
            var dst = outRow + (nint)oxBegin * c + ch;
            for (var ox = oxBegin; ox < oxEnd; ox++)
            {
                var acc = Gemm.MulAdd(Vector256.Load(src), w0, bias);
                acc = Gemm.MulAdd(Vector256.Load(src + c), w1, acc);
                acc = Gemm.MulAdd(Vector256.Load(src + 2 * c), w2, acc);
                var r1 = src + rowStride;
                acc = Gemm.MulAdd(Vector256.Load(r1), w3, acc);
                acc = Gemm.MulAdd(Vector256.Load(r1 + c), w4, acc);
                acc = Gemm.MulAdd(Vector256.Load(r1 + 2 * c), w5, acc);
                var r2 = r1 + rowStride;
                acc = Gemm.MulAdd(Vector256.Load(r2), w6, acc);
                acc = Gemm.MulAdd(Vector256.Load(r2 + c), w7, acc);
                acc = Gemm.MulAdd(Vector256.Load(r2 + 2 * c), w8, acc);
                Vector256.Store(Vector256.Min(Vector256.Max(acc, lo), hi), dst);
                src += step;
                dst += c;
            }
        }
        for (var ox = 0; ox < g.OutW; ox++)
        {
            if (ox == oxBegin && oxEnd > oxBegin)
            {
                ox = oxEnd - 1;
                continue;
            }
            Pixel(ref j, image, outRow, iy0, ox, lo, hi);
        }
    }

    /// <summary>One output pixel of any window, clipped to the image, 8 channels at a time (multiplier 1, InC % 8 == 0).</summary>
    private static void Pixel(ref Job j, float* image, float* outRow, int iy0, int ox, Vector256<float> lo, Vector256<float> hi)
    {
        ref var g = ref j.G;
        var c = g.InC;
        var kyBegin = 0;
        while (kyBegin < g.KH && iy0 + kyBegin * g.DilationH < 0)
        {
            kyBegin++;
        }
        var kyEnd = g.KH;
        while (kyEnd > kyBegin && iy0 + (kyEnd - 1) * g.DilationH >= g.InH)
        {
            kyEnd--;
        }
        var ix0 = ox * g.StrideW - g.PadLeft;
        var kxBegin = 0;
        while (kxBegin < g.KW && ix0 + kxBegin * g.DilationW < 0)
        {
            kxBegin++;
        }
        var kxEnd = g.KW;
        while (kxEnd > kxBegin && ix0 + (kxEnd - 1) * g.DilationW >= g.InW)
        {
            kxEnd--;
        }
        var dst = outRow + (nint)ox * c;
        for (var ch = 0; ch < c; ch += 8)
        {
            var acc = Vector256.Load(j.Bias + ch);
            for (var ky = kyBegin; ky < kyEnd; ky++)
            {
                var src = image + ((nint)(iy0 + ky * g.DilationH) * g.InW + ix0) * c + ch;
                var w = j.Filter + (nint)ky * g.KW * c + ch;
                for (var kx = kxBegin; kx < kxEnd; kx++)
                {
                    acc = Gemm.MulAdd(Vector256.Load(src + (nint)kx * g.DilationW * c), Vector256.Load(w + (nint)kx * c), acc);
                }
            }
            Vector256.Store(Vector256.Min(Vector256.Max(acc, lo), hi), dst + ch);
        }
    }

    /// <summary>One output row, multiplier 1: 8 channels per vector, the window walked per pixel.</summary>
    private static void Row(ref Job j, int row)
    {
        ref var g = ref j.G;
        var c = g.InC;
        var b = row / g.OutH;
        var oy = row % g.OutH;
        var iy0 = oy * g.StrideH - g.PadTop;
        // Window rows inside the image.
        var kyBegin = 0;
        while (kyBegin < g.KH && iy0 + kyBegin * g.DilationH < 0)
        {
            kyBegin++;
        }
        var kyEnd = g.KH;
        while (kyEnd > kyBegin && iy0 + (kyEnd - 1) * g.DilationH >= g.InH)
        {
            kyEnd--;
        }
        var image = j.Input + (nint)b * g.InH * g.InW * c;
        var outRow = j.Output + (nint)row * g.OutW * c;
        var lo = Vector256.Create(j.Min);
        var hi = Vector256.Create(j.Max);
        for (var ox = 0; ox < g.OutW; ox++)
        {
            var ix0 = ox * g.StrideW - g.PadLeft;
            var kxBegin = 0;
            while (kxBegin < g.KW && ix0 + kxBegin * g.DilationW < 0)
            {
                kxBegin++;
            }
            var kxEnd = g.KW;
            while (kxEnd > kxBegin && ix0 + (kxEnd - 1) * g.DilationW >= g.InW)
            {
                kxEnd--;
            }
            var dst = outRow + (nint)ox * c;
            var ch = 0;
            for (; ch <= c - 16; ch += 16)
            {
                var acc0 = Vector256.Load(j.Bias + ch);
                var acc1 = Vector256.Load(j.Bias + ch + 8);
                for (var ky = kyBegin; ky < kyEnd; ky++)
                {
                    var src = image + ((nint)(iy0 + ky * g.DilationH) * g.InW + ix0) * c + ch;
                    var w = j.Filter + (nint)ky * g.KW * c + ch;
                    for (var kx = kxBegin; kx < kxEnd; kx++)
                    {
                        var sp = src + (nint)kx * g.DilationW * c;
                        var wp = w + (nint)kx * c;
                        acc0 = Gemm.MulAdd(Vector256.Load(sp), Vector256.Load(wp), acc0);
                        acc1 = Gemm.MulAdd(Vector256.Load(sp + 8), Vector256.Load(wp + 8), acc1);
                    }
                }
                Vector256.Store(Vector256.Min(Vector256.Max(acc0, lo), hi), dst + ch);
                Vector256.Store(Vector256.Min(Vector256.Max(acc1, lo), hi), dst + ch + 8);
            }
            for (; ch <= c - 8; ch += 8)
            {
                var acc = Vector256.Load(j.Bias + ch);
                for (var ky = kyBegin; ky < kyEnd; ky++)
                {
                    var src = image + ((nint)(iy0 + ky * g.DilationH) * g.InW + ix0) * c + ch;
                    var w = j.Filter + (nint)ky * g.KW * c + ch;
                    for (var kx = kxBegin; kx < kxEnd; kx++)
                    {
                        acc = Gemm.MulAdd(Vector256.Load(src + (nint)kx * g.DilationW * c), Vector256.Load(w + (nint)kx * c), acc);
                    }
                }
                Vector256.Store(Vector256.Min(Vector256.Max(acc, lo), hi), dst + ch);
            }
            for (; ch < c; ch++)
            {
                var acc = j.Bias[ch];
                for (var ky = kyBegin; ky < kyEnd; ky++)
                {
                    var src = image + ((nint)(iy0 + ky * g.DilationH) * g.InW + ix0) * c + ch;
                    var w = j.Filter + (nint)ky * g.KW * c + ch;
                    for (var kx = kxBegin; kx < kxEnd; kx++)
                    {
                        acc = MathF.FusedMultiplyAdd(src[(nint)kx * g.DilationW * c], w[(nint)kx * c], acc);
                    }
                }
                dst[ch] = Math.Min(Math.Max(acc, j.Min), j.Max);
            }
        }
    }

    /// <summary>One output row with a depth multiplier above 1 (rare): scalar.</summary>
    private static void RowWithMultiplier(ref Job j, int row)
    {
        ref var g = ref j.G;
        var b = row / g.OutH;
        var oy = row % g.OutH;
        var outRow = j.Output + (nint)row * g.OutW * g.OutC;
        for (var ox = 0; ox < g.OutW; ox++)
        {
            for (var oc = 0; oc < g.OutC; oc++)
            {
                var ic = oc / j.Multiplier;
                var acc = j.Bias[oc];
                for (var ky = 0; ky < g.KH; ky++)
                {
                    var iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                    if ((uint)iy >= (uint)g.InH)
                    {
                        continue;
                    }
                    for (var kx = 0; kx < g.KW; kx++)
                    {
                        var ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                        if ((uint)ix >= (uint)g.InW)
                        {
                            continue;
                        }
                        var v = j.Input[(((nint)b * g.InH + iy) * g.InW + ix) * g.InC + ic];
                        acc = MathF.FusedMultiplyAdd(v, j.Filter[((nint)ky * g.KW + kx) * g.OutC + oc], acc);
                    }
                }
                outRow[(nint)ox * g.OutC + oc] = Math.Min(Math.Max(acc, j.Min), j.Max);
            }
        }
    }
}
