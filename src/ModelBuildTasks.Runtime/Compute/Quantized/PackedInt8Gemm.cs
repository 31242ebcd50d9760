using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// Weights W[N×K] (int16, zero point removed) packed for <see cref="PackedInt8Gemm"/>: panels of 16 output
/// channels; within a panel, for each pair of reduction indices (2p, 2p+1), the 16 channels' two weights side by
/// side. One multiply-add of adjacent int16 pairs against a broadcast activation pair then yields 8 channels'
/// partial sums directly, with no horizontal sums. K is padded to even with zero weights.
/// </summary>
internal sealed unsafe class PackedInt16Weights
{
    public const int Columns = 16;

    private readonly short[] data;

    public PackedInt16Weights(ReadOnlySpan<short> weights, int n, int k)
    {
        N = n;
        K = k;
        Pairs = (k + 1) / 2;
        Panels = (n + Columns - 1) / Columns;
        data = GC.AllocateArray<short>(Panels * Pairs * Columns * 2 + 32, pinned: true);
        for (var col = 0; col < n; col++)
        {
            var panel = col / Columns;
            var lane = col % Columns;
            for (var i = 0; i < k; i++)
            {
                data[((panel * Pairs + i / 2) * Columns + lane) * 2 + i % 2] = weights[col * k + i];
            }
        }
        Data = (short*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(data));
    }

    public int N { get; }

    public int K { get; }

    public int Pairs { get; }

    public int Panels { get; }

    /// <summary>Pointer into the pinned array (valid while this object lives).</summary>
    public short* Data { get; }
}

/// <summary>
/// Integer matrix product for 8-bit activations: up to four rows of int16 activations (each padded so an odd K
/// can read one element past its end) against a <see cref="PackedInt16Weights"/> panel, producing the int32 sums
/// of 4 rows × 16 channels in registers (AVX2), or with a scalar loop elsewhere.
/// </summary>
internal static unsafe class PackedInt8Gemm
{
    public const int Rows = 4;

    /// <summary>sums[r·16 + j] = Σ_k a_r[k]·W[panel·16 + j][k] for r &lt; 4 (rows beyond the real ones repeat row 0).</summary>
    public static void Panel(short* a0, short* a1, short* a2, short* a3, short* panel, int pairs, int* sums)
    {
        if (Avx2.IsSupported)
        {
            var c00 = Vector256<int>.Zero; var c01 = Vector256<int>.Zero;
            var c10 = Vector256<int>.Zero; var c11 = Vector256<int>.Zero;
            var c20 = Vector256<int>.Zero; var c21 = Vector256<int>.Zero;
            var c30 = Vector256<int>.Zero; var c31 = Vector256<int>.Zero;
            for (var p = 0; p < pairs; p++)
            {
                var w0 = Avx.LoadVector256(panel);
                var w1 = Avx.LoadVector256(panel + 16);
                panel += 32;
                var x0 = Vector256.Create(((int*)a0)[p]).AsInt16();
                c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(x0, w0));
                c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(x0, w1));
                var x1 = Vector256.Create(((int*)a1)[p]).AsInt16();
                c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(x1, w0));
                c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(x1, w1));
                var x2 = Vector256.Create(((int*)a2)[p]).AsInt16();
                c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(x2, w0));
                c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(x2, w1));
                var x3 = Vector256.Create(((int*)a3)[p]).AsInt16();
                c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(x3, w0));
                c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(x3, w1));
            }
            c00.Store(sums); c01.Store(sums + 8);
            c10.Store(sums + 16); c11.Store(sums + 24);
            c20.Store(sums + 32); c21.Store(sums + 40);
            c30.Store(sums + 48); c31.Store(sums + 56);
            return;
        }
        var rows = stackalloc short*[] { a0, a1, a2, a3 };
        for (var r = 0; r < Rows; r++)
        {
            for (var j = 0; j < PackedInt16Weights.Columns; j++)
            {
                var s = 0;
                for (var p = 0; p < pairs; p++)
                {
                    var w = panel + (p * PackedInt16Weights.Columns + j) * 2;
                    s += rows[r][2 * p] * w[0] + rows[r][2 * p + 1] * w[1];
                }
                sums[r * PackedInt16Weights.Columns + j] = s;
            }
        }
    }
}
