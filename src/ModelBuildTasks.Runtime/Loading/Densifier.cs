using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Loading;

/// <summary>
/// Expands a sparse constant (TFLite's <c>SparsityParameters</c>) to dense row-major bytes, as the DENSIFY
/// operator would. The format stores the tensor as a tree walked in <c>traversal_order</c>: one level per
/// original dimension (permuted) followed by one level per block dimension (<c>block_map</c> says which original
/// dimension each block splits). A DENSE level enumerates all <c>dense_size</c> positions; a SPARSE_CSR level
/// lists, for each parent position p, the child coordinates <c>array_indices[array_segments[p] ..
/// array_segments[p+1])</c>. Leaves are taken from the stored values in order; everything else is zero.
/// </summary>
internal static class Densifier
{
    public static byte[] Densify(Tensor tensor, ReadOnlySpan<byte> values, Func<string, Exception> fail)
    {
        var sparsity = tensor.Sparsity ?? throw fail($"tensor {tensor} has no sparsity parameters");
        var shape = tensor.Shape;
        var rank = shape.Length;
        var elementSize = TensorTypes.ElementSize(tensor.Type);
        if (elementSize == 0)
        {
            throw fail($"tensor {tensor} has an element type DENSIFY cannot expand");
        }
        var traversal = sparsity.TraversalOrder?.ToArray() ?? Enumerable.Range(0, rank).ToArray();
        var blockMap = sparsity.BlockMap?.ToArray() ?? [];
        var levels = sparsity.DimMetadata ?? [];
        if (traversal.Length != rank + blockMap.Length || levels.Count != traversal.Length)
        {
            throw fail($"tensor {tensor}: traversal_order ({traversal.Length}), block_map ({blockMap.Length}) and " +
                       $"dim_metadata ({levels.Count}) do not describe a rank-{rank} tensor");
        }

        // Block size of each original dimension: the dense size of the level that walks its block dimension.
        var blockSize = Enumerable.Repeat(1, rank).ToArray();
        for (var level = 0; level < traversal.Length; level++)
        {
            var t = traversal[level];
            if (t < 0 || t >= traversal.Length)
            {
                throw fail($"tensor {tensor}: traversal_order entry {t} is out of range");
            }
            if (t >= rank)
            {
                var blocked = blockMap[t - rank];
                if (blocked < 0 || blocked >= rank)
                {
                    throw fail($"tensor {tensor}: block_map entry {blocked} is out of range");
                }
                blockSize[blocked] = levels[level].DenseSize;
            }
        }
        // Row-major stride of each level's coordinate in the dense output.
        var denseStride = new long[rank];
        long stride = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            denseStride[d] = stride;
            stride *= shape[d];
        }
        var levelStride = new long[traversal.Length];
        for (var level = 0; level < traversal.Length; level++)
        {
            var t = traversal[level];
            levelStride[level] = t < rank ? denseStride[t] * blockSize[t] : denseStride[blockMap[t - rank]];
        }

        var segments = new int[levels.Count][];
        var indices = new int[levels.Count][];
        for (var level = 0; level < levels.Count; level++)
        {
            if (levels[level].Format == DimensionType.SPARSE_CSR)
            {
                segments[level] = ToInts(levels[level].ArraySegments, tensor, fail);
                indices[level] = ToInts(levels[level].ArrayIndices, tensor, fail);
            }
        }

        var total = TensorTypes.ElementCount(shape);
        var dense = new byte[checked(total * elementSize)];
        var valueCount = values.Length / elementSize;
        var next = 0;
        Walk(0, 0, 0, values, dense);
        if (next != valueCount)
        {
            throw fail($"tensor {tensor}: the sparse structure addresses {next} values but {valueCount} are stored");
        }
        return dense;

        void Walk(int level, int parent, long offset, ReadOnlySpan<byte> src, byte[] dst)
        {
            if (level == levels.Count)
            {
                if (next >= valueCount || offset < 0 || offset >= total)
                {
                    throw fail($"tensor {tensor}: sparse structure points outside the tensor or past the stored values");
                }
                src.Slice(next * elementSize, elementSize).CopyTo(dst.AsSpan((int)(offset * elementSize)));
                next++;
                return;
            }
            var meta = levels[level];
            if (meta.Format == DimensionType.DENSE)
            {
                for (var i = 0; i < meta.DenseSize; i++)
                {
                    Walk(level + 1, parent * meta.DenseSize + i, offset + i * levelStride[level], src, dst);
                }
            }
            else
            {
                var seg = segments[level];
                var idx = indices[level];
                if (parent + 1 >= seg.Length || seg[parent + 1] > idx.Length || seg[parent] > seg[parent + 1])
                {
                    throw fail($"tensor {tensor}: array_segments of level {level} is inconsistent");
                }
                for (var i = seg[parent]; i < seg[parent + 1]; i++)
                {
                    Walk(level + 1, i, offset + idx[i] * levelStride[level], src, dst);
                }
            }
        }
    }

    private static int[] ToInts(SparseIndexVectorUnion? vector, Tensor tensor, Func<string, Exception> fail) => vector?.Type switch
    {
        SparseIndexVector.Int32Vector => vector.AsInt32Vector().Values?.ToArray() ?? [],
        SparseIndexVector.Uint16Vector => vector.AsUint16Vector().Values?.Select(v => (int)v).ToArray() ?? [],
        SparseIndexVector.Uint8Vector => vector.AsUint8Vector().Values?.Select(v => (int)v).ToArray() ?? [],
        _ => throw fail($"tensor {tensor}: a SPARSE_CSR level has no index vector"),
    };
}
