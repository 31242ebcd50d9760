using System.Numerics;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// One output row of an integer matrix product: out[n] = requantize(Σ_k a[k]·w[n][k], n) for n in [n0, n1),
/// with weights stored as int16 rows of length k (TFLite's [out, …in] layout, zero point removed).
/// </summary>
internal static unsafe class IntGemm
{
    /// <summary><paramref name="wide"/>: 16-bit activations, whose long rows need int64 sums.</summary>
    public static void Row<T>(short* a, short* w, int k, int n0, int n1, in RequantizerView rq, T* dst, bool wide)
        where T : unmanaged, IBinaryInteger<T>
    {
        var sums = stackalloc int[4];
        var n = n0;
        if (!wide || k <= IntDot.SafeRun16)
        {
            for (; n <= n1 - 4; n += 4)
            {
                var w0 = w + (nint)n * k;
                IntDot.Dot4(a, w0, w0 + k, w0 + 2 * k, w0 + 3 * k, k, sums);
                IntElements.Set(dst, n, rq.Requantize(sums[0], n));
                IntElements.Set(dst, n + 1, rq.Requantize(sums[1], n + 1));
                IntElements.Set(dst, n + 2, rq.Requantize(sums[2], n + 2));
                IntElements.Set(dst, n + 3, rq.Requantize(sums[3], n + 3));
            }
        }
        for (; n < n1; n++)
        {
            var wn = w + (nint)n * k;
            var acc = wide ? IntDot.DotLong(a, wn, k) : IntDot.Dot(a, wn, k);
            IntElements.Set(dst, n, rq.Requantize(acc, n));
        }
    }
}
