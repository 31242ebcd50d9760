using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer DEPTHWISE_CONV_2D (int8, uint8, 16x8; per-channel weights on axis 3; any depth multiplier). For each
/// output pixel the int32 accumulators of all output channels are built tap by tap — the input pixel minus its
/// zero point, times the tap's weights, eight channels per vector — skipping taps outside the image as the
/// reference kernel does, then requantized per channel. Threads split output rows.
/// </summary>
internal sealed unsafe class DepthwiseConv2D : Kernel
{
    private readonly ConvGeometry g;
    private readonly int multiplier;
    private readonly int[] weights;
    private readonly int[] zeroPointSums;
    private readonly int[] tapOffsets;
    private readonly short[] pairWeights;
    private readonly int[] pairOffsets;
    private readonly ChannelRequantizer requantizer;
    private readonly TensorType type;
    private readonly int inputZero;
    private readonly int input;
    private readonly int output;

    private DepthwiseConv2D(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var bias = s.OptionalInput(2);
        var y = s.Output(0);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        var o = s.Options<DepthwiseConv2DOptionsT>();
        g = ConvShapes.Depthwise(s, x, f, y, o);
        multiplier = g.OutC / g.InC;
        var widened = ChannelRequantizer.WidenedWeights(s, f, 3);
        weights = GC.AllocateArray<int>(widened.Length, pinned: true);
        for (var i = 0; i < widened.Length; i++)
        {
            weights[i] = widened[i];
        }
        // The kernel subtracts the input zero point itself, so the bias needs no correction (weight sum 0).
        requantizer = ChannelRequantizer.Create(s, x, f, bias, y, o.FusedActivationFunction, widened, g.OutC, 0,
            weightSumOverride: _ => 0);
        var info = QuantInfo.Of(s, x);
        // 16-bit products reach 2^22; int32 sums stay exact up to 256 taps.
        s.Require(x.Type != TensorType.INT16 || g.KH * g.KW <= 256, $"16x8 depthwise filter {f} has more than 256 taps");
        type = x.Type;
        inputZero = info.ZeroPoint;
        // Pixels whose taps all lie inside the image subtract zero·Σw once instead of the zero point per tap.
        zeroPointSums = GC.AllocateArray<int>(g.OutC + 8, pinned: true);
        for (var t = 0; t < g.KH * g.KW; t++)
        {
            for (var c = 0; c < g.OutC; c++)
            {
                zeroPointSums[c] += inputZero * weights[t * g.OutC + c];
            }
        }
        // Element offset of each tap from the patch's top-left input pixel.
        tapOffsets = GC.AllocateArray<int>(g.KH * g.KW, pinned: true);
        for (var ky = 0; ky < g.KH; ky++)
        {
            for (var kx = 0; kx < g.KW; kx++)
            {
                tapOffsets[ky * g.KW + kx] = (ky * g.DilationH * g.InW + kx * g.DilationW) * g.InC;
            }
        }
        // The interior path multiplies two taps at once with pmaddwd (int16 pairs summed exactly into int32): per
        // group of 8 channels and pair of taps, each channel's two weights side by side; an odd last tap pairs
        // with a zero weight (its second input is the first one again).
        var pairs = (g.KH * g.KW + 1) / 2;
        var groups = g.OutC / 8;
        pairWeights = GC.AllocateArray<short>(Math.Max(1, groups * pairs * 16), pinned: true);
        pairOffsets = GC.AllocateArray<int>(2 * pairs, pinned: true);
        for (var p = 0; p < pairs; p++)
        {
            var second = Math.Min(2 * p + 1, g.KH * g.KW - 1);
            pairOffsets[2 * p] = tapOffsets[2 * p];
            pairOffsets[2 * p + 1] = tapOffsets[second];
            for (var group = 0; group < groups; group++)
            {
                for (var ci = 0; ci < 8; ci++)
                {
                    var c = group * 8 + ci;
                    var at = (group * pairs + p) * 16 + 2 * ci;
                    pairWeights[at] = (short)weights[2 * p * g.OutC + c];
                    pairWeights[at + 1] = second == 2 * p ? (short)0 : (short)weights[second * g.OutC + c];
                }
            }
        }
        // Per thread: accumulators and one widened input pixel (×multiplier), each OutC ints.
        ScratchBytesPerThread = 2L * (g.OutC + 8) * sizeof(int);
        MultiplyAccumulates = (long)g.Batch * g.OutH * g.OutW * g.OutC * g.KH * g.KW;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new DepthwiseConv2D(s);

    public override void Run(RunContext context)
    {
        var job = new Job
        {
            G = g,
            Multiplier = multiplier,
            W = (int*)Unsafe.AsPointer(ref weights[0]),
            ZeroPointSums = (int*)Unsafe.AsPointer(ref zeroPointSums[0]),
            TapOffsets = (int*)Unsafe.AsPointer(ref tapOffsets[0]),
            PairWeights = (short*)Unsafe.AsPointer(ref pairWeights[0]),
            PairOffsets = (int*)Unsafe.AsPointer(ref pairOffsets[0]),
            Rq = requantizer.View,
            Type = type,
            InputZero = inputZero,
            Input = context.B(input),
            Output = context.B(output),
            Scratch = context.ScratchTable,
        };
        context.Pool.For(g.Batch * g.OutH, 1, &Body, &job);
    }

    private struct Job
    {
        public ConvGeometry G;
        public int Multiplier;
        public int* W;
        public int* ZeroPointSums;
        public int* TapOffsets;
        public short* PairWeights;
        public int* PairOffsets;
        public RequantizerView Rq;
        public TensorType Type;
        public int InputZero;
        public byte* Input;
        public byte* Output;
        public nint* Scratch;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        switch (j.Type)
        {
            case TensorType.INT8: Rows<sbyte>(ref j, begin, end, thread); break;
            case TensorType.UINT8: Rows<byte>(ref j, begin, end, thread); break;
            default: Rows<short>(ref j, begin, end, thread); break;
        }
    }

    private static void Rows<T>(ref Job j, int begin, int end, int thread) where T : unmanaged, IBinaryInteger<T>
    {
        ref var g = ref j.G;
        var acc = (int*)j.Scratch[thread];
        var pixel = acc + g.OutC + 8;
        var input = (T*)j.Input;
        var output = (T*)j.Output;
        // 8-bit, depth multiplier 1: pixels whose taps all lie inside the image take the register-blocked path.
        var fast = typeof(T) != typeof(short) && j.Multiplier == 1 && j.Rq.CanVectorize && System.Runtime.Intrinsics.X86.Avx2.IsSupported;
        var oxBegin = Math.Min(g.OutW, (g.PadLeft + g.StrideW - 1) / g.StrideW);
        var lastStart = g.InW + g.PadLeft - (g.KW - 1) * g.DilationW - 1; // largest ox·stride whose taps all fit
        var oxEnd = lastStart < 0 ? oxBegin : Math.Max(oxBegin, Math.Min(g.OutW, lastStart / g.StrideW + 1));
        for (var row = begin; row < end; row++)
        {
            var b = row / g.OutH;
            var oy = row % g.OutH;
            var iyTop = oy * g.StrideH - g.PadTop;
            var rowInside = iyTop >= 0 && iyTop + (g.KH - 1) * g.DilationH < g.InH;
            if (fast && rowInside && oxEnd > oxBegin)
            {
                Interior(ref j, input, output, b, oy, iyTop, oxBegin, oxEnd, acc);
            }
            for (var ox = 0; ox < g.OutW; ox++)
            {
                if (fast && rowInside && ox == oxBegin && oxEnd > oxBegin)
                {
                    ox = oxEnd - 1;
                    continue;
                }
                new Span<int>(acc, g.OutC).Clear();
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
                        var src = input + ((nint)((b * g.InH + iy) * g.InW) + ix) * g.InC;
                        var tap = j.W + (nint)(ky * g.KW + kx) * g.OutC;
                        if (j.Multiplier == 1)
                        {
                            MultiplyAddPixel(acc, src, j.InputZero, tap, g.OutC);
                            continue;
                        }
                        // The input pixel minus its zero point, repeated per depth multiplier to line up with outputs.
                        for (var c = 0; c < g.InC; c++)
                        {
                            var v = IntElements.Get(src, c) - j.InputZero;
                            for (var m = 0; m < j.Multiplier; m++)
                            {
                                pixel[c * j.Multiplier + m] = v;
                            }
                        }
                        MultiplyAdd(acc, pixel, tap, g.OutC);
                    }
                }
                var dst = output + ((nint)(row * g.OutW) + ox) * g.OutC;
                var oc = 0;
                if (j.Rq.CanVectorize && System.Runtime.Intrinsics.X86.Avx2.IsSupported)
                {
                    for (; oc <= g.OutC - 8; oc += 8)
                    {
                        j.Rq.Requantize8(acc + oc, oc);
                        for (var i = oc; i < oc + 8; i++)
                        {
                            IntElements.Set(dst, i, acc[i]);
                        }
                    }
                }
                for (; oc < g.OutC; oc++)
                {
                    IntElements.Set(dst, oc, j.Rq.Requantize(acc[oc], oc));
                }
            }
        }
    }

    /// <summary>
    /// Output pixels [oxBegin, oxEnd) of one row, all of whose taps lie inside the image: per block of 16 (then 8)
    /// channels, the int32 sums Σx·w stay in registers across the taps; zero·Σw is subtracted once, then requantized
    /// and narrowed to bytes. Exact integer sums, so the result equals the per-tap path's.
    /// </summary>
    private static void Interior<T>(ref Job j, T* input, T* output, int b, int oy, int iyTop, int oxBegin, int oxEnd, int* sums)
        where T : unmanaged, IBinaryInteger<T>
    {
        ref var g = ref j.G;
        var channels = g.OutC;
        var taps = g.KH * g.KW;
        var strideW = g.StrideW;
        var offsets = j.TapOffsets;
        var rowBase = input + ((nint)(b * g.InH + iyTop) * g.InW - g.PadLeft) * channels;
        var outRow = output + (nint)(b * g.OutH + oy) * g.OutW * channels;
        var pairs = (taps + 1) / 2;
        var pairOffsets = j.PairOffsets;
        var c16 = 0;
        for (; c16 <= channels - 16; c16 += 16)
        {
            // Two groups of 8 channels per pass: one tap offset and loop step serve both accumulators.
            var correction0 = Vector256.Load(j.ZeroPointSums + c16);
            var correction1 = Vector256.Load(j.ZeroPointSums + c16 + 8);
            var w0 = j.PairWeights + (nint)(c16 / 8) * pairs * 16;
            var w1 = w0 + pairs * 16;
            for (var ox = oxBegin; ox < oxEnd; ox++)
            {
                var src = rowBase + (nint)ox * strideW * channels + c16;
                var lo = Vector256<int>.Zero;
                var hi = Vector256<int>.Zero;
                for (var p = 0; p < pairs; p++)
                {
                    var wLo = Vector256.Create(Vector128.Load(w0 + p * 16), Vector128.Load(w1 + p * 16));
                    var wHi = Vector256.Create(Vector128.Load(w0 + p * 16 + 8), Vector128.Load(w1 + p * 16 + 8));
                    TapPair16(src + pairOffsets[2 * p], src + pairOffsets[2 * p + 1], wLo, wHi, ref lo, ref hi);
                }
                (System.Runtime.Intrinsics.X86.Avx2.Permute2x128(lo, hi, 0x20) - correction0).Store(sums);
                (System.Runtime.Intrinsics.X86.Avx2.Permute2x128(lo, hi, 0x31) - correction1).Store(sums + 8);
                j.Rq.Requantize8(sums, c16);
                j.Rq.Requantize8(sums + 8, c16 + 8);
                VnniInt8Gemm.Store16(sums, outRow + (nint)ox * channels + c16);
            }
        }
        for (var c = c16; c <= channels - 8; c += 8)
        {
            var correction = Vector256.Load(j.ZeroPointSums + c);
            var w = j.PairWeights + (nint)(c / 8) * pairs * 16;
            var ox = oxBegin;
            if (channels == 8 && strideW == 1)
            {
                // Eight channels at stride 1: two neighbouring pixels are 16 contiguous bytes, one vector.
                for (; ox + 1 < oxEnd; ox += 2)
                {
                    var src = rowBase + (nint)ox * channels;
                    var lo = Vector256<int>.Zero;
                    var hi = Vector256<int>.Zero;
                    for (var p = 0; p < pairs; p++)
                    {
                        var wLo = Vector128.Load(w + p * 16);
                        var wHi = Vector128.Load(w + p * 16 + 8);
                        TapPair16(src + pairOffsets[2 * p], src + pairOffsets[2 * p + 1],
                            Vector256.Create(wLo, wLo), Vector256.Create(wHi, wHi), ref lo, ref hi);
                    }
                    (System.Runtime.Intrinsics.X86.Avx2.Permute2x128(lo, hi, 0x20) - correction).Store(sums);
                    (System.Runtime.Intrinsics.X86.Avx2.Permute2x128(lo, hi, 0x31) - correction).Store(sums + 8);
                    j.Rq.Requantize8(sums, 0);
                    j.Rq.Requantize8(sums + 8, 0);
                    VnniInt8Gemm.Store16(sums, outRow + (nint)ox * channels);
                }
            }
            for (; ox < oxEnd; ox++)
            {
                var src = rowBase + (nint)ox * strideW * channels + c;
                var acc = -correction;
                for (var p = 0; p < pairs; p++)
                {
                    acc += TapPair(src + pairOffsets[2 * p], src + pairOffsets[2 * p + 1], w + p * 16);
                }
                acc.Store(sums);
                j.Rq.Requantize8(sums, c);
                var shorts = Vector256.Narrow(Vector256.Load(sums), Vector256<int>.Zero);
                *(long*)(outRow + (nint)ox * channels + c) = Vector128.Narrow(shorts.GetLower(), Vector128<short>.Zero).AsInt64().ToScalar();
            }
        }
        // The last channels (fewer than 8) one by one.
        for (var c = channels / 8 * 8; c < channels; c++)
        {
            for (var ox = oxBegin; ox < oxEnd; ox++)
            {
                var src = rowBase + (nint)ox * strideW * channels + c;
                var total = -j.ZeroPointSums[c];
                for (var t = 0; t < taps; t++)
                {
                    total += IntElements.Get(src, offsets[t]) * j.W[(nint)t * channels + c];
                }
                IntElements.Set(outRow, (nint)ox * channels + c, j.Rq.Requantize(total, c));
            }
        }
    }

    /// <summary>
    /// 8 channels' x_a·w_a + x_b·w_b for two taps: the inputs widened to int16 and interleaved per channel, one
    /// pmaddwd against the pair's interleaved weights (8-bit products, so the int32 sums are exact).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> TapPair<T>(T* a, T* b, short* w) where T : unmanaged, IBinaryInteger<T>
    {
        var xa = typeof(T) == typeof(sbyte)
            ? System.Runtime.Intrinsics.X86.Sse41.ConvertToVector128Int16((sbyte*)a)
            : System.Runtime.Intrinsics.X86.Sse41.ConvertToVector128Int16((byte*)a);
        var xb = typeof(T) == typeof(sbyte)
            ? System.Runtime.Intrinsics.X86.Sse41.ConvertToVector128Int16((sbyte*)b)
            : System.Runtime.Intrinsics.X86.Sse41.ConvertToVector128Int16((byte*)b);
        var lo = System.Runtime.Intrinsics.X86.Sse2.UnpackLow(xa, xb);
        var hi = System.Runtime.Intrinsics.X86.Sse2.UnpackHigh(xa, xb);
        return System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(Vector256.Create(lo, hi), Vector256.Load(w));
    }

    /// <summary>
    /// <see cref="TapPair"/> on 16 contiguous bytes per tap (16 channels of a pixel, or 8 channels of two
    /// neighbouring pixels): the unpacks work per 128-bit half, so <paramref name="lo"/> collects elements 0-3
    /// and 8-11, <paramref name="hi"/> 4-7 and 12-15; <paramref name="wLo"/>/<paramref name="wHi"/> hold the
    /// matching interleaved weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TapPair16<T>(T* a, T* b, Vector256<short> wLo, Vector256<short> wHi, ref Vector256<int> lo, ref Vector256<int> hi)
        where T : unmanaged, IBinaryInteger<T>
    {
        var xa = typeof(T) == typeof(sbyte)
            ? System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int16((sbyte*)a)
            : System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int16((byte*)a);
        var xb = typeof(T) == typeof(sbyte)
            ? System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int16((sbyte*)b)
            : System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int16((byte*)b);
        lo += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(System.Runtime.Intrinsics.X86.Avx2.UnpackLow(xa, xb), wLo);
        hi += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(System.Runtime.Intrinsics.X86.Avx2.UnpackHigh(xa, xb), wHi);
    }

    /// <summary>acc[c] += (x[c] − zero)·w[c], widening 8 input bytes per step on AVX2.</summary>
    private static void MultiplyAddPixel<T>(int* acc, T* x, int zero, int* w, int n) where T : unmanaged, IBinaryInteger<T>
    {
        var c = 0;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && (typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte)))
        {
            var z = Vector256.Create(zero);
            for (; c <= n - 8; c += 8)
            {
                var v = typeof(T) == typeof(sbyte)
                    ? System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32((sbyte*)x + c)
                    : System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32((byte*)x + c);
                Vector256.Store(Vector256.Load(acc + c) + (v - z) * Vector256.Load(w + c), acc + c);
            }
        }
        for (; c < n; c++)
        {
            acc[c] += (IntElements.Get(x, c) - zero) * w[c];
        }
    }

    /// <summary>acc[i] += x[i]·w[i].</summary>
    private static void MultiplyAdd(int* acc, int* x, int* w, int n)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                Vector256.Store(Vector256.Load(acc + i) + Vector256.Load(x + i) * Vector256.Load(w + i), acc + i);
            }
        }
        for (; i < n; i++)
        {
            acc[i] += x[i] * w[i];
        }
    }
}
