using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// Run-time quantization of float activations to int8 for the hybrid (dynamic-range) kernels, as TFLite does it
/// per row or image: asymmetric to [−128, 127] over a range that includes 0, with a nudged zero point. Values are
/// written as int16 q (for <see cref="IntDot"/> and <see cref="PackedInt8Gemm"/>) or as the unsigned byte q + 128
/// that <see cref="VnniInt8Gemm"/> reads. The AVX2 loops compute exactly what the scalar ones do: the same float
/// operations in the same order, and rounding that is exact in both.
/// </summary>
internal static unsafe class DynamicQuantization
{
    /// <summary>Asymmetric over a range that includes 0. Returns the scale; <paramref name="offset"/> is the zero point.</summary>
    public static float Asymmetric<T>(float* values, int n, T* quantized, out int offset) where T : unmanaged
    {
        var (min, max) = Range(values, n);
        double rmin = min, rmax = max;
        if (rmin == rmax)
        {
            Fill(quantized, n, 0);
            offset = 0;
            return 1f;
        }
        const double qmin = -128, qmax = 127;
        var scale = (rmax - rmin) / (qmax - qmin);
        var fromMin = qmin - rmin / scale;
        var fromMax = qmax - rmax / scale;
        // Pick the zero point whose derivation loses less precision.
        var zero = Math.Abs(qmin) + Math.Abs(rmin / scale) < Math.Abs(qmax) + Math.Abs(rmax / scale) ? fromMin : fromMax;
        offset = zero <= qmin ? -128 : zero >= qmax ? 127 : (int)Math.Round(zero, MidpointRounding.AwayFromZero);
        var factor = (float)scale;
        var inverse = 1f / factor;
        float shift = offset;
        var i = 0;
        if (Avx2.IsSupported)
        {
            var vShift = Vector256.Create(shift);
            var vInverse = Vector256.Create(inverse);
            var half = Vector256.Create(0.5f);
            var signBit = Vector256.Create(-0f);
            var one = Vector256.Create(1f);
            var lo = Vector256.Create(-128f);
            var hi = Vector256.Create(127f);
            for (; i <= n - 8; i += 8)
            {
                // offset + v·inverse, rounded half away from zero: the truncation plus ±1 where the dropped
                // fraction (exact in float) is at least one half.
                var x = Avx.Add(vShift, Avx.Multiply(Avx.LoadVector256(values + i), vInverse));
                var t = Avx.RoundToZero(x);
                var fraction = Avx.AndNot(signBit, Avx.Subtract(x, t));
                var step = Avx.And(Avx.CompareGreaterThanOrEqual(fraction, half), Avx.Or(one, Avx.And(signBit, x)));
                var q = Avx.Min(Avx.Max(Avx.Add(t, step), lo), hi);
                Store(Avx.ConvertToVector256Int32(q), quantized + i);
            }
        }
        for (; i < n; i++)
        {
            var q = (int)MathF.Round(shift + values[i] * inverse, MidpointRounding.AwayFromZero);
            Set(quantized, i, Math.Clamp(q, -128, 127));
        }
        return factor;
    }

    /// <summary>
    /// XNNPACK's per-row dynamic quantization, which LiteRT uses for hybrid 1×1 convolutions: inverse scale
    /// 255 / (max − min) in float32 over a range that includes 0, zero point from the end that loses less, values
    /// rounded to nearest even. Returns the scale; <paramref name="offset"/> is the zero point.
    /// </summary>
    public static float AsymmetricPerRow<T>(float* values, int n, T* quantized, out int offset) where T : unmanaged
    {
        var (min, max) = Range(values, n);
        if (min == max)
        {
            Fill(quantized, n, 0);
            offset = 0;
            return 1f;
        }
        var inverse = 255f / (max - min);
        var minScaled = min * inverse;
        var maxScaled = max * inverse;
        var zero = -128f + minScaled + (127f + maxScaled) > 0 ? -128f - minScaled : 127f - maxScaled;
        offset = (int)MathF.Round(Math.Clamp(zero, -128f, 127f), MidpointRounding.ToEven);
        float lo = -128 - offset, hi = 127 - offset;
        var i = 0;
        if (Avx2.IsSupported)
        {
            var vInverse = Vector256.Create(inverse);
            var vLo = Vector256.Create(lo);
            var vHi = Vector256.Create(hi);
            var vOffset = Vector256.Create(offset);
            for (; i <= n - 8; i += 8)
            {
                var x = Avx.Min(Avx.Max(Avx.Multiply(Avx.LoadVector256(values + i), vInverse), vLo), vHi);
                Store(Avx2.Add(Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(x)), vOffset), quantized + i);
            }
        }
        for (; i < n; i++)
        {
            Set(quantized, i, (int)MathF.Round(Math.Clamp(values[i] * inverse, lo, hi), MidpointRounding.ToEven) + offset);
        }
        return 1f / inverse;
    }

    /// <summary>The element that stands for quantized value <paramref name="q"/> in a T row (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set<T>(T* row, nint i, int q) where T : unmanaged
    {
        if (typeof(T) == typeof(byte))
        {
            ((byte*)row)[i] = (byte)(q + 128);
        }
        else if (typeof(T) == typeof(short))
        {
            ((short*)row)[i] = (short)q;
        }
        else
        {
            throw new NotSupportedException(typeof(T).Name);
        }
    }

    /// <summary>Writes quantized value <paramref name="q"/> to n elements.</summary>
    public static void Fill<T>(T* row, int n, int q) where T : unmanaged
    {
        if (typeof(T) == typeof(byte))
        {
            new Span<byte>(row, n).Fill((byte)(q + 128));
        }
        else
        {
            new Span<short>(row, n).Fill((short)q);
        }
    }

    /// <summary>min(0, values…) and max(0, values…).</summary>
    private static (float Min, float Max) Range(float* values, int n)
    {
        float min = 0, max = 0;
        var i = 0;
        if (Avx.IsSupported && n >= 8)
        {
            var vMin = Vector256<float>.Zero;
            var vMax = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var v = Avx.LoadVector256(values + i);
                vMin = Avx.Min(vMin, v);
                vMax = Avx.Max(vMax, v);
            }
            // Fold the eight lanes in registers (both vectors started at 0, so 0 stays in the range).
            var min4 = Sse.Min(vMin.GetLower(), vMin.GetUpper());
            var max4 = Sse.Max(vMax.GetLower(), vMax.GetUpper());
            min4 = Sse.Min(min4, Sse.MoveHighToLow(min4, min4));
            max4 = Sse.Max(max4, Sse.MoveHighToLow(max4, max4));
            min = Sse.MinScalar(min4, Sse.Shuffle(min4, min4, 1)).ToScalar();
            max = Sse.MaxScalar(max4, Sse.Shuffle(max4, max4, 1)).ToScalar();
        }
        for (; i < n; i++)
        {
            min = Math.Min(min, values[i]);
            max = Math.Max(max, values[i]);
        }
        return (min, max);
    }

    /// <summary>Stores eight quantized values (already in [−128, 127]) as T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector256<int> q, T* dst) where T : unmanaged
    {
        var shorts = Avx2.PackSignedSaturate(q, q);
        // PackSignedSaturate works per 128-bit lane: elements 0-3 and 4-7 land in the low quarters of each lane.
        var ordered = Avx2.Permute4x64(shorts.AsInt64(), 0b_1000).AsInt16().GetLower();
        if (typeof(T) == typeof(byte))
        {
            var bytes = Sse2.PackSignedSaturate(ordered, ordered).AsByte() ^ Vector128.Create((byte)0x80);
            *(long*)dst = bytes.AsInt64().ToScalar();
        }
        else
        {
            ordered.Store((short*)dst);
        }
    }
}
