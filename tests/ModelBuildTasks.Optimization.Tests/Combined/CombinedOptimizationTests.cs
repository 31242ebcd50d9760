using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Tests.Pruning;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Combined;

/// <summary>
/// Pruning and clustering through <see cref="Optimizer.Optimize"/>, alone and combined with the quantization schemes,
/// on face_detection_short_range (float16 weights, as MediaPipe ships them).
/// </summary>
[TestClass]
public sealed class CombinedOptimizationTests
{
    private const string Model = "face_detection_short_range";

    private static readonly PruningOptions Half = new() { TargetSparsity = 0.5 };

    private static OptimizationResult Optimize(Optimization optimization, PruningOptions? pruning, ClusteringOptions? clustering)
    {
        var model = CorpusModels.Read(Model);
        var options = OptimizationOptions.For(optimization) with { Pruning = pruning, Clustering = clustering };
        var data = optimization is Optimization.Int8 or Optimization.Int16x8 ? Samples.Seeded(model, 4) : null;
        return Optimizer.Optimize(model, options, data);
    }

    /// <summary>
    /// The weight constants (at least the pruning threshold's elements) of every CONV_2D, DEPTHWISE_CONV_2D and
    /// FULLY_CONNECTED, found through DEQUANTIZE/DENSIFY, as real values (sparse ones decoded).
    /// </summary>
    internal static List<(Tensor Constant, float[] Values)> Weights(ModelGraph model)
    {
        var main = model.Main;
        var producers = new Dictionary<Tensor, Operator>(ReferenceEqualityComparer.Instance);
        foreach (var op in main.Operators)
        {
            foreach (var o in op.Outputs)
            {
                if (o is not null)
                {
                    producers[o] = op;
                }
            }
        }
        var result = new List<(Tensor, float[])>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var op in main.Operators.Where(o => o.Code.Builtin is BuiltinOperator.CONV_2D or BuiltinOperator.DEPTHWISE_CONV_2D or BuiltinOperator.FULLY_CONNECTED))
        {
            var t = op.Inputs[1]!;
            while (!t.IsConstant && producers.TryGetValue(t, out var p) && p.Code.Builtin is BuiltinOperator.DEQUANTIZE or BuiltinOperator.DENSIFY)
            {
                t = p.Inputs[0]!;
            }
            if (t.IsConstant && t.ElementCount >= PruningOptions.DefaultMinElements && seen.Add(t))
            {
                var dense = t.Sparsity is null ? t : new Tensor(t.Name, t.Type, [.. t.Shape])
                {
                    Data = ModelBuildTasks.Optimization.Sparsity.SparseDecoder.Densify(t),
                    Quantization = t.Quantization,
                };
                result.Add((t, ModelChecks.Values(dense)));
            }
        }
        return result;
    }

    private static double Sparsity(OptimizationResult result)
    {
        double zeros = 0, elements = 0;
        foreach (var (_, values) in Weights(result.Model))
        {
            zeros += values.Count(v => v == 0);
            elements += values.Length;
        }
        return zeros / elements;
    }

    /// <summary>Runs the model in LiteRT and in our runtime on the same seeded inputs; returns the oracle's outputs and the smallest cosine between the two.</summary>
    private static (IReadOnlyList<float[]> Oracle, double AgreementCosine) RunBoth(ModelGraph model)
    {
        var path = ModelChecks.WriteTemp(model);
        try
        {
            var oracle = Oracle.RunSeeded(path, 5);
            using var session = ModelSession.Load(path);
            for (var i = 0; i < oracle.Inputs.Count; i++)
            {
                oracle.Inputs[i].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            var expected = new List<float[]>();
            var actual = new List<float[]>();
            for (var o = 0; o < oracle.Outputs.Count; o++)
            {
                expected.Add(oracle.Outputs[o].AsFloats());
                actual.Add(session.GetOutput<float>(o).ToArray());
            }
            return (expected, ModelChecks.MinCosine(expected, actual));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IReadOnlyList<float[]> Reference()
    {
        var path = Corpus.GetPath(Model);
        var oracle = Oracle.RunSeeded(path, 5);
        return [.. oracle.Outputs.Select(o => o.AsFloats())];
    }

    [TestMethod]
    public void PrunedInt8ReachesTargetSparsityKeepsZerosAndRunsInLiteRt()
    {
        var result = Optimize(Optimization.Int8, Half, null);

        Assert.IsNotEmpty(result.PrunedTensors);
        Assert.AreEqual(0.5, Sparsity(result), 0.01, "sparsity of the int8 weights");
        foreach (var t in result.PrunedTensors)
        {
            var weights = ModelChecks.Constants(result.Model)[t.Name];
            Assert.AreEqual(TensorType.INT8, weights.Type, t.Name);
            Assert.IsNull(weights.Sparsity, "int8 weights stay dense (LiteRT 2.5.3 computes int8 DENSIFY wrongly)");
        }
        Assert.AreEqual(0, result.Model.Main.Operators.Count(o => o.Code.Builtin == BuiltinOperator.DENSIFY));
        Assert.IsTrue(result.Changes.Any(c => c.Pass == "prune") && result.Changes.Any(c => c.Pass == "int8"));

        var (outputs, agreement) = RunBoth(result.Model);
        // Plain int8 of this model agrees to 0.984 (int8 rounding differences cascade through 60 layers), so 0.97 is the floor.
        Assert.IsGreaterThan(0.97, agreement, "our runtime against LiteRT on the pruned int8 model");
        // Post-training pruning without fine-tuning costs this small detector a lot (measured 0.77); the floor catches
        // a broken model (cosine near 0), not a quality goal.
        Assert.IsGreaterThan(0.7, ModelChecks.MinCosine(Reference(), outputs), "pruned int8 against the float original");
    }

    [TestMethod]
    [DataRow(Optimization.Float16)]
    [DataRow(Optimization.Float32)]
    public void PrunedFloatModelIsStoredSparseAndOurRuntimeMatchesLiteRt(Optimization optimization)
    {
        var result = Optimize(optimization, new PruningOptions { TargetSparsity = 0.75 }, null);

        Assert.AreEqual(0.75, Sparsity(result), 0.01);
        var densify = result.Model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DENSIFY).ToList();
        Assert.IsNotEmpty(densify, "pruned float weights are stored sparse");
        var storage = optimization == Optimization.Float16 ? TensorType.FLOAT16 : TensorType.FLOAT32;
        Assert.IsTrue(densify.All(o => o.Inputs[0]!.Type == storage && o.Inputs[0]!.Sparsity is not null));
        Assert.IsTrue(result.Changes.Any(c => c.Pass == "sparse"));
        Assert.IsLessThan(CorpusModels.Read(Model) is var original ? ModelWriter.ToBytes(original).Length : 0,
            ModelWriter.ToBytes(result.Model).Length * (optimization == Optimization.Float32 ? 0.5 : 1), "smaller than the dense original");

        // Sparse float: our runtime must agree with LiteRT to float precision.
        var outputs = ModelChecks.RunBothAndCompare(result.Model, seed: 5);
        // 75 % pruning without fine-tuning: measured 0.61 against the original; a broken model is near 0.
        Assert.IsGreaterThan(0.5, ModelChecks.MinCosine(Reference(), outputs));
    }

    [TestMethod]
    [DataRow(Optimization.Int8, false)]
    [DataRow(Optimization.Int8, true)]
    [DataRow(Optimization.Dynamic, false)]
    public void ClusteredInt8WeightsKeepAtMostNCodes(Optimization optimization, bool perChannel)
    {
        const int clusters = 16;
        var result = Optimize(optimization, null, new ClusteringOptions { ClusterCount = clusters, PerChannel = perChannel });

        Assert.IsNotEmpty(result.ClusteredTensors);
        var constants = ModelChecks.Constants(result.Model);
        var checkedTensors = 0;
        foreach (var t in result.ClusteredTensors)
        {
            var weights = constants[t.Name];
            if (weights.Type != TensorType.INT8)
            {
                continue; // a rule or a missing kernel kept it float
            }
            checkedTensors++;
            var codes = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(weights.Data.Span);
            if (!perChannel)
            {
                Assert.IsLessThanOrEqualTo(clusters, ClusterPreservingQuantizer.UniqueCodes(codes), $"{t.Name}: distinct int8 codes");
                Assert.HasCount(1, weights.Quantization!.Scale, $"{t.Name}: per-tensor clusters need one scale");
            }
            else
            {
                // Per channel: at most N codes in every channel along the quantized dimension.
                var axis = t.ChannelAxis;
                var channels = weights.Shape[axis];
                long inner = 1;
                for (var d = axis + 1; d < weights.Shape.Length; d++)
                {
                    inner *= weights.Shape[d];
                }
                var seen = new HashSet<(int, sbyte)>();
                for (var i = 0; i < codes.Length; i++)
                {
                    seen.Add(((int)(i / inner % channels), codes[i]));
                }
                for (var c = 0; c < channels; c++)
                {
                    Assert.IsLessThanOrEqualTo(clusters, seen.Count(s => s.Item1 == c), $"{t.Name} channel {c}");
                }
            }
        }
        Assert.IsGreaterThan(10, checkedTensors, "most clustered weights are int8");

        var (outputs, agreement) = RunBoth(result.Model);
        Assert.IsGreaterThan(0.97, agreement, "our runtime against LiteRT (plain int8 of this model: 0.984)");
        // Measured 0.78-0.80 (16 clusters per tensor); a broken model is near 0.
        Assert.IsGreaterThan(0.7, ModelChecks.MinCosine(Reference(), outputs), "clustered int8 against the float original");
    }

    [TestMethod]
    public void PruneClusterInt8KeepsSparsityAndCodeCountAndIsDeterministic()
    {
        var pruning = Half;
        var clustering = new ClusteringOptions { ClusterCount = 8, Initialization = CentroidInitialization.Random, Seed = 42 };
        var first = Optimize(Optimization.Int8, pruning, clustering);
        var second = Optimize(Optimization.Int8, pruning, clustering);

        CollectionAssert.AreEqual(ModelWriter.ToBytes(first.Model), ModelWriter.ToBytes(second.Model), "two runs must write the same bytes");
        // Sparsity-preserving clustering: the zeros of pruning survive clustering and int8.
        Assert.AreEqual(0.5, Sparsity(first), 0.01);
        var constants = ModelChecks.Constants(first.Model);
        foreach (var t in first.ClusteredTensors.Where(t => constants[t.Name].Type == TensorType.INT8))
        {
            var codes = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(constants[t.Name].Data.Span);
            Assert.IsLessThanOrEqualTo(8, ClusterPreservingQuantizer.UniqueCodes(codes), t.Name);
        }
        var passes = first.Changes.Select(c => c.Pass).Distinct().ToList();
        CollectionAssert.AreEqual(new[] { "float32", "prune", "cluster", "int8" }, passes, "steps in order");
    }

    [TestMethod]
    public void NoneKeepsFloat16StorageAndPrunesIt()
    {
        var result = Optimize(Optimization.None, Half, new ClusteringOptions { ClusterCount = 32 });

        Assert.AreEqual(0.5, Sparsity(result), 0.01);
        var densify = result.Model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DENSIFY).ToList();
        Assert.IsNotEmpty(densify);
        Assert.IsTrue(densify.All(o => o.Inputs[0]!.Type == TensorType.FLOAT16), "float16 weights stay float16");
        Assert.IsTrue(result.ClusteredTensors.All(t => t.UniqueValuesAfter <= 32));
        ModelChecks.RunBothAndCompare(result.Model, seed: 5);
    }

    [TestMethod]
    public void BadPruningOrClusteringOptionsAreCodedErrors()
    {
        var model = CorpusModels.Read(Model);
        var badSparsity = Assert.ThrowsExactly<OptimizationException>(() => Optimizer.Optimize(model,
            OptimizationOptions.For(Optimization.Float16) with { Pruning = new PruningOptions { TargetSparsity = 1.5 } }));
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, badSparsity.Code);
        var badClusters = Assert.ThrowsExactly<OptimizationException>(() => Optimizer.Optimize(model,
            OptimizationOptions.For(Optimization.Dynamic) with { Clustering = new ClusteringOptions { ClusterCount = 1 } }));
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, badClusters.Code);
    }
}
