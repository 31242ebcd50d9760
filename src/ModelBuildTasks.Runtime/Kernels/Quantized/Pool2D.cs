using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer MAX_POOL_2D and AVERAGE_POOL_2D (input and output share one quantization, as TFLite requires). Cells
/// outside the image are ignored; the average divides the int32 sum by the number of cells inside, rounding half
/// away from zero; both clamp to the fused activation's range in the quantized domain.
/// </summary>
internal sealed unsafe class Pool2D : Kernel
{
    private readonly ConvGeometry g;
    private readonly bool isMax;
    private readonly TensorType type;
    private readonly int min;
    private readonly int max;
    private readonly int input;
    private readonly int output;

    private Pool2D(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireRank(x, 4);
        s.RequireRank(y, 4);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        var qx = QuantInfo.Of(s, x);
        var qy = QuantInfo.Of(s, y);
        s.Require(qx.Scale == qy.Scale && qx.ZeroPoint == qy.ZeroPoint, $"input {x} and output {y} must share one quantization");
        var o = s.Options<Pool2DOptionsT>();
        s.Require(o.StrideH > 0 && o.StrideW > 0 && o.FilterHeight > 0 && o.FilterWidth > 0, "strides and filter sizes must be positive");
        isMax = s.Op.Code.Builtin == BuiltinOperator.MAX_POOL_2D;
        g = new ConvGeometry
        {
            Batch = x.Dim(0), InH = x.Dim(1), InW = x.Dim(2), InC = x.Dim(3), OutC = x.Dim(3),
            KH = o.FilterHeight, KW = o.FilterWidth, StrideH = o.StrideH, StrideW = o.StrideW, DilationH = 1, DilationW = 1,
        };
        g.OutH = ConvGeometry.OutputSize(o.Padding, g.InH, g.KH, g.StrideH, 1);
        g.OutW = ConvGeometry.OutputSize(o.Padding, g.InW, g.KW, g.StrideW, 1);
        g.PadTop = ConvGeometry.PaddingBefore(g.InH, g.KH, g.StrideH, 1, g.OutH);
        g.PadLeft = ConvGeometry.PaddingBefore(g.InW, g.KW, g.StrideW, 1, g.OutW);
        s.Require(y.Dim(0) == g.Batch && y.Dim(1) == g.OutH && y.Dim(2) == g.OutW && y.Dim(3) == g.OutC,
            $"output {y} does not match (expected [{g.Batch},{g.OutH},{g.OutW},{g.OutC}])");
        (min, max) = qy.ActivationRange(o.FusedActivationFunction, s);
        type = x.Type;
        ScratchBytesPerThread = (long)(g.InC + 8) * sizeof(int);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Pool2D(s);

    public override void Run(RunContext context)
    {
        var job = new Job { G = g, IsMax = isMax, Min = min, Max = max, Input = context.B(input), Output = context.B(output), Scratch = context.ScratchTable };
        // Output rows are independent; give each chunk at least ~4 KB of output.
        var perChunk = Math.Max(1, 4096 / Math.Max(1, g.OutW * g.OutC));
        var rows = g.Batch * g.OutH;
        switch (type)
        {
            case TensorType.INT8: context.Pool.For(rows, perChunk, &Rows<sbyte>, &job); break;
            case TensorType.UINT8: context.Pool.For(rows, perChunk, &Rows<byte>, &job); break;
            default: context.Pool.For(rows, perChunk, &Rows<short>, &job); break;
        }
    }

    private struct Job
    {
        public ConvGeometry G;
        public bool IsMax;
        public int Min, Max;
        public byte* Input, Output;
        public nint* Scratch;
    }

    private static void Rows<T>(void* state, int begin, int end, int thread) where T : unmanaged, IBinaryInteger<T>
    {
        ref var j = ref *(Job*)state;
        ref var g = ref j.G;
        var src = (T*)j.Input;
        var acc = (int*)j.Scratch[thread];
        var c = g.InC;
        for (var r = begin; r < end; r++)
        {
            var b = r / g.OutH;
            var oy = r % g.OutH;
            var y0 = Math.Max(0, oy * g.StrideH - g.PadTop);
            var y1 = Math.Min(g.InH, oy * g.StrideH - g.PadTop + g.KH);
            for (var ox = 0; ox < g.OutW; ox++)
            {
                var x0 = Math.Max(0, ox * g.StrideW - g.PadLeft);
                var x1 = Math.Min(g.InW, ox * g.StrideW - g.PadLeft + g.KW);
                var d = (T*)j.Output + ((nint)((b * g.OutH + oy) * g.OutW) + ox) * c;
                var origin = src + (nint)(b * g.InH) * g.InW * c;
                if (j.IsMax)
                {
                    MaxPixel(origin, d, c, g.InW, y0, y1, x0, x1, j.Min, j.Max);
                }
                else
                {
                    AveragePixel(origin, d, acc, c, g.InW, y0, y1, x0, x1, j.Min, j.Max);
                }
            }
        }
    }

    /// <summary>One output pixel of MAX_POOL_2D: the maximum over the window's cells (the minimum when it is empty), clamped.</summary>
    private static void MaxPixel<T>(T* image, T* d, int c, int inW, int y0, int y1, int x0, int x1, int min, int max)
        where T : unmanaged, IBinaryInteger<T>
    {
        var ch = 0;
        if (Vector256.IsHardwareAccelerated && y0 < y1 && x0 < x1)
        {
            // Maxima of the raw values need no widening.
            var lo = Vector256.Create(T.CreateTruncating(min));
            var hi = Vector256.Create(T.CreateTruncating(max));
            for (; ch <= c - Vector256<T>.Count; ch += Vector256<T>.Count)
            {
                var m = Vector256.Load(image + ((nint)y0 * inW + x0) * c + ch);
                for (var iy = y0; iy < y1; iy++)
                {
                    for (var ix = x0; ix < x1; ix++)
                    {
                        m = Vector256.Max(m, Vector256.Load(image + ((nint)iy * inW + ix) * c + ch));
                    }
                }
                Vector256.Min(Vector256.Max(m, lo), hi).Store(d + ch);
            }
        }
        if (Vector128.IsHardwareAccelerated && y0 < y1 && x0 < x1)
        {
            // Narrow channel counts (16 int8 channels) and the remainder of wide ones.
            var lo = Vector128.Create(T.CreateTruncating(min));
            var hi = Vector128.Create(T.CreateTruncating(max));
            for (; ch <= c - Vector128<T>.Count; ch += Vector128<T>.Count)
            {
                var m = Vector128.Load(image + ((nint)y0 * inW + x0) * c + ch);
                for (var iy = y0; iy < y1; iy++)
                {
                    for (var ix = x0; ix < x1; ix++)
                    {
                        m = Vector128.Max(m, Vector128.Load(image + ((nint)iy * inW + ix) * c + ch));
                    }
                }
                Vector128.Min(Vector128.Max(m, lo), hi).Store(d + ch);
            }
            if (ch < c && c >= Vector128<T>.Count)
            {
                // The last channels as one vector overlapping channels already done (same values rewritten).
                ch = c - Vector128<T>.Count;
                var m = Vector128.Load(image + ((nint)y0 * inW + x0) * c + ch);
                for (var iy = y0; iy < y1; iy++)
                {
                    for (var ix = x0; ix < x1; ix++)
                    {
                        m = Vector128.Max(m, Vector128.Load(image + ((nint)iy * inW + ix) * c + ch));
                    }
                }
                Vector128.Min(Vector128.Max(m, lo), hi).Store(d + ch);
                ch = c;
            }
        }
        for (; ch < c; ch++)
        {
            var m = int.MinValue;
            for (var iy = y0; iy < y1; iy++)
            {
                for (var ix = x0; ix < x1; ix++)
                {
                    m = Math.Max(m, IntElements.Get(image, ((nint)iy * inW + ix) * c + ch));
                }
            }
            IntElements.Set(d, ch, Math.Clamp(m, min, max));
        }
    }

    /// <summary>
    /// One output pixel of AVERAGE_POOL_2D: int32 sums over the window's cells, divided by the number of cells,
    /// rounding half away from zero, clamped.
    /// </summary>
    private static void AveragePixel<T>(T* image, T* d, int* acc, int c, int inW, int y0, int y1, int x0, int x1, int min, int max)
        where T : unmanaged, IBinaryInteger<T>
    {
        new Span<int>(acc, c).Clear();
        for (var iy = y0; iy < y1; iy++)
        {
            for (var ix = x0; ix < x1; ix++)
            {
                var p = image + ((nint)iy * inW + ix) * c;
                var ch = 0;
                if (Avx2.IsSupported)
                {
                    for (; ch <= c - 8; ch += 8)
                    {
                        (Avx2.LoadVector256(acc + ch) + IntElements.Load8(p + ch)).Store(acc + ch);
                    }
                }
                for (; ch < c; ch++)
                {
                    acc[ch] += IntElements.Get(p, ch);
                }
            }
        }
        var count = (y1 - y0) * (x1 - x0);
        var half = count / 2;
        for (var ch = 0; ch < c; ch++)
        {
            var v = acc[ch];
            // Round half away from zero, as the reference kernel does.
            v = count == 0 ? 0 : v > 0 ? (v + half) / count : (v - half) / count;
            IntElements.Set(d, ch, Math.Clamp(v, min, max));
        }
    }
}
