using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Sparsity;

/// <summary>
/// Blocks a sparse tensor is stored in: <see cref="Size"/> consecutive elements along <see cref="Axis"/> are kept or
/// dropped together (TFLite's <c>block_map</c>). Size 1 means no blocks: each element on its own (plain CSR).
/// </summary>
/// <param name="Axis">The original dimension the block runs along.</param>
/// <param name="Size">Elements per block.</param>
public readonly record struct SparseBlock(int Axis, int Size)
{
    /// <summary>No blocks: every element stands alone.</summary>
    public static SparseBlock None => new(0, 1);

    /// <summary>True when elements are grouped.</summary>
    public bool IsBlocked => Size > 1;

    /// <inheritdoc/>
    public override string ToString() => IsBlocked ? $"block {Size} along axis {Axis}" : "csr";
}

/// <summary>A tensor in TFLite's sparse format: the stored values and the structure that places them.</summary>
/// <param name="Values">The stored elements (whole blocks for a blocked layout), little-endian, in traversal order.</param>
/// <param name="Parameters">The <c>SparsityParameters</c> table to put on the tensor.</param>
public sealed record SparseTensor(byte[] Values, SparsityParametersT Parameters)
{
    /// <summary>Bytes the values and index vectors take in the file (without FlatBuffer table overhead).</summary>
    public long PayloadBytes
    {
        get
        {
            long bytes = Values.Length;
            foreach (var level in Parameters.DimMetadata)
            {
                bytes += SparseTensorCodec.VectorBytes(level.ArraySegments) + SparseTensorCodec.VectorBytes(level.ArrayIndices);
            }
            return bytes;
        }
    }
}

/// <summary>
/// Encodes dense tensor data into TFLite's sparse format and back. The layout written is the one the TFLite converter
/// writes for pruned weights (see <c>face_detection_full_range_sparse</c>): traversal in the original dimension order,
/// every dimension DENSE except the last, which is SPARSE_CSR (one segment per "row" of all earlier dimensions), and
/// optionally one block dimension appended as the innermost DENSE level. Index vectors use the smallest type that holds
/// their largest value (uint8, uint16, else int32), as the converter does. An element counts as zero when all its bytes
/// are zero, so decode(encode(x)) == x bit for bit.
/// </summary>
public static class SparseTensorCodec
{
    /// <summary>Encodes <paramref name="dense"/> (row-major, <paramref name="elementSize"/> bytes per element).</summary>
    /// <exception cref="OptimizationException">The shape, data length or block does not fit (MBT2105).</exception>
    public static SparseTensor Encode(ReadOnlySpan<byte> dense, int elementSize, ReadOnlySpan<int> shape, SparseBlock block = default)
    {
        var layout = new Layout(dense, elementSize, shape, block);
        var rank = shape.Length;
        var segments = new int[checked((int)layout.Rows + 1)];
        var indices = new List<int>();
        var values = new MemoryStream();
        var rowCoordinates = new int[rank - 1];
        long rowBase = 0;
        for (long row = 0; row < layout.Rows; row++)
        {
            for (var c = 0; c < layout.Columns; c++)
            {
                var start = rowBase + c * layout.ColumnStride;
                if (layout.BlockIsZero(dense, start))
                {
                    continue;
                }
                indices.Add(c);
                for (var j = 0; j < layout.BlockSize; j++)
                {
                    values.Write(dense.Slice((int)((start + j * layout.MemberStride) * elementSize), elementSize));
                }
            }
            segments[row + 1] = indices.Count;
            rowBase = layout.NextRow(rowCoordinates, rowBase);
        }

        var levels = new List<DimensionMetadataT>(rank + 1);
        for (var d = 0; d < rank - 1; d++)
        {
            levels.Add(new DimensionMetadataT { Format = DimensionType.DENSE, DenseSize = layout.BlockedShape[d] });
        }
        levels.Add(new DimensionMetadataT
        {
            Format = DimensionType.SPARSE_CSR,
            ArraySegments = SmallestVector(segments),
            ArrayIndices = SmallestVector(indices.ToArray()),
        });
        var traversal = new List<int>(rank + 1);
        for (var d = 0; d < rank; d++)
        {
            traversal.Add(d);
        }
        List<int>? blockMap = null;
        if (layout.BlockSize > 1)
        {
            traversal.Add(rank);
            blockMap = [block.Axis];
            levels.Add(new DimensionMetadataT { Format = DimensionType.DENSE, DenseSize = layout.BlockSize });
        }
        var parameters = new SparsityParametersT { TraversalOrder = traversal, BlockMap = blockMap, DimMetadata = levels };
        return new SparseTensor(values.ToArray(), parameters);
    }

    /// <summary>
    /// The <see cref="SparseTensor.PayloadBytes"/> that <see cref="Encode"/> would produce, computed without building
    /// anything (so a caller can compare layouts cheaply).
    /// </summary>
    public static long EncodedPayloadBytes(ReadOnlySpan<byte> dense, int elementSize, ReadOnlySpan<int> shape, SparseBlock block = default)
    {
        var layout = new Layout(dense, elementSize, shape, block);
        var rowCoordinates = new int[shape.Length - 1];
        long rowBase = 0;
        long kept = 0;
        var maxColumn = 0;
        for (long row = 0; row < layout.Rows; row++)
        {
            for (var c = 0; c < layout.Columns; c++)
            {
                if (!layout.BlockIsZero(dense, rowBase + c * layout.ColumnStride))
                {
                    kept++;
                    maxColumn = Math.Max(maxColumn, c);
                }
            }
            rowBase = layout.NextRow(rowCoordinates, rowBase);
        }
        return kept * layout.BlockSize * elementSize + kept * IndexSize(maxColumn) + (layout.Rows + 1) * IndexSize(kept);
    }

    /// <summary>Bytes per entry of the smallest index vector type holding <paramref name="max"/>.</summary>
    private static int IndexSize(long max) => max <= byte.MaxValue ? 1 : max <= ushort.MaxValue ? 2 : 4;

    /// <summary>
    /// The converter's layout of a tensor: "rows" are all positions of the leading dimensions (in block units), the
    /// last dimension is the CSR column; a block is <see cref="BlockSize"/> elements <see cref="MemberStride"/> apart.
    /// </summary>
    private readonly struct Layout
    {
        public Layout(ReadOnlySpan<byte> dense, int elementSize, ReadOnlySpan<int> shape, SparseBlock block)
        {
            var rank = shape.Length;
            BlockSize = Math.Max(1, block.Size);
            ElementSize = elementSize;
            CheckDense(dense, elementSize, shape);
            if (rank == 0)
            {
                throw Invalid("a scalar cannot be stored sparse");
            }
            if (BlockSize > 1 && (block.Axis < 0 || block.Axis >= rank || shape[block.Axis] % BlockSize != 0))
            {
                throw Invalid($"a block of {BlockSize} along axis {block.Axis} does not tile shape [{string.Join(",", shape.ToArray())}]");
            }
            var stride = new long[rank];
            long s = 1;
            for (var d = rank - 1; d >= 0; d--)
            {
                stride[d] = s;
                s *= shape[d];
            }
            BlockedShape = new int[rank];
            BlockedStride = new long[rank];
            for (var d = 0; d < rank; d++)
            {
                var inBlock = BlockSize > 1 && d == block.Axis ? BlockSize : 1;
                BlockedShape[d] = shape[d] / inBlock;
                BlockedStride[d] = stride[d] * inBlock;
            }
            MemberStride = BlockSize > 1 ? stride[block.Axis] : 1;
            long rows = 1;
            for (var d = 0; d < rank - 1; d++)
            {
                rows *= BlockedShape[d];
            }
            Rows = rows;
            Columns = BlockedShape[rank - 1];
            ColumnStride = BlockedStride[rank - 1];
        }

        public int BlockSize { get; }
        public int ElementSize { get; }
        public int[] BlockedShape { get; }
        public long[] BlockedStride { get; }
        public long MemberStride { get; }
        public long Rows { get; }
        public int Columns { get; }
        public long ColumnStride { get; }

        /// <summary>Moves to the next row: a mixed-radix counter over the blocked leading dimensions.</summary>
        public long NextRow(int[] rowCoordinates, long rowBase)
        {
            for (var d = rowCoordinates.Length - 1; d >= 0; d--)
            {
                rowCoordinates[d]++;
                rowBase += BlockedStride[d];
                if (rowCoordinates[d] < BlockedShape[d])
                {
                    break;
                }
                rowBase -= BlockedStride[d] * BlockedShape[d];
                rowCoordinates[d] = 0;
            }
            return rowBase;
        }

        public bool BlockIsZero(ReadOnlySpan<byte> dense, long start)
        {
            for (var j = 0; j < BlockSize; j++)
            {
                if (dense.Slice((int)((start + j * MemberStride) * ElementSize), ElementSize).ContainsAnyExcept((byte)0))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>
    /// Expands sparse <paramref name="values"/> described by <paramref name="parameters"/> into dense row-major bytes.
    /// Accepts any traversal order and block map the format allows, and checks every index against its dimension.
    /// </summary>
    /// <exception cref="OptimizationException">The structure is inconsistent with the shape or the values (MBT2105).</exception>
    public static byte[] Decode(ReadOnlySpan<byte> values, int elementSize, ReadOnlySpan<int> shape, SparsityParametersT parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var rank = shape.Length;
        if (elementSize <= 0)
        {
            throw Invalid("the element type has no fixed byte size");
        }
        var traversal = parameters.TraversalOrder?.ToArray() ?? [];
        var blockMap = parameters.BlockMap?.ToArray() ?? [];
        var levels = parameters.DimMetadata?.ToArray() ?? [];
        if (traversal.Length != rank + blockMap.Length || levels.Length != traversal.Length)
        {
            throw Invalid($"traversal_order ({traversal.Length}), block_map ({blockMap.Length}) and dim_metadata ({levels.Length}) " +
                          $"do not describe a rank-{rank} tensor");
        }
        var seen = new bool[traversal.Length];
        foreach (var t in traversal)
        {
            if (t < 0 || t >= traversal.Length || seen[t])
            {
                throw Invalid($"traversal_order [{string.Join(",", traversal)}] is not a permutation");
            }
            seen[t] = true;
        }
        var blockSizes = new int[rank];
        Array.Fill(blockSizes, 1);
        for (var level = 0; level < levels.Length; level++)
        {
            var t = traversal[level];
            if (t < rank)
            {
                continue;
            }
            var blocked = blockMap[t - rank];
            if (blocked < 0 || blocked >= rank || levels[level].Format != DimensionType.DENSE || levels[level].DenseSize <= 0)
            {
                throw Invalid($"block dimension {t} (block_map {blocked}) must be a DENSE level of positive size on an existing dimension");
            }
            blockSizes[blocked] = levels[level].DenseSize;
        }
        var stride = new long[rank];
        long total = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            stride[d] = total;
            total = checked(total * shape[d]);
        }
        // Size of each level's coordinate range and the dense stride one step along it moves.
        var levelSize = new int[levels.Length];
        var levelStride = new long[levels.Length];
        for (var level = 0; level < levels.Length; level++)
        {
            var t = traversal[level];
            if (t < rank)
            {
                if (shape[t] % blockSizes[t] != 0)
                {
                    throw Invalid($"block size {blockSizes[t]} does not divide dimension {t} ({shape[t]})");
                }
                levelSize[level] = shape[t] / blockSizes[t];
                levelStride[level] = stride[t] * blockSizes[t];
            }
            else
            {
                levelSize[level] = blockSizes[blockMap[t - rank]];
                levelStride[level] = stride[blockMap[t - rank]];
            }
            if (levels[level].Format == DimensionType.DENSE && levels[level].DenseSize != levelSize[level])
            {
                throw Invalid($"DENSE level {level} has dense_size {levels[level].DenseSize}, the shape needs {levelSize[level]}");
            }
        }

        if (values.Length % elementSize != 0)
        {
            throw Invalid($"{values.Length} value bytes are not a whole number of {elementSize}-byte elements");
        }
        var valueCount = values.Length / elementSize;
        var dense = new byte[checked(total * elementSize)];
        // Positions reached at the current level: (index into the level's enumeration, dense offset).
        var positions = new List<(long Position, long Offset)> { (0, 0) };
        for (var level = 0; level < levels.Length; level++)
        {
            var next = new List<(long, long)>();
            var meta = levels[level];
            if (meta.Format == DimensionType.DENSE)
            {
                foreach (var (position, offset) in positions)
                {
                    for (var i = 0; i < levelSize[level]; i++)
                    {
                        next.Add((position * levelSize[level] + i, offset + i * levelStride[level]));
                    }
                }
            }
            else
            {
                var segments = ToInts(meta.ArraySegments, level, "array_segments");
                var indices = ToInts(meta.ArrayIndices, level, "array_indices");
                if (segments.Length != positions.Count + 1 || segments[0] != 0 || segments[^1] != indices.Length)
                {
                    throw Invalid($"SPARSE_CSR level {level}: array_segments has {segments.Length} entries for {positions.Count} parents " +
                                  $"or does not span array_indices ({indices.Length})");
                }
                for (var p = 0; p < positions.Count; p++)
                {
                    if (segments[p + 1] < segments[p])
                    {
                        throw Invalid($"SPARSE_CSR level {level}: array_segments decreases at {p}");
                    }
                    for (var k = segments[p]; k < segments[p + 1]; k++)
                    {
                        var index = indices[k];
                        if (index < 0 || index >= levelSize[level])
                        {
                            throw Invalid($"SPARSE_CSR level {level}: index {index} outside 0..{levelSize[level] - 1}");
                        }
                        next.Add((k, positions[p].Offset + index * levelStride[level]));
                    }
                }
            }
            if (next.Count > valueCount && level == levels.Length - 1 || next.Count > total)
            {
                throw Invalid($"the sparse structure addresses {next.Count} elements but {valueCount} values are stored");
            }
            positions = next;
        }
        if (positions.Count != valueCount)
        {
            throw Invalid($"the sparse structure addresses {positions.Count} elements but {valueCount} values are stored");
        }
        for (var v = 0; v < positions.Count; v++)
        {
            values.Slice(v * elementSize, elementSize).CopyTo(dense.AsSpan((int)(positions[v].Offset * elementSize)));
        }
        return dense;
    }

    /// <summary>Fraction of elements whose bytes are all zero.</summary>
    public static double ZeroFraction(ReadOnlySpan<byte> dense, int elementSize)
    {
        var count = dense.Length / elementSize;
        if (count == 0)
        {
            return 0;
        }
        long zeros = 0;
        for (var i = 0; i < count; i++)
        {
            if (!dense.Slice(i * elementSize, elementSize).ContainsAnyExcept((byte)0))
            {
                zeros++;
            }
        }
        return (double)zeros / count;
    }

    /// <summary>Bytes of an index vector's values.</summary>
    public static long VectorBytes(SparseIndexVectorUnion? vector) => vector?.Type switch
    {
        SparseIndexVector.Uint8Vector => vector.AsUint8Vector().Values?.Count ?? 0,
        SparseIndexVector.Uint16Vector => 2L * (vector.AsUint16Vector().Values?.Count ?? 0),
        SparseIndexVector.Int32Vector => 4L * (vector.AsInt32Vector().Values?.Count ?? 0),
        _ => 0,
    };

    /// <summary>The converter's choice: uint8 when every value fits, else uint16, else int32.</summary>
    internal static SparseIndexVectorUnion SmallestVector(int[] values)
    {
        var max = 0;
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }
        if (max <= byte.MaxValue)
        {
            var list = new List<byte>(values.Length);
            foreach (var v in values)
            {
                list.Add((byte)v);
            }
            return SparseIndexVectorUnion.FromUint8Vector(new Uint8VectorT { Values = list });
        }
        if (max <= ushort.MaxValue)
        {
            var list = new List<ushort>(values.Length);
            foreach (var v in values)
            {
                list.Add((ushort)v);
            }
            return SparseIndexVectorUnion.FromUint16Vector(new Uint16VectorT { Values = list });
        }
        return SparseIndexVectorUnion.FromInt32Vector(new Int32VectorT { Values = [.. values] });
    }

    private static int[] ToInts(SparseIndexVectorUnion? vector, int level, string what)
    {
        switch (vector?.Type)
        {
            case SparseIndexVector.Uint8Vector:
                return (vector.AsUint8Vector().Values ?? []).ConvertAll(v => (int)v).ToArray();
            case SparseIndexVector.Uint16Vector:
                return (vector.AsUint16Vector().Values ?? []).ConvertAll(v => (int)v).ToArray();
            case SparseIndexVector.Int32Vector:
                return vector.AsInt32Vector().Values?.ToArray() ?? [];
            default:
                throw Invalid($"SPARSE_CSR level {level} has no {what} vector");
        }
    }

    private static void CheckDense(ReadOnlySpan<byte> dense, int elementSize, ReadOnlySpan<int> shape)
    {
        if (elementSize <= 0)
        {
            throw Invalid("the element type has no fixed byte size");
        }
        long count = 1;
        foreach (var d in shape)
        {
            if (d <= 0)
            {
                throw Invalid($"shape [{string.Join(",", shape.ToArray())}] has an empty or negative dimension");
            }
            count = checked(count * d);
        }
        if (dense.Length != count * elementSize)
        {
            throw Invalid($"{dense.Length} bytes do not hold {count} elements of {elementSize} bytes");
        }
    }

    private static OptimizationException Invalid(string message) =>
        new(OptimizationErrorCodes.InvalidTensor, "sparse tensor: " + message);
}
