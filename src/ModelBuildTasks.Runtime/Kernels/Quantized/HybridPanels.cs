using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// The weights of a hybrid CONV_2D or FULLY_CONNECTED packed for the 8-bit GEMMs (VNNI bytes, or int16 pairs when
/// VNNI is off), with the per-channel constants of the float rescale padded to whole 16-channel panels.
/// </summary>
internal sealed unsafe class HybridWeights
{
    private readonly PackedInt8Weights? vnni;
    private readonly PackedInt16Weights? int16;
    private readonly float[] scales;
    private readonly float[] bias;
    private readonly int[] rowSums32;
    private readonly long[] rowSums;

    /// <param name="bias">Null when the operator has none (BATCH_MATMUL): the rescale then adds nothing.</param>
    public HybridWeights(ReadOnlySpan<short> weights, int n, int k, float[] filterScales, float[]? bias, long[] rowSums)
    {
        if (Int8DotPaths.Current == Int8DotPath.Vnni)
        {
            // Activation bytes are q + 128; the packed corrections (128·Σw) take the 128 back out.
            vnni = PackedInt8Weights.TryCreate(weights, n, k, signedActivations: true);
        }
        int16 = vnni is null ? new PackedInt16Weights(weights, n, k) : null;
        var padded = (n + PackedInt8Weights.Columns - 1) / PackedInt8Weights.Columns * PackedInt8Weights.Columns;
        scales = GC.AllocateArray<float>(padded, pinned: true);
        this.bias = GC.AllocateArray<float>(padded, pinned: true);
        rowSums32 = GC.AllocateArray<int>(padded, pinned: true);
        this.rowSums = GC.AllocateArray<long>(padded, pinned: true);
        for (var c = 0; c < n; c++)
        {
            scales[c] = filterScales[c];
            this.bias[c] = bias?[c] ?? 0f;
            this.rowSums[c] = rowSums[c];
            rowSums32[c] = (int)rowSums[c];
        }
        View = new HybridPanels
        {
            Vnni = vnni is null ? null : vnni.Data,
            Quads = vnni?.Quads ?? 0,
            Corrections = vnni is null ? null : vnni.Corrections,
            Int16 = int16 is null ? null : int16.Data,
            Pairs = int16?.Pairs ?? 0,
            N = n,
            Panels = (n + PackedInt8Weights.Columns - 1) / PackedInt8Weights.Columns,
            Scales = Pin(scales),
            Bias = Pin(this.bias),
            RowSums32 = Pin(rowSums32),
            RowSums = Pin(this.rowSums),
            // |Σq·w| and |offset·Σw| are each at most 128·128·k, so below k = 2^16 the int32 sums and their
            // difference are exact; longer rows take the int64 scalar rescale.
            Exact32 = k < 65536,
            NoBias = bias is null,
        };
    }

    public Int8DotPath DotPath => vnni is null ? Int8DotPath.Int16Pairs : Int8DotPath.Vnni;

    public HybridPanels View { get; }

    /// <summary>Elements of one activation row: K padded to whole quads (VNNI) and pairs (int16).</summary>
    public static int RowStride(int k) => (k + 3) / 4 * 4;

    private static T* Pin<T>(T[] array) where T : unmanaged =>
        (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}

/// <summary>
/// What a parallel loop body needs of <see cref="HybridWeights"/> (pointers into pinned arrays): the panel
/// products and the float rescale of their sums.
/// </summary>
internal unsafe struct HybridPanels
{
    public sbyte* Vnni;
    public int Quads;
    public int* Corrections;
    public short* Int16;
    public int Pairs;
    public int N;
    public int Panels;
    public float* Scales;
    public float* Bias;
    public int* RowSums32;
    public long* RowSums;
    public bool Exact32;
    public bool NoBias;

    /// <summary>
    /// Σ q·w for four activation rows × the 16 channels of panel <paramref name="p"/>: T = byte rows (q + 128) on
    /// VNNI, T = short rows (q) on the int16 path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Panel<T>(T* a0, T* a1, T* a2, T* a3, int p, int* sums) where T : unmanaged
    {
        if (typeof(T) == typeof(byte))
        {
            VnniInt8Gemm.Panel((byte*)a0, (byte*)a1, (byte*)a2, (byte*)a3, Vnni + (nint)p * Quads * 64, Quads,
                Corrections + p * PackedInt8Weights.Columns, sums);
        }
        else
        {
            PackedInt8Gemm.Panel((short*)a0, (short*)a1, (short*)a2, (short*)a3, Int16 + (nint)p * Pairs * 32, Pairs, sums);
        }
    }

    /// <summary>
    /// Writes the channels from <paramref name="c0"/> (up to 16) of one row from its panel sums: dot = sum −
    /// offset·Σw[c], then in float either dot·s_w[c]·s + bias[c] (convolution) or bias[c] + dot·(s·s_w[c])
    /// (fully connected), or dot·(s·s_w[c]) without a bias — the orders the per-channel kernels always used, so the bits are the same. A partial
    /// panel's results pass through <paramref name="sums"/>, which this overwrites.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(int* sums, int offset, float scale, int c0, float* y, bool fullyConnectedOrder)
    {
        var count = Math.Min(PackedInt8Weights.Columns, N - c0);
        if (Avx2.IsSupported && Exact32)
        {
            var partial = (float*)sums;
            var dst = count == PackedInt8Weights.Columns ? y : partial;
            var vOffset = Vector256.Create(offset);
            var vScale = Vector256.Create(scale);
            for (var h = 0; h < PackedInt8Weights.Columns; h += 8)
            {
                var c = c0 + h;
                var dot = Avx2.Subtract(Avx.LoadVector256(sums + h), Avx2.MultiplyLow(vOffset, Avx.LoadVector256(RowSums32 + c)));
                var f = Avx.ConvertToVector256Single(dot);
                var ws = Avx.LoadVector256(Scales + c);
                var b = Avx.LoadVector256(Bias + c);
                var r = NoBias
                    ? Avx.Multiply(f, Avx.Multiply(vScale, ws))
                    : fullyConnectedOrder
                    ? Avx.Add(b, Avx.Multiply(f, Avx.Multiply(vScale, ws)))
                    : Avx.Add(Avx.Multiply(Avx.Multiply(f, ws), vScale), b);
                r.Store(dst + h);
            }
            if (dst == partial)
            {
                Buffer.MemoryCopy(partial, y, count * sizeof(float), count * sizeof(float));
            }
            return;
        }
        for (var j = 0; j < count; j++)
        {
            var c = c0 + j;
            var dot = sums[j] - offset * RowSums[c];
            y[j] = NoBias ? dot * (scale * Scales[c])
                : fullyConnectedOrder ? Bias[c] + dot * (scale * Scales[c]) : dot * Scales[c] * scale + Bias[c];
        }
    }
}

/// <summary>
/// Rows quantized up front (FULLY_CONNECTED, BATCH_MATMUL) times packed weights: (4-row block × 16-channel panel)
/// items split over the threads, written with the fully connected rescale order.
/// </summary>
internal static unsafe class HybridRows
{
    private struct Job
    {
        public HybridPanels W;
        public byte* Rows;
        public float* Scales;
        public int* Offsets;
        public float* Output;
        public nint* Scratch;
        public long SumsOffset;
        public int RowCount;
        public int K;
    }

    /// <summary>
    /// output[r·N + c] for every row of <paramref name="rows"/> (stride <see cref="HybridWeights.RowStride"/>, with
    /// their scales and zero points); each thread keeps its panel sums at <paramref name="sumsOffset"/> in its scratch.
    /// </summary>
    public static void Multiply<T>(RunContext context, HybridPanels w, T* rows, float* scales, int* offsets, int rowCount, int k,
        float* output, long sumsOffset) where T : unmanaged
    {
        var job = new Job
        {
            W = w,
            Rows = (byte*)rows,
            Scales = scales,
            Offsets = offsets,
            Output = output,
            Scratch = context.ScratchTable,
            SumsOffset = sumsOffset,
            RowCount = rowCount,
            K = k,
        };
        var blocks = (rowCount + PackedInt8Gemm.Rows - 1) / PackedInt8Gemm.Rows;
        context.Pool.For(blocks * w.Panels, 1, &Body<T>, &job);
    }

    private static void Body<T>(void* state, int begin, int end, int thread) where T : unmanaged
    {
        ref var j = ref *(Job*)state;
        var stride = HybridWeights.RowStride(j.K);
        var quantized = (T*)j.Rows;
        var sums = (int*)((byte*)j.Scratch[thread] + j.SumsOffset);
        var n = j.W.N;
        for (var item = begin; item < end; item++)
        {
            var block = item / j.W.Panels;
            var p = item - block * j.W.Panels;
            var r0 = block * PackedInt8Gemm.Rows;
            var count = Math.Min(PackedInt8Gemm.Rows, j.RowCount - r0);
            var a0 = quantized + (nint)r0 * stride;
            var a1 = a0 + (count > 1 ? stride : 0);
            var a2 = a0 + (count > 2 ? 2 * stride : 0);
            var a3 = a0 + (count > 3 ? 3 * stride : 0);
            j.W.Panel(a0, a1, a2, a3, p, sums);
            var c0 = p * PackedInt8Weights.Columns;
            for (var r = 0; r < count; r++)
            {
                j.W.Store(sums + r * PackedInt8Weights.Columns, j.Offsets[r0 + r], j.Scales[r0 + r], c0, j.Output + (nint)(r0 + r) * n + c0, true);
            }
        }
    }
}

/// <summary>
/// Lets tests build hybrid kernels that compute one channel's dot product at a time, as they did before the
/// packed GEMM: the reference the packed path must match bit for bit.
/// </summary>
internal static class HybridPaths
{
    [ThreadStatic]
    private static bool perChannel;

    public static bool PerChannel => perChannel;

    /// <summary>Makes hybrid kernels created on this thread use the per-channel loops until the result is disposed.</summary>
    public static IDisposable ForcePerChannel()
    {
        perChannel = true;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        public void Dispose() => perChannel = false;
    }
}
