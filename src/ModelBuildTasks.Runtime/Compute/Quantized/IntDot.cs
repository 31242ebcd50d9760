using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// Dot products of int16 vectors (activations widened once per row, weights widened once at load) for the
/// integer GEMM. On x86 the multiply-add of adjacent int16 pairs (pmaddwd) yields int32 partial sums, 16 MACs per
/// instruction with AVX2; elsewhere a scalar loop computes the same exact sums.
/// </summary>
internal static unsafe class IntDot
{
    /// <summary>
    /// Longest run whose int32 sum cannot overflow for 16-bit activations and 8-bit weights: each product is at most
    /// 32768·128 = 2^22 in magnitude and the run's total (not only each lane's) must stay below 2^31, so fewer
    /// than 512 products; 31 blocks of 16 = 496.
    /// </summary>
    public const int SafeRun16 = 31 * 16;

    /// <summary>Four dot products of <paramref name="a"/> with four weight rows sharing one activation load.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot4(short* a, short* w0, short* w1, short* w2, short* w3, int k, int* result)
    {
        var i = 0;
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Avx2.IsSupported && k >= 16)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            var acc2 = Vector256<int>.Zero;
            var acc3 = Vector256<int>.Zero;
            for (; i <= k - 16; i += 16)
            {
                var x = Avx.LoadVector256(a + i);
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(x, Avx.LoadVector256(w0 + i)));
                acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(x, Avx.LoadVector256(w1 + i)));
                acc2 = Avx2.Add(acc2, Avx2.MultiplyAddAdjacent(x, Avx.LoadVector256(w2 + i)));
                acc3 = Avx2.Add(acc3, Avx2.MultiplyAddAdjacent(x, Avx.LoadVector256(w3 + i)));
            }
            s0 = Vector256.Sum(acc0);
            s1 = Vector256.Sum(acc1);
            s2 = Vector256.Sum(acc2);
            s3 = Vector256.Sum(acc3);
        }
        for (; i < k; i++)
        {
            int x = a[i];
            s0 += x * w0[i];
            s1 += x * w1[i];
            s2 += x * w2[i];
            s3 += x * w3[i];
        }
        result[0] = s0;
        result[1] = s1;
        result[2] = s2;
        result[3] = s3;
    }

    /// <summary>One dot product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(short* a, short* w, int k)
    {
        var i = 0;
        var s = 0;
        if (Avx2.IsSupported && k >= 16)
        {
            var acc = Vector256<int>.Zero;
            for (; i <= k - 16; i += 16)
            {
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx.LoadVector256(a + i), Avx.LoadVector256(w + i)));
            }
            s = Vector256.Sum(acc);
        }
        for (; i < k; i++)
        {
            s += a[i] * w[i];
        }
        return s;
    }

    /// <summary>Dot product with an int64 total, summing int32 partial sums over runs short enough not to overflow.</summary>
    public static long DotLong(short* a, short* w, int k)
    {
        long total = 0;
        for (var start = 0; start < k; start += SafeRun16)
        {
            total += Dot(a + start, w + start, Math.Min(SafeRun16, k - start));
        }
        return total;
    }
}
