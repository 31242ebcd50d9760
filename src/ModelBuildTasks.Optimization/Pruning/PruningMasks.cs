namespace ModelBuildTasks.Optimization.Pruning;

/// <summary>
/// Chooses which elements magnitude pruning zeroes, for each pattern. Input is |w| per element (row-major); output is
/// a mask (true = zero it). Every choice is deterministic: ties go to the lower index.
/// </summary>
internal static class PruningMasks
{
    /// <summary>The <paramref name="count"/> smallest magnitudes.</summary>
    public static bool[] Unstructured(ReadOnlySpan<float> magnitude, long count)
    {
        var mask = new bool[magnitude.Length];
        if (count <= 0)
        {
            return mask;
        }
        if (count >= magnitude.Length)
        {
            Array.Fill(mask, true);
            return mask;
        }
        // The count-th smallest magnitude is the threshold: everything below goes, then equal ones by index.
        var sorted = magnitude.ToArray();
        Array.Sort(sorted);
        var threshold = sorted[count - 1];
        long zeroed = 0;
        for (var i = 0; i < magnitude.Length; i++)
        {
            if (magnitude[i] < threshold)
            {
                mask[i] = true;
                zeroed++;
            }
        }
        for (var i = 0; i < magnitude.Length && zeroed < count; i++)
        {
            if (magnitude[i] == threshold)
            {
                mask[i] = true;
                zeroed++;
            }
        }
        return mask;
    }

    /// <summary>
    /// Blocks of <paramref name="rows"/> along <paramref name="rowAxis"/> by <paramref name="columns"/> along
    /// <paramref name="columnAxis"/> (edge blocks may be smaller), lowest mean magnitude first, until about
    /// <paramref name="count"/> elements are zero (never more than half a block over).
    /// </summary>
    public static bool[] Blocks(ReadOnlySpan<float> magnitude, int[] shape, int rowAxis, int rows, int columnAxis, int columns, long count)
    {
        var rank = shape.Length;
        var extent = new int[rank];
        Array.Fill(extent, 1);
        extent[rowAxis] *= rows;
        extent[columnAxis] *= columns;
        var blocksPerDim = new int[rank];
        var blockStride = new long[rank];
        long blocks = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            blocksPerDim[d] = (shape[d] + extent[d] - 1) / extent[d];
            blockStride[d] = blocks;
            blocks *= blocksPerDim[d];
        }
        var blockOf = new int[magnitude.Length];
        var sum = new double[blocks];
        var size = new int[blocks];
        var coordinate = new int[rank];
        long block = 0;
        for (var i = 0; i < magnitude.Length; i++)
        {
            blockOf[i] = (int)block;
            sum[block] += magnitude[i];
            size[block]++;
            // Advance the element coordinate and keep the block index in step with it.
            for (var d = rank - 1; d >= 0; d--)
            {
                var before = coordinate[d] / extent[d];
                coordinate[d]++;
                if (coordinate[d] < shape[d])
                {
                    block += (coordinate[d] / extent[d] - before) * blockStride[d];
                    break;
                }
                block -= before * blockStride[d];
                coordinate[d] = 0;
            }
        }
        var score = new double[blocks];
        var order = new int[blocks];
        for (var b = 0; b < blocks; b++)
        {
            score[b] = sum[b] / size[b];
            order[b] = b;
        }
        Array.Sort(order, (a, b) => score[a] != score[b] ? score[a].CompareTo(score[b]) : a.CompareTo(b));
        var zeroBlock = new bool[blocks];
        long zeroed = 0;
        foreach (var b in order)
        {
            if (zeroed + size[b] / 2.0 > count)
            {
                break;
            }
            zeroBlock[b] = true;
            zeroed += size[b];
        }
        var mask = new bool[magnitude.Length];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = zeroBlock[blockOf[i]];
        }
        return mask;
    }

    /// <summary>
    /// In every run of <paramref name="m"/> consecutive elements along <paramref name="axis"/>, all but the
    /// <paramref name="n"/> largest (a shorter run at the edge keeps ⌈length·N/M⌉).
    /// </summary>
    public static bool[] NOfM(ReadOnlySpan<float> magnitude, int[] shape, int axis, int n, int m)
    {
        var mask = new bool[magnitude.Length];
        var length = shape[axis];
        long inner = 1;
        for (var d = axis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }
        var outer = magnitude.Length / Math.Max(1, length * inner);
        var group = new int[m];
        for (long o = 0; o < outer; o++)
        {
            for (long j = 0; j < inner; j++)
            {
                var lineStart = o * length * inner + j;
                for (var start = 0; start < length; start += m)
                {
                    var len = Math.Min(m, length - start);
                    var keep = (len * n + m - 1) / m;
                    for (var k = 0; k < len; k++)
                    {
                        group[k] = (int)(lineStart + (start + k) * inner);
                    }
                    // Zero the len − keep smallest: repeated selection is fine for groups of at most 64.
                    for (var z = 0; z < len - keep; z++)
                    {
                        var best = -1;
                        for (var k = 0; k < len; k++)
                        {
                            var e = group[k];
                            if (!mask[e] && (best < 0 || magnitude[e] < magnitude[best]))
                            {
                                best = e;
                            }
                        }
                        mask[best] = true;
                    }
                }
            }
        }
        return mask;
    }
}
