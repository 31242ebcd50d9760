using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

// net8.0's reference assembly marks AvxVnni as a preview API (.NET 10's does not, with the same
// signatures). The attribute only drives this compile-time check: the JIT of .NET 8 and later runs it alike.
#pragma warning disable CA2252

/// <summary>
/// Weights of an 8-bit convolution with very few output channels (a segmentation head: one channel) for a
/// direct VNNI dot product: per output channel and kernel row, the KW·Cin weights as signed bytes, padded with
/// zeros to whole 32-byte chunks. A 16-channel GEMM panel would waste most of its lanes on such a layer and
/// spend its time gathering patches; here each kernel row is read straight from the NHWC input, whose KW·Cin
/// bytes are contiguous. The zero weights make the bytes read past a row's end contribute nothing.
/// </summary>
internal sealed unsafe class FewChannelWeights
{
    /// <summary>Above this many output channels the packed panel is as fast and needs no per-pixel sums.</summary>
    public const int MaxChannels = 4;

    private const int Chunk = 32;

    [ThreadStatic]
    private static bool disabled;

    private readonly sbyte[] data;

    private FewChannelWeights(ReadOnlySpan<short> weights, int channels, int kh, int run)
    {
        RowBytes = (run + Chunk - 1) / Chunk * Chunk;
        KH = kh;
        data = GC.AllocateArray<sbyte>(channels * kh * RowBytes, pinned: true);
        for (var c = 0; c < channels; c++)
        {
            for (var ky = 0; ky < kh; ky++)
            {
                for (var i = 0; i < run; i++)
                {
                    data[(c * kh + ky) * RowBytes + i] = (sbyte)weights[(c * kh + ky) * run + i];
                }
            }
        }
        Data = (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(data));
    }

    /// <summary>
    /// Direct weights for a convolution of <paramref name="g"/>, or null when the layer has too many output
    /// channels, dilated columns (a kernel row is then not one run), no VNNI, or a test turned the path off.
    /// <paramref name="weights"/> must already fit signed bytes (the VNNI panel packing checked them).
    /// </summary>
    public static FewChannelWeights? TryCreate(ReadOnlySpan<short> weights, ref ConvGeometry g) =>
        disabled || !AvxVnni.IsSupported || g.OutC > MaxChannels || g.DilationW != 1
            ? null
            : new FewChannelWeights(weights, g.OutC, g.KH, g.KW * g.InC);

    /// <summary>Makes convolutions created on this thread use the packed panels until disposed (tests compare the two).</summary>
    public static IDisposable Disable()
    {
        var previous = disabled;
        disabled = true;
        return new Restore(previous);
    }

    /// <summary>Bytes of one kernel row's weights: KW·Cin rounded up to 32.</summary>
    public int RowBytes { get; }

    public int KH { get; }

    /// <summary>Pointer into the pinned array (valid while this object lives).</summary>
    public sbyte* Data { get; }

    /// <summary>
    /// Σ over kernel rows of (row bytes, sign bit flipped by <paramref name="flip"/>) · weights: the same
    /// uncorrected int32 sum (modulo 2^32) as the VNNI panel's. Reads <paramref name="rowBytes"/> from each row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(byte** rows, int kh, sbyte* w, int rowBytes, Vector256<byte> flip)
    {
        var acc = Vector256<int>.Zero;
        for (var ky = 0; ky < kh; ky++)
        {
            var p = rows[ky];
            for (var i = 0; i < rowBytes; i += Chunk)
            {
                var x = Avx.LoadVector256(p + i) ^ flip;
                acc = AvxVnni.MultiplyWideningAndAdd(acc, x, Avx.LoadVector256(w + i));
            }
            w += rowBytes;
        }
        return Vector256.Sum(acc);
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => disabled = previous;
    }
}
