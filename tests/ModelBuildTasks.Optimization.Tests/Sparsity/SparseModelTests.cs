using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Sparsity;
using ModelBuildTasks.Optimization.Tests.Pruning;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Sparsity;

/// <summary>Pruned models stored sparse: smaller, loadable by LiteRT, computing exactly what the dense pruned model does.</summary>
[TestClass]
public sealed class SparseModelTests
{
    private static ModelGraph Read(string name) => ModelReader.ReadFile(Corpus.GetPath(name));

    private static int Count(ModelGraph m, BuiltinOperator op) => m.Main.Operators.Count(o => o.Code.Builtin == op);

    /// <summary>
    /// Encodes the pruned model, checks it is smaller and holds DENSIFY ops, and that LiteRT gives bit-identical
    /// outputs for the dense and the sparse form (sparse storage is lossless) and our runtime agrees.
    /// </summary>
    private static SparseEncodingResult EncodeAndCheck(ModelGraph pruned, SparseEncodingOptions? options = null)
    {
        var encoded = SparseEncoder.Encode(pruned, options);
        Assert.IsNotEmpty(encoded.Changes, "some tensors must be stored sparse");
        Assert.AreEqual(encoded.Changes.Count, Count(encoded.Model, BuiltinOperator.DENSIFY) - Count(pruned, BuiltinOperator.DENSIFY));
        Assert.IsTrue(encoded.Model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DENSIFY).All(o => o.Code.Version == 1));
        var denseBytes = ModelWriter.ToBytes(pruned).Length;
        var sparseBytes = ModelWriter.ToBytes(encoded.Model).Length;
        Assert.IsLessThan(denseBytes, sparseBytes, "the sparse file must be smaller than the dense pruned one");

        var densePath = ModelChecks.WriteTemp(pruned);
        try
        {
            var dense = Oracle.RunSeeded(densePath, 3);
            var sparse = ModelChecks.RunBothAndCompare(encoded.Model, seed: 3);
            for (var o = 0; o < sparse.Count; o++)
            {
                // Same weights; LiteRT may pick another kernel path for non-constant weights (last-bit differences).
                var expected = dense.Outputs[o].AsFloats();
                var scale = expected.Max(Math.Abs);
                for (var k = 0; k < expected.Length; k++)
                {
                    Assert.AreEqual(expected[k], sparse[o][k], 1e-5 * scale, $"output {o}[{k}]: sparse storage changed the result");
                }
            }
        }
        finally
        {
            File.Delete(densePath);
        }
        return encoded;
    }

    [TestMethod]
    public void Float16UnstructuredPrunedModelIsStoredCsr()
    {
        var pruned = MagnitudePruner.Prune(Read("face_detection_short_range"), new PruningOptions { TargetSparsity = 0.75 }).Model;
        var encoded = EncodeAndCheck(pruned);
        Assert.IsTrue(encoded.Tensors.Any(t => t.Layout == "csr"));
        // Every sparse tensor is read by DENSIFY and then DEQUANTIZE, as the converter writes it.
        foreach (var densify in encoded.Model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DENSIFY))
        {
            Assert.AreEqual(TensorType.FLOAT16, densify.Inputs[0]!.Type);
            Assert.IsNotNull(densify.Inputs[0]!.Sparsity);
            var reader = encoded.Model.Main.Operators.Single(o => o.Inputs.Contains(densify.Outputs[0]));
            Assert.AreEqual(BuiltinOperator.DEQUANTIZE, reader.Code.Builtin);
        }
    }

    [TestMethod]
    [DataRow("block:1x4")]
    [DataRow("block:4x1")]
    public void BlockPrunedModelIsStoredInBlocks(string pattern)
    {
        var options = new PruningOptions { TargetSparsity = 0.75, Pattern = SparsityPattern.Parse(pattern) };
        var pruned = MagnitudePruner.Prune(Read("face_detection_short_range"), options).Model;
        var encoded = EncodeAndCheck(pruned);
        Assert.IsTrue(encoded.Tensors.Any(t => t.Layout.StartsWith("block", StringComparison.Ordinal)), "block pruning should pick a block layout");
        Assert.IsTrue(encoded.Model.Main.Tensors.Any(t => t.Sparsity?.BlockMap is { Count: 1 }));
    }

    [TestMethod]
    public void Float32WeightsArePrunedAndReadThroughDensifyDirectly()
    {
        var float32 = Optimizer.Optimize(Read("face_detection_short_range"), OptimizationOptions.For(Optimization.Float32)).Model;
        Assert.AreEqual(0, Count(float32, BuiltinOperator.DEQUANTIZE));
        var result = MagnitudePruner.Prune(float32, new PruningOptions { TargetSparsity = 0.75 });
        var constants = ModelChecks.Constants(result.Model);
        foreach (var p in result.Tensors)
        {
            var t = constants[p.Name];
            Assert.AreEqual(TensorType.FLOAT32, t.Type);
            var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.Data.Span).ToArray();
            Assert.AreEqual(0.75, bits.Count(b => b == 0) / (double)bits.Length, 0.01, $"{p.Name}: pruned weights are +0.0 exactly");
        }
        var encoded = EncodeAndCheck(result.Model);
        // float32 sparse → DENSIFY → the convolution itself.
        foreach (var densify in encoded.Model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DENSIFY))
        {
            Assert.AreEqual(TensorType.FLOAT32, densify.Inputs[0]!.Type);
            var reader = encoded.Model.Main.Operators.Single(o => o.Inputs.Contains(densify.Outputs[0]));
            Assert.AreEqual(1, reader.Inputs.IndexOf(densify.Outputs[0]), $"{reader} reads it as weights");
        }
    }

    [TestMethod]
    public void SymmetricInt8WeightsArePrunedToExactZerosAndKeptDenseByDefault()
    {
        var int8 = Int8Weights.Convert(Read("face_detection_short_range"));
        var result = MagnitudePruner.Prune(int8, new PruningOptions { TargetSparsity = 0.75 });
        var constants = ModelChecks.Constants(result.Model);
        foreach (var p in result.Tensors)
        {
            var codes = constants[p.Name].Data.ToArray();
            Assert.AreEqual(0.75, codes.Count(c => c == 0) / (double)codes.Length, 0.01, p.Name);
        }
        var encoded = SparseEncoder.Encode(result.Model);
        Assert.IsEmpty(encoded.Changes, "int8 stays dense unless asked (LiteRT 2.5.3 computes int8 DENSIFY models wrongly)");
        ModelChecks.RunBothAndCompare(encoded.Model);

        // On request they are stored sparse, and our decoder gives back the pruned codes exactly.
        var forced = SparseEncoder.Encode(result.Model, new SparseEncodingOptions { StoreInt8Sparse = true });
        Assert.IsNotEmpty(forced.Changes);
        foreach (var t in forced.Model.Main.Tensors.Where(t => t.Sparsity is not null))
        {
            Assert.AreEqual(TensorType.INT8, t.Type);
            CollectionAssert.AreEqual(constants[t.Name].Data.ToArray(), SparseTensorCodec.Decode(t.Data.Span, 1, t.Shape, t.Sparsity!), t.Name);
        }
    }

    [TestMethod]
    public void Int8WithAZeroPointIsPrunedToTheZeroPointAndStaysDense()
    {
        var int8 = Int8Weights.Convert(Read("face_detection_short_range"), zeroPoint: 5);
        var result = MagnitudePruner.Prune(int8, new PruningOptions { TargetSparsity = 0.5 });
        var constants = ModelChecks.Constants(result.Model);
        foreach (var p in result.Tensors)
        {
            var t = constants[p.Name];
            var codes = t.Data.ToArray();
            Assert.AreEqual(0.5, codes.Count(c => c == 5) / (double)codes.Length, 0.02, $"{p.Name}: pruned codes are the zero point");
            Assert.AreEqual(0.5, ModelChecks.Values(t).Count(v => v == 0) / (double)codes.Length, 0.02, $"{p.Name}: they dequantize to exact 0");
        }
        var encoded = SparseEncoder.Encode(result.Model);
        Assert.IsEmpty(encoded.Changes, "DENSIFY would fill with code 0, not the zero point: such tensors must stay dense");
        ModelChecks.RunBothAndCompare(encoded.Model);
    }

    [TestMethod]
    public void AlreadySparseModelIsDensifiedPrunedAndReEncoded()
    {
        var original = Read("face_detection_full_range_sparse");
        var result = MagnitudePruner.Prune(original, new PruningOptions { TargetSparsity = 0.8, MinElements = 0 });
        // Pruning works on dense data: DENSIFY ops of pruned weights are gone until the encoder puts them back.
        Assert.IsLessThan(Count(original, BuiltinOperator.DENSIFY), Count(result.Model, BuiltinOperator.DENSIFY));
        var previouslySparse = original.Main.Tensors.Where(t => t.Sparsity is not null).Select(t => t.Name).ToHashSet();
        Assert.IsTrue(result.Tensors.Any(t => previouslySparse.Contains(t.Name) && Math.Abs(t.SparsityAfter - 0.8) < 0.01),
            "weights read through DENSIFY are pruned too");
        var encoded = EncodeAndCheck(result.Model);
        Assert.IsGreaterThanOrEqualTo(Count(original, BuiltinOperator.DENSIFY), Count(encoded.Model, BuiltinOperator.DENSIFY));

        // Sparse weights that are not pruned keep their sparse storage untouched.
        var skipped = MagnitudePruner.Prune(original, new PruningOptions { Rules = [PruningRule.Skip()] });
        Assert.IsEmpty(skipped.Tensors);
        CollectionAssert.AreEqual(ModelWriter.ToBytes(original), ModelWriter.ToBytes(skipped.Model));
    }

    [TestMethod]
    public void CorruptSparseWeightsAreACodedErrorNotAWrongModel()
    {
        var model = Read("face_detection_full_range_sparse");
        var victim = model.Main.Tensors.First(t => t.Sparsity is not null);
        // Point a column index past its dimension (32): a lenient decoder would put the value into the next row.
        victim.Sparsity!.DimMetadata[3].ArrayIndices.AsUint8Vector().Values[0] = 40;
        var e = Assert.ThrowsExactly<OptimizationException>(() => MagnitudePruner.Prune(model, new PruningOptions { MinElements = 0 }));
        Assert.AreEqual(OptimizationErrorCodes.InvalidTensor, e.Code);
        Assert.Contains("index 40", e.Message);
        Assert.Contains(victim.Name, e.Message, "the message names the tensor");
    }

    [TestMethod]
    public void FullyConnectedWeightsTwoOfFour()
    {
        var result = MagnitudePruner.Prune(Read("hand_landmark_lite"), new PruningOptions { Pattern = SparsityPattern.NOfM(2, 4) });
        Assert.IsTrue(result.Tensors.Any(t => t.OpType == "FULLY_CONNECTED"));
        EncodeAndCheck(result.Model);
    }

    [TestMethod]
    public void DenseTensorsBelowTheConverterThresholdStayDense()
    {
        var pruned = MagnitudePruner.Prune(Read("face_detection_short_range"), new PruningOptions { TargetSparsity = 0.25 }).Model;
        var encoded = SparseEncoder.Encode(pruned);
        Assert.IsEmpty(encoded.Changes, "25 % zeros is below the converter's 30 % rule");
        Assert.IsTrue(encoded.Tensors.All(t => t.Layout == "dense"));
        CollectionAssert.AreEqual(ModelWriter.ToBytes(pruned), ModelWriter.ToBytes(encoded.Model));
    }

    [TestMethod]
    public void MinRuntimeVersionIsRaisedForDensify()
    {
        var model = Read("hand_landmark_lite");
        Assert.StartsWith("1.14.0", System.Text.Encoding.ASCII.GetString(model.FindMetadata(ModelGraph.MinRuntimeVersionName)!.Data.Span));
        var pruned = MagnitudePruner.Prune(model, new PruningOptions { TargetSparsity = 0.75 }).Model;
        var encoded = SparseEncoder.Encode(pruned).Model;
        var version = System.Text.Encoding.ASCII.GetString(encoded.FindMetadata(ModelGraph.MinRuntimeVersionName)!.Data.Span);
        Assert.AreEqual("2.2.0", version.TrimEnd('\0'));
        Assert.AreEqual(16, version.Length, "padded like the converter writes it");
    }
}
