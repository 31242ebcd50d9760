using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Sparsity;

/// <summary>
/// Expands a sparse constant (TFLite <c>SparsityParameters</c>) to dense row-major bytes, as DENSIFY does at run
/// time. The stored values are the leaves of a tree walked in <c>traversal_order</c>: one level per dimension
/// (permuted), then one per block dimension (<c>block_map</c> names the dimension a block splits). A DENSE level
/// visits every position; a SPARSE_CSR level visits, below parent position p, the coordinates
/// <c>indices[segments[p] .. segments[p+1])</c>. Passes need dense values to convert or quantize weights.
/// </summary>
internal static class SparseDecoder
{
    public static byte[] Densify(Tensor tensor)
    {
        var sparsity = tensor.Sparsity ?? throw Invalid(tensor, "has no sparsity parameters");
        var elementSize = TensorTypes.ElementSize(tensor.Type);
        var rank = tensor.Shape.Length;
        var traversal = sparsity.TraversalOrder?.ToArray() ?? [.. Enumerable.Range(0, rank)];
        var blockMap = sparsity.BlockMap?.ToArray() ?? [];
        var levels = sparsity.DimMetadata ?? [];
        if (elementSize == 0 || traversal.Length != rank + blockMap.Length || levels.Count != traversal.Length)
        {
            throw Invalid(tensor, "has sparsity parameters that do not describe its shape");
        }
        var blockSize = new int[rank];
        Array.Fill(blockSize, 1);
        for (var level = 0; level < traversal.Length; level++)
        {
            if (traversal[level] >= rank && traversal[level] - rank < blockMap.Length)
            {
                blockSize[blockMap[traversal[level] - rank]] = levels[level].DenseSize;
            }
        }
        var strides = new long[rank];
        long stride = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= tensor.Shape[d];
        }
        var dense = new byte[checked(tensor.ElementCount * elementSize)];
        var state = new Walk(tensor, traversal, blockMap, levels, blockSize, strides, elementSize, dense, rank);
        state.Visit(0, 0, new int[traversal.Length]);
        if (state.NextValue * elementSize != tensor.Data.Length)
        {
            throw Invalid(tensor, $"stores {tensor.Data.Length / elementSize} values but its sparsity describes {state.NextValue}");
        }
        return dense;
    }

    private sealed class Walk(Tensor tensor, int[] traversal, int[] blockMap, List<DimensionMetadataT> levels,
        int[] blockSize, long[] strides, int elementSize, byte[] dense, int rank)
    {
        private readonly int[][] segments = [.. levels.Select(l => Indices(l.ArraySegments))];
        private readonly int[][] indices = [.. levels.Select(l => Indices(l.ArrayIndices))];

        public long NextValue;

        public void Visit(int level, long position, int[] coords)
        {
            if (level == levels.Count)
            {
                Leaf(coords);
                return;
            }
            var meta = levels[level];
            if (meta.Format == DimensionType.DENSE)
            {
                for (var i = 0; i < meta.DenseSize; i++)
                {
                    coords[traversal[level]] = i;
                    Visit(level + 1, position * meta.DenseSize + i, coords);
                }
                return;
            }
            var segments = this.segments[level];
            var indices = this.indices[level];
            if (position + 1 >= segments.Length)
            {
                throw Invalid(tensor, $"has a sparse level {level} with too few segments");
            }
            for (long k = segments[position]; k < segments[position + 1]; k++)
            {
                if (k < 0 || k >= indices.Length)
                {
                    throw Invalid(tensor, $"has a sparse level {level} whose segments run past its indices");
                }
                coords[traversal[level]] = indices[k];
                Visit(level + 1, k, coords);
            }
        }

        private void Leaf(int[] coords)
        {
            long offset = 0;
            for (var d = 0; d < rank; d++)
            {
                var c = (long)coords[d] * blockSize[d];
                for (var b = 0; b < blockMap.Length; b++)
                {
                    if (blockMap[b] == d)
                    {
                        c += coords[rank + b];
                    }
                }
                if (c < 0 || c >= tensor.Shape[d])
                {
                    throw Invalid(tensor, $"has a sparse coordinate {c} outside dimension {d}");
                }
                offset += c * strides[d];
            }
            var source = NextValue++ * elementSize;
            if (source + elementSize > tensor.Data.Length)
            {
                throw Invalid(tensor, "has fewer stored values than its sparsity describes");
            }
            tensor.Data.Span.Slice((int)source, elementSize).CopyTo(dense.AsSpan((int)(offset * elementSize), elementSize));
        }
    }

    private static int[] Indices(SparseIndexVectorUnion? v) => v?.Value switch
    {
        Int32VectorT i => [.. i.Values],
        Uint16VectorT u => [.. u.Values.Select(x => (int)x)],
        Uint8VectorT b => [.. b.Values.Select(x => (int)x)],
        _ => [],
    };

    private static OptimizationException Invalid(Tensor t, string problem) =>
        new(OptimizationErrorCodes.InvalidTensor, $"sparse tensor {t} {problem}");
}
