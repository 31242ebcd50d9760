using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Sparsity;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Sparsity;

[TestClass]
public sealed class SparseTensorCodecTests
{
    /// <summary>Random bytes where about <paramref name="zeroFraction"/> of the elements are all-zero.</summary>
    private static byte[] RandomSparse(int elements, int elementSize, double zeroFraction, int seed)
    {
        var random = new Random(seed);
        var data = new byte[elements * elementSize];
        for (var i = 0; i < elements; i++)
        {
            if (random.NextDouble() >= zeroFraction)
            {
                random.NextBytes(data.AsSpan(i * elementSize, elementSize));
                data[i * elementSize] |= 1; // never all-zero by accident
            }
        }
        return data;
    }

    [TestMethod]
    [DataRow(2, 0, 1, DisplayName = "float16 csr")]
    [DataRow(4, 3, 4, DisplayName = "float32 1x4 blocks on the last axis")]
    [DataRow(1, 0, 4, DisplayName = "int8 4x1 blocks on the first axis")]
    [DataRow(2, 1, 3, DisplayName = "float16 blocks of 3 on a middle axis")]
    public void EncodeThenDecodeGivesBackTheSameBytes(int elementSize, int axis, int block)
    {
        int[] shape = [8, 3, 6, 16];
        var dense = RandomSparse(8 * 3 * 6 * 16, elementSize, 0.6, seed: 11);
        var sparse = SparseTensorCodec.Encode(dense, elementSize, shape, new SparseBlock(axis, block));

        var decoded = SparseTensorCodec.Decode(sparse.Values, elementSize, shape, sparse.Parameters);

        CollectionAssert.AreEqual(dense, decoded);
        Assert.IsLessThan(dense.Length, sparse.Values.Length, "sparse values must be fewer than dense ones at 60 % zeros");
        Assert.AreEqual(sparse.PayloadBytes, SparseTensorCodec.EncodedPayloadBytes(dense, elementSize, shape, new SparseBlock(axis, block)));
    }

    [TestMethod]
    public void CsrLayoutIsTheConvertersLayout()
    {
        // 2 rows of 4: row 0 keeps columns 1 and 3, row 1 keeps column 0.
        byte[] dense = [0, 5, 0, 7, 9, 0, 0, 0];
        var sparse = SparseTensorCodec.Encode(dense, 1, [2, 4]);

        CollectionAssert.AreEqual(new byte[] { 5, 7, 9 }, sparse.Values);
        CollectionAssert.AreEqual(new[] { 0, 1 }, sparse.Parameters.TraversalOrder);
        Assert.IsNull(sparse.Parameters.BlockMap);
        var levels = sparse.Parameters.DimMetadata;
        Assert.AreEqual(DimensionType.DENSE, levels[0].Format);
        Assert.AreEqual(2, levels[0].DenseSize);
        Assert.AreEqual(DimensionType.SPARSE_CSR, levels[1].Format);
        CollectionAssert.AreEqual(new byte[] { 0, 2, 3 }, levels[1].ArraySegments.AsUint8Vector().Values);
        CollectionAssert.AreEqual(new byte[] { 1, 3, 0 }, levels[1].ArrayIndices.AsUint8Vector().Values);
    }

    [TestMethod]
    public void BlockLayoutAppendsADenseBlockLevel()
    {
        // [2, 8] with 1x4 blocks: row 0 keeps block 1 (it has one non-zero), row 1 keeps nothing.
        byte[] dense = [0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var sparse = SparseTensorCodec.Encode(dense, 1, [2, 8], new SparseBlock(1, 4));

        CollectionAssert.AreEqual(new byte[] { 0, 3, 0, 0 }, sparse.Values);
        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, sparse.Parameters.TraversalOrder);
        CollectionAssert.AreEqual(new[] { 1 }, sparse.Parameters.BlockMap);
        var levels = sparse.Parameters.DimMetadata;
        Assert.HasCount(3, levels);
        CollectionAssert.AreEqual(new byte[] { 0, 1, 1 }, levels[1].ArraySegments.AsUint8Vector().Values);
        CollectionAssert.AreEqual(new byte[] { 1 }, levels[1].ArrayIndices.AsUint8Vector().Values);
        Assert.AreEqual(DimensionType.DENSE, levels[2].Format);
        Assert.AreEqual(4, levels[2].DenseSize);
    }

    [TestMethod]
    public void IndexVectorsUseTheSmallestTypeThatFits()
    {
        // 1 x 70000, every element non-zero: indices up to 69999 and segments up to 70000 need int32.
        var wide = SparseTensorCodec.Encode(Enumerable.Repeat((byte)1, 70_000).ToArray(), 1, [1, 70_000]);
        Assert.AreEqual(SparseIndexVector.Int32Vector, wide.Parameters.DimMetadata[1].ArrayIndices.Type);
        Assert.AreEqual(SparseIndexVector.Int32Vector, wide.Parameters.DimMetadata[1].ArraySegments.Type);

        // 300 x 2, every element non-zero: indices 0..1 fit uint8, segments up to 600 need uint16.
        var tall = SparseTensorCodec.Encode(Enumerable.Repeat((byte)1, 600).ToArray(), 1, [300, 2]);
        Assert.AreEqual(SparseIndexVector.Uint8Vector, tall.Parameters.DimMetadata[1].ArrayIndices.Type);
        Assert.AreEqual(SparseIndexVector.Uint16Vector, tall.Parameters.DimMetadata[1].ArraySegments.Type);
    }

    [TestMethod]
    public void ReEncodingTheCorpusSparseModelReproducesTheConvertersBytes()
    {
        // face_detection_full_range_sparse was written by the TFLite converter: decoding each sparse weight and encoding
        // it again must give the same values, the same structure and the same index vector types.
        var model = ModelReader.ReadFile(Corpus.GetPath("face_detection_full_range_sparse"));
        var sparseTensors = model.Main.Tensors.Where(t => t.Sparsity is not null).ToList();
        Assert.HasCount(46, sparseTensors);
        foreach (var t in sparseTensors)
        {
            var size = TensorTypes.ElementSize(t.Type);
            var dense = SparseTensorCodec.Decode(t.Data.Span, size, t.Shape, t.Sparsity!);
            var again = SparseTensorCodec.Encode(dense, size, t.Shape);

            CollectionAssert.AreEqual(t.Data.ToArray(), again.Values, t.Name);
            CollectionAssert.AreEqual(t.Sparsity!.TraversalOrder, again.Parameters.TraversalOrder, t.Name);
            for (var level = 0; level < t.Shape.Length; level++)
            {
                var expected = t.Sparsity.DimMetadata[level];
                var actual = again.Parameters.DimMetadata[level];
                Assert.AreEqual(expected.Format, actual.Format, $"{t.Name} level {level}");
                Assert.AreEqual(expected.ArraySegments?.Type ?? SparseIndexVector.NONE, actual.ArraySegments?.Type ?? SparseIndexVector.NONE, $"{t.Name} level {level} segments");
                Assert.AreEqual(expected.ArrayIndices?.Type ?? SparseIndexVector.NONE, actual.ArrayIndices?.Type ?? SparseIndexVector.NONE, $"{t.Name} level {level} indices");
                if (expected.Format == DimensionType.DENSE)
                {
                    Assert.AreEqual(expected.DenseSize, actual.DenseSize, $"{t.Name} level {level} dense_size");
                }
            }
        }
    }

    [TestMethod]
    public void InconsistentStructuresAreCodedErrors()
    {
        byte[] dense = [0, 5, 0, 7, 9, 0, 0, 0];
        var good = SparseTensorCodec.Encode(dense, 1, [2, 4]);

        // An index past its dimension must not land silently in the next row.
        var outOfRange = SparseTensorCodec.Encode(dense, 1, [2, 4]);
        outOfRange.Parameters.DimMetadata[1].ArrayIndices.AsUint8Vector().Values[0] = 4;
        AssertInvalid(() => SparseTensorCodec.Decode(outOfRange.Values, 1, [2, 4], outOfRange.Parameters), "index 4");

        // Segments that do not match the stored values.
        var shortSegments = SparseTensorCodec.Encode(dense, 1, [2, 4]);
        shortSegments.Parameters.DimMetadata[1].ArraySegments.AsUint8Vector().Values.RemoveAt(2);
        AssertInvalid(() => SparseTensorCodec.Decode(shortSegments.Values, 1, [2, 4], shortSegments.Parameters), "array_segments");

        // One value too many.
        AssertInvalid(() => SparseTensorCodec.Decode([5, 7, 9, 1], 1, [2, 4], good.Parameters), "values are stored");

        // A rank that does not match.
        AssertInvalid(() => SparseTensorCodec.Decode(good.Values, 1, [8], good.Parameters), "rank-1");

        // A block that does not tile the shape.
        AssertInvalid(() => SparseTensorCodec.Encode(dense, 1, [2, 4], new SparseBlock(1, 3)), "does not tile");
    }

    private static void AssertInvalid(Action action, string expectedText)
    {
        var e = Assert.ThrowsExactly<OptimizationException>(action);
        Assert.AreEqual(OptimizationErrorCodes.InvalidTensor, e.Code);
        Assert.Contains(expectedText, e.Message);
    }
}
