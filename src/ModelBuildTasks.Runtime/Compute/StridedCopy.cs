namespace ModelBuildTasks.Runtime.Compute;

/// <summary>
/// Copies an N-dimensional block of fixed-size elements between two strided layouts (strides in elements, source
/// strides may be zero or negative). The basis of the data-movement kernels: slice, strided slice, transpose,
/// pad, tile-like gathers. When the innermost dimension is contiguous on both sides each row is one memcpy.
/// </summary>
internal static unsafe class StridedCopy
{
    public const int MaxRank = 8;

    public static void Copy(byte* src, ReadOnlySpan<long> srcStrides, byte* dst, ReadOnlySpan<long> dstStrides, ReadOnlySpan<int> shape, int elementSize)
    {
        // Merge neighbouring dimensions that are contiguous with each other on both sides (a padded image's W and C):
        // fewer, longer rows, each one memcpy.
        var mergedShape = stackalloc int[MaxRank];
        var mergedSrc = stackalloc long[MaxRank];
        var mergedDst = stackalloc long[MaxRank];
        var n = 0;
        for (var d = 0; d < shape.Length; d++)
        {
            if (n > 0 && mergedSrc[n - 1] == srcStrides[d] * shape[d] && mergedDst[n - 1] == dstStrides[d] * shape[d])
            {
                mergedShape[n - 1] *= shape[d];
                mergedSrc[n - 1] = srcStrides[d];
                mergedDst[n - 1] = dstStrides[d];
                continue;
            }
            mergedShape[n] = shape[d];
            mergedSrc[n] = srcStrides[d];
            mergedDst[n] = dstStrides[d];
            n++;
        }
        CopyMerged(src, new ReadOnlySpan<long>(mergedSrc, n), dst, new ReadOnlySpan<long>(mergedDst, n), new ReadOnlySpan<int>(mergedShape, n), elementSize);
    }

    private static void CopyMerged(byte* src, ReadOnlySpan<long> srcStrides, byte* dst, ReadOnlySpan<long> dstStrides, ReadOnlySpan<int> shape, int elementSize)
    {
        var rank = shape.Length;
        if (rank == 0)
        {
            Buffer.MemoryCopy(src, dst, elementSize, elementSize);
            return;
        }
        foreach (var d in shape)
        {
            if (d == 0)
            {
                return;
            }
        }
        var index = stackalloc int[MaxRank];
        for (var d = 0; d < rank; d++)
        {
            index[d] = 0;
        }
        var inner = shape[rank - 1];
        var si = srcStrides[rank - 1];
        var di = dstStrides[rank - 1];
        var rowBytes = (long)inner * elementSize;
        while (true)
        {
            long so = 0, dO = 0;
            for (var d = 0; d < rank - 1; d++)
            {
                so += index[d] * srcStrides[d];
                dO += index[d] * dstStrides[d];
            }
            var s = src + so * elementSize;
            var t = dst + dO * elementSize;
            if (si == 1 && di == 1)
            {
                Buffer.MemoryCopy(s, t, rowBytes, rowBytes);
            }
            else
            {
                CopyRow(s, si * elementSize, t, di * elementSize, inner, elementSize);
            }
            // Advance the outer multi-index.
            var k = rank - 2;
            for (; k >= 0; k--)
            {
                if (++index[k] < shape[k])
                {
                    break;
                }
                index[k] = 0;
            }
            if (k < 0)
            {
                return;
            }
        }
    }

    private static void CopyRow(byte* s, long sStep, byte* t, long tStep, int n, int elementSize)
    {
        switch (elementSize)
        {
            case 4:
                for (var i = 0; i < n; i++, s += sStep, t += tStep)
                {
                    *(int*)t = *(int*)s;
                }
                break;
            case 1:
                for (var i = 0; i < n; i++, s += sStep, t += tStep)
                {
                    *t = *s;
                }
                break;
            case 2:
                for (var i = 0; i < n; i++, s += sStep, t += tStep)
                {
                    *(short*)t = *(short*)s;
                }
                break;
            case 8:
                for (var i = 0; i < n; i++, s += sStep, t += tStep)
                {
                    *(long*)t = *(long*)s;
                }
                break;
            default:
                for (var i = 0; i < n; i++, s += sStep, t += tStep)
                {
                    Buffer.MemoryCopy(s, t, elementSize, elementSize);
                }
                break;
        }
    }

    /// <summary>Row-major strides (in elements) of a shape.</summary>
    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }

    /// <summary>Fills n elements with copies of one element value (given as its bytes).</summary>
    public static void Fill(byte* dst, long n, ReadOnlySpan<byte> value)
    {
        if (value.IndexOfAnyExcept((byte)0) < 0)
        {
            new Span<byte>(dst, checked((int)(n * value.Length))).Clear();
            return;
        }
        // Span.Fill is vectorized for these element sizes; the byte-wise copy is for odd sizes only.
        switch (value.Length)
        {
            case 1:
                new Span<byte>(dst, checked((int)n)).Fill(value[0]);
                return;
            case 2:
                new Span<short>(dst, checked((int)n)).Fill(System.Runtime.InteropServices.MemoryMarshal.Read<short>(value));
                return;
            case 4:
                new Span<int>(dst, checked((int)n)).Fill(System.Runtime.InteropServices.MemoryMarshal.Read<int>(value));
                return;
            case 8:
                new Span<long>(dst, checked((int)n)).Fill(System.Runtime.InteropServices.MemoryMarshal.Read<long>(value));
                return;
        }
        for (long i = 0; i < n; i++)
        {
            value.CopyTo(new Span<byte>(dst + i * value.Length, value.Length));
        }
    }
}
