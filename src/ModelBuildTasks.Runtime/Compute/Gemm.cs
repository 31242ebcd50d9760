using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuildTasks.Runtime.Compute;

/// <summary>
/// A weight matrix W[N×K] (TFLite's [out, …in] layout) packed for <see cref="Gemm"/>: panels of
/// <see cref="Gemm.NR"/> output columns, each K rows of NR contiguous floats (zero-padded past N), so the
/// micro-kernel streams one panel with unit stride. Bias is padded the same way.
/// </summary>
internal sealed unsafe class PackedWeights
{
    private readonly float[] data;
    private readonly float[] bias;

    public PackedWeights(ReadOnlySpan<float> weights, int n, int k, ReadOnlySpan<float> biasValues)
    {
        N = n;
        K = k;
        Panels = (n + Gemm.NR - 1) / Gemm.NR;
        data = GC.AllocateArray<float>(Panels * k * Gemm.NR, pinned: true);
        bias = GC.AllocateArray<float>(Panels * Gemm.NR, pinned: true);
        for (var col = 0; col < n; col++)
        {
            var panel = col / Gemm.NR;
            var lane = col % Gemm.NR;
            var row = weights.Slice(col * k, k);
            var dst = data.AsSpan(panel * k * Gemm.NR);
            for (var i = 0; i < k; i++)
            {
                dst[i * Gemm.NR + lane] = row[i];
            }
            bias[col] = biasValues.IsEmpty ? 0f : biasValues[col];
        }
        Matrix = new PackedMatrix((float*)Unsafe.AsPointer(ref data[0]), (float*)Unsafe.AsPointer(ref bias[0]), n, k, Panels);
    }

    public int N { get; }

    public int K { get; }

    public int Panels { get; }

    /// <summary>Pointers into the pinned arrays, for unmanaged job structs.</summary>
    public PackedMatrix Matrix { get; }
}

/// <summary>Unmanaged view of <see cref="PackedWeights"/> (valid while the owner lives).</summary>
internal readonly unsafe struct PackedMatrix(float* data, float* bias, int n, int k, int panels)
{
    public readonly float* Data = data;
    public readonly float* Bias = bias;
    public readonly int N = n;
    public readonly int K = k;
    public readonly int Panels = panels;
}

/// <summary>
/// Single-precision matrix multiply C = clamp(A·W + bias) with a register-blocked micro-kernel: a 6×16 tile of C
/// lives in twelve 256-bit accumulators while the kernel walks K, broadcasting one A value per row and loading
/// two W vectors per step (12 FMAs per 8 loads). A is read in place (row stride lda), which lets a 1×1
/// convolution over NHWC data use its input directly. Every element of C is accumulated in the same order
/// (bias, then k = 0, 1, …) whichever tile, thread or edge path computes it, so results do not depend on
/// blocking or thread count.
/// </summary>
internal static unsafe class Gemm
{
    public const int MR = 6;
    public const int NR = 16;

    // Panels per pass, so that the panels one row tile sweeps stay in L2 while the tile's rows stay in L1.
    private const int L2Budget = 384 * 1024;

    /// <summary>
    /// Splits rows × column panels into work items: big row blocks on one thread; on several, enough items for
    /// each thread to get about four, using column groups when rows alone are too few.
    /// </summary>
    public static int Partition(int rows, int panels, int maxRows, int threads, out int rowsPerBlock, out int panelGroups, out int panelsPerGroup)
    {
        rowsPerBlock = maxRows;
        panelGroups = 1;
        if (threads > 1)
        {
            var wanted = 4 * threads;
            var perBlock = (rows + wanted - 1) / wanted;
            rowsPerBlock = Math.Clamp((perBlock + MR - 1) / MR * MR, MR, maxRows);
            var rowBlocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
            if (rowBlocks < wanted)
            {
                panelGroups = Math.Min(panels, (wanted + rowBlocks - 1) / rowBlocks);
            }
        }
        panelsPerGroup = (panels + panelGroups - 1) / panelGroups;
        panelGroups = (panels + panelsPerGroup - 1) / panelsPerGroup;
        return (rows + rowsPerBlock - 1) / rowsPerBlock * panelGroups;
    }

    /// <summary>
    /// Computes rows [0, rows) and panels [panelBegin, panelEnd) of C. <paramref name="c"/> and
    /// <paramref name="a"/> point at row 0.
    /// </summary>
    public static void Multiply(
        float* a, int lda, int rows, in PackedMatrix w, int panelBegin, int panelEnd, float* c, int ldc, float min, float max)
    {
        var k = w.K;
        var panelsPerPass = Math.Max(1, L2Budget / Math.Max(1, k * NR * sizeof(float)));
        var tile = stackalloc float[MR * NR];
        for (var pass = panelBegin; pass < panelEnd; pass += panelsPerPass)
        {
            var passEnd = Math.Min(panelEnd, pass + panelsPerPass);
            for (var m = 0; m < rows; m += MR)
            {
                var mr = Math.Min(MR, rows - m);
                var am = a + (nint)m * lda;
                for (var p = pass; p < passEnd; p++)
                {
                    var nr = Math.Min(NR, w.N - p * NR);
                    var cp = c + (nint)m * ldc + p * NR;
                    var panel = w.Data + (nint)p * k * NR;
                    if (mr == MR && nr == NR)
                    {
                        Kernel6x16(am, lda, MR, panel, k, w.Bias + p * NR, cp, ldc, min, max);
                    }
                    else
                    {
                        Kernel6x16(am, lda, mr, panel, k, w.Bias + p * NR, tile, NR, min, max);
                        for (var r = 0; r < mr; r++)
                        {
                            new ReadOnlySpan<float>(tile + r * NR, nr).CopyTo(new Span<float>(cp + (nint)r * ldc, nr));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The 6×16 micro-kernel. Rows past <paramref name="rowsValid"/> re-read row 0 (their results are discarded
    /// by the caller), so no load goes past the end of A.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(
        float* a, nint lda, int rowsValid, float* b, int k, float* bias, float* c, nint ldc, float min, float max)
    {
        var a0 = a;
        var a1 = a + (rowsValid > 1 ? lda : 0);
        var a2 = a + (rowsValid > 2 ? 2 * lda : 0);
        var a3 = a + (rowsValid > 3 ? 3 * lda : 0);
        var a4 = a + (rowsValid > 4 ? 4 * lda : 0);
        var a5 = a + (rowsValid > 5 ? 5 * lda : 0);
        var bias0 = Vector256.Load(bias);
        var bias1 = Vector256.Load(bias + 8);
        Vector256<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
        Vector256<float> c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
        for (var p = 0; p < k; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            b += NR;
            var x = Vector256.Create(a0[p]);
            c00 = MulAdd(x, b0, c00);
            c01 = MulAdd(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = MulAdd(x, b0, c10);
            c11 = MulAdd(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = MulAdd(x, b0, c20);
            c21 = MulAdd(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = MulAdd(x, b0, c30);
            c31 = MulAdd(x, b1, c31);
            x = Vector256.Create(a4[p]);
            c40 = MulAdd(x, b0, c40);
            c41 = MulAdd(x, b1, c41);
            x = Vector256.Create(a5[p]);
            c50 = MulAdd(x, b0, c50);
            c51 = MulAdd(x, b1, c51);
        }
        var lo = Vector256.Create(min);
        var hi = Vector256.Create(max);
        Store(c00, c01, c, lo, hi);
        if (rowsValid > 1)
        {
            Store(c10, c11, c + ldc, lo, hi);
        }
        if (rowsValid > 2)
        {
            Store(c20, c21, c + 2 * ldc, lo, hi);
        }
        if (rowsValid > 3)
        {
            Store(c30, c31, c + 3 * ldc, lo, hi);
        }
        if (rowsValid > 4)
        {
            Store(c40, c41, c + 4 * ldc, lo, hi);
        }
        if (rowsValid > 5)
        {
            Store(c50, c51, c + 5 * ldc, lo, hi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> v0, Vector256<float> v1, float* c, Vector256<float> lo, Vector256<float> hi)
    {
        Vector256.Store(Vector256.Min(Vector256.Max(v0, lo), hi), c);
        Vector256.Store(Vector256.Min(Vector256.Max(v1, lo), hi), c + 8);
    }

    /// <summary>a·b + c, fused where the CPU has FMA (one rounding, like TFLite's optimized kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : (a * b) + c;
}
