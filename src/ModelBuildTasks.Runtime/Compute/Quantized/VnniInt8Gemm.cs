using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

// net8.0's reference assembly marks AvxVnni as a preview API (.NET 10's does not, with the same
// signatures). The attribute only drives this compile-time check: the JIT of .NET 8 and later runs it alike.
#pragma warning disable CA2252

/// <summary>
/// Weights W[N×K] as signed bytes packed for <see cref="VnniInt8Gemm"/>: panels of 16 output channels; within a
/// panel, for each quad of reduction indices (4q … 4q+3), the 16 channels' four weights side by side, so one
/// VPDPBUSD against a broadcast activation quad adds four products into each of 8 channels' int32 sums. K is
/// padded to a multiple of four with zero weights.
/// <para>
/// VPDPBUSD multiplies unsigned activations by signed weights. Int8 activations are stored as x + 128 (the sign
/// bit flipped), so the kernel's sums are Σ(x + 128)·w; subtracting 128·Σw per channel gives Σx·w back. Int32
/// wraps modulo 2^32 in both the instruction and the correction, so the result equals the int16 path's sums
/// bit for bit for any K.
/// </para>
/// </summary>
internal sealed unsafe class PackedInt8Weights
{
    public const int Columns = 16;

    private readonly sbyte[] data;
    private readonly int[] corrections;

    private PackedInt8Weights(ReadOnlySpan<short> weights, int n, int k, bool signedActivations)
    {
        N = n;
        K = k;
        Quads = (k + 3) / 4;
        Panels = (n + Columns - 1) / Columns;
        data = GC.AllocateArray<sbyte>(Panels * Quads * Columns * 4 + 64, pinned: true);
        corrections = GC.AllocateArray<int>(Panels * Columns, pinned: true);
        for (var col = 0; col < n; col++)
        {
            var panel = col / Columns;
            var lane = col % Columns;
            var sum = 0;
            for (var i = 0; i < k; i++)
            {
                var w = weights[col * k + i];
                data[((panel * Quads + i / 4) * Columns + lane) * 4 + i % 4] = (sbyte)w;
                sum += w;
            }
            corrections[col] = signedActivations ? 128 * sum : 0;
        }
        Data = (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(data));
        Corrections = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(corrections));
    }

    /// <summary>
    /// Packs <paramref name="weights"/> (int16, zero point removed) or returns null when a weight does not fit a
    /// signed byte (uint8 weights with a zero point can reach ±255) — those stay on the int16 path.
    /// </summary>
    /// <param name="signedActivations">True for int8 activations (offset by 128), false for uint8.</param>
    public static PackedInt8Weights? TryCreate(ReadOnlySpan<short> weights, int n, int k, bool signedActivations)
    {
        var count = n * k;
        for (var i = 0; i < count; i++)
        {
            if (weights[i] is < sbyte.MinValue or > sbyte.MaxValue)
            {
                return null;
            }
        }
        return new PackedInt8Weights(weights, n, k, signedActivations);
    }

    public int N { get; }

    public int K { get; }

    public int Quads { get; }

    public int Panels { get; }

    /// <summary>Bytes of one panel: <see cref="Quads"/> × 16 channels × 4.</summary>
    public int PanelBytes => Quads * Columns * 4;

    /// <summary>Pointer into the pinned array (valid while this object lives).</summary>
    public sbyte* Data { get; }

    /// <summary>Per output channel, 128·Σw for int8 activations (0 for uint8), padded to whole panels.</summary>
    public int* Corrections { get; }
}

/// <summary>
/// Integer matrix product on VNNI: up to four rows of unsigned activation bytes (int8 inputs offset by 128, each
/// row padded to a multiple of four) against a <see cref="PackedInt8Weights"/> panel, producing Σx·w for 4 rows ×
/// 16 channels — the same int32 sums as <see cref="PackedInt8Gemm"/>. 32 multiply-adds per instruction, twice
/// the int16 path's, and half the activation bytes to read.
/// </summary>
internal static unsafe class VnniInt8Gemm
{
    public const int Rows = 4;

    /// <summary>
    /// Activation row length in bytes for a reduction of <paramref name="k"/>: whole quads. When k is a multiple of
    /// four, consecutive rows are contiguous, so a pointwise convolution converts four pixels in one call.
    /// </summary>
    public static int RowStride(int k) => (k + 3) / 4 * 4;

    /// <summary>sums[r·16 + j] = Σ_k x_r[k]·W[panel·16 + j][k] for r &lt; 4 (rows beyond the real ones repeat row 0).</summary>
    public static void Panel(byte* a0, byte* a1, byte* a2, byte* a3, sbyte* panel, int quads, int* corrections, int* sums)
    {
        if (AvxVnni.IsSupported)
        {
            var c00 = Vector256<int>.Zero; var c01 = Vector256<int>.Zero;
            var c10 = Vector256<int>.Zero; var c11 = Vector256<int>.Zero;
            var c20 = Vector256<int>.Zero; var c21 = Vector256<int>.Zero;
            var c30 = Vector256<int>.Zero; var c31 = Vector256<int>.Zero;
            for (var q = 0; q < quads; q++)
            {
                var w0 = Avx.LoadVector256(panel);
                var w1 = Avx.LoadVector256(panel + 32);
                panel += 64;
                var x0 = Vector256.Create(((int*)a0)[q]).AsByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, x0, w0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, x0, w1);
                var x1 = Vector256.Create(((int*)a1)[q]).AsByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, x1, w0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, x1, w1);
                var x2 = Vector256.Create(((int*)a2)[q]).AsByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, x2, w0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, x2, w1);
                var x3 = Vector256.Create(((int*)a3)[q]).AsByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, x3, w0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, x3, w1);
            }
            var k0 = Avx.LoadVector256(corrections);
            var k1 = Avx.LoadVector256(corrections + 8);
            (c00 - k0).Store(sums); (c01 - k1).Store(sums + 8);
            (c10 - k0).Store(sums + 16); (c11 - k1).Store(sums + 24);
            (c20 - k0).Store(sums + 32); (c21 - k1).Store(sums + 40);
            (c30 - k0).Store(sums + 48); (c31 - k1).Store(sums + 56);
            return;
        }
        var rows = stackalloc byte*[] { a0, a1, a2, a3 };
        for (var r = 0; r < Rows; r++)
        {
            for (var j = 0; j < PackedInt8Weights.Columns; j++)
            {
                var s = 0;
                for (var i = 0; i < quads * 4; i++)
                {
                    s += rows[r][i] * panel[(i / 4 * PackedInt8Weights.Columns + j) * 4 + i % 4];
                }
                sums[r * PackedInt8Weights.Columns + j] = s - corrections[j];
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="n"/> 8-bit activations as the unsigned bytes VPDPBUSD reads: int8 values offset by
    /// 128 (flipping the sign bit), uint8 values unchanged.
    /// </summary>
    public static void ToUnsigned<T>(T* src, byte* dst, int n) where T : unmanaged, IBinaryInteger<T>
    {
        if (typeof(T) == typeof(byte))
        {
            Buffer.MemoryCopy(src, dst, n, n);
            return;
        }
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var flip = Vector256.Create((byte)0x80);
            for (; i <= n - 32; i += 32)
            {
                (Vector256.Load((byte*)src + i) ^ flip).Store(dst + i);
            }
            if (i <= n - 16)
            {
                (Vector128.Load((byte*)src + i) ^ Vector128.Create((byte)0x80)).Store(dst + i);
                i += 16;
            }
        }
        for (; i < n; i++)
        {
            dst[i] = (byte)(((byte*)src)[i] ^ 0x80);
        }
    }

    /// <summary>
    /// Stores 16 requantized values (already clamped to T's range) as T: narrowed in registers for 8-bit T, one
    /// by one otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16<T>(int* values, T* dst) where T : unmanaged, IBinaryInteger<T>
    {
        if (Vector256.IsHardwareAccelerated && (typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte)))
        {
            var shorts = Vector256.Narrow(Vector256.Load(values), Vector256.Load(values + 8));
            Vector128.Narrow(shorts.GetLower(), shorts.GetUpper()).AsByte().Store((byte*)dst);
            return;
        }
        for (var i = 0; i < 16; i++)
        {
            IntElements.Set(dst, i, values[i]);
        }
    }

    /// <summary>The unsigned byte that stands for 8-bit activation <paramref name="value"/> (see <see cref="ToUnsigned"/>).</summary>
    public static byte UnsignedByte<T>(int value) where T : unmanaged, IBinaryInteger<T> =>
        typeof(T) == typeof(sbyte) ? (byte)(value + 128) : (byte)value;
}
