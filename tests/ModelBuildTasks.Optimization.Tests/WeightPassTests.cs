using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Tests.Support;

namespace ModelBuildTasks.Optimization.Tests;

/// <summary>The data-free passes: float32 (dequantize), float16 and dynamic range, checked structurally.</summary>
[TestClass]
public sealed class WeightPassTests
{
    [TestMethod]
    [DynamicData(nameof(CorpusModels.Names), typeof(CorpusModels))]
    public void Float32ThenFloat16ReproducesTheOriginalWeightBytes(string name)
    {
        var original = CorpusModels.Read(name);
        var float32 = CorpusModels.Float32(name);
        Assert.AreEqual(0, Count(float32, BuiltinOperator.DEQUANTIZE), "float32 form still has DEQUANTIZE ops");
        Assert.IsFalse(float32.Main.Tensors.Any(t => t.IsConstant && t.Type == TensorType.FLOAT16));

        var roundTrip = Optimizer.Optimize(float32, OptimizationOptions.For(Optimization.Float16)).Model;

        // Every original DEQUANTIZE output is again produced by a DEQUANTIZE of the very same float16 bytes.
        var compared = 0;
        foreach (var op in original.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DEQUANTIZE))
        {
            var output = op.Outputs[0]!;
            var again = roundTrip.Main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.DEQUANTIZE && o.Outputs[0]!.Name == output.Name);
            var before = Weights(original, op.Inputs[0]!);
            var after = Weights(roundTrip, again.Inputs[0]!);
            Assert.AreEqual(before.Type, after.Type, output.Name);
            CollectionAssert.AreEqual(before.Data.ToArray(), after.Data.ToArray(), $"weights of {output.Name}");
            Assert.AreEqual(before.Sparsity is null, after.Sparsity is null, $"sparsity of {output.Name}");
            compared++;
        }
        Assert.IsTrue(compared > 50, $"only {compared} DEQUANTIZE ops compared");
        Assert.AreEqual(Count(original, BuiltinOperator.DEQUANTIZE), Count(roundTrip, BuiltinOperator.DEQUANTIZE));
        Assert.AreEqual(Count(original, BuiltinOperator.DENSIFY), Count(roundTrip, BuiltinOperator.DENSIFY));
        Assert.AreEqual(original.Main.Operators.Count, roundTrip.Main.Operators.Count);
    }

    [TestMethod]
    public void Float16IsIdempotentOnAFloat16Model()
    {
        var original = CorpusModels.Read("face_detection_short_range");
        var result = Optimizer.Optimize(original, OptimizationOptions.For(Optimization.Float16));
        Assert.AreEqual(0, result.Changes.Count);
        Assert.IsNull(ModelComparer.FirstDifference(original, result.Model));
    }

    [TestMethod]
    public void Float32KeepsSparseWeightsSparseUnlessAskedToDensify()
    {
        var original = CorpusModels.Read("face_detection_full_range_sparse");
        var sparse = CorpusModels.Float32("face_detection_full_range_sparse");
        var densify = Count(original, BuiltinOperator.DENSIFY);
        Assert.IsTrue(densify > 0);
        Assert.AreEqual(densify, Count(sparse, BuiltinOperator.DENSIFY));
        Assert.AreEqual(densify, sparse.Main.Tensors.Count(t => t.Sparsity is not null && t.Type == TensorType.FLOAT32));

        var dense = Optimizer.Optimize(original, OptimizationOptions.For(Optimization.Float32) with { DensifySparseWeights = true }).Model;
        Assert.AreEqual(0, Count(dense, BuiltinOperator.DENSIFY));
        Assert.IsFalse(dense.Main.Tensors.Any(t => t.Sparsity is not null));
        // The densified weights equal what the dense model of the same family would hold element for element: check
        // one tensor's values against the sparse values it came from (every stored value appears, the rest is zero).
        var t = dense.Main.Tensors.First(x => x.Name == "model_1/model/conv2d_1/Conv2D_dequantize2");
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.Data.Span).ToArray();
        var stored = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(
            original.Main.Tensors.First(x => x.Name == "model_1/model/conv2d_1/Conv2D_dequantize").Data.Span).ToArray();
        Assert.AreEqual(stored.Count(h => h != Half.Zero), values.Count(v => v != 0));
        CollectionAssert.AreEquivalent(stored.Where(h => h != Half.Zero).Select(h => (float)h).ToArray(), values.Where(v => v != 0).ToArray());
    }

    [TestMethod]
    public void DynamicRangeQuantizesLargeWeightsOnlyWithHybridConvAndDequantizedDepthwise()
    {
        var float32 = CorpusModels.Float32("pose_landmark_lite");
        var result = Optimizer.Optimize(CorpusModels.Read("pose_landmark_lite"), OptimizationOptions.For(Optimization.Dynamic));
        var main = result.Model.Main;
        foreach (var t in main.Tensors.Where(t => t.IsConstant))
        {
            if (t.Type == TensorType.INT8)
            {
                Assert.IsTrue(t.ElementCount >= 1024, $"{t} is small but was quantized");
                Assert.IsTrue(t.Quantization!.ZeroPoint.All(z => z == 0), $"{t} is not symmetric");
            }
            else if (t.Type == TensorType.FLOAT32)
            {
                Assert.IsTrue(t.ElementCount < 1024, $"{t} is large but stayed float32");
            }
        }
        foreach (var op in main.Operators)
        {
            if (op.Code.Builtin == BuiltinOperator.CONV_2D && op.Inputs[1] is { Type: TensorType.INT8 } w)
            {
                Assert.AreEqual(5, op.Code.Version, "hybrid per-channel CONV_2D is version 5");
                Assert.AreEqual(w.Shape[0], w.Quantization!.Scale.Length);
            }
            if (op.Code.Builtin == BuiltinOperator.DEPTHWISE_CONV_2D)
            {
                Assert.AreEqual(TensorType.FLOAT32, op.Inputs[1]!.Type, "depthwise reads float weights");
            }
            if (op.Code.Builtin == BuiltinOperator.DEQUANTIZE)
            {
                Assert.AreEqual(3, op.Inputs[0]!.Quantization!.QuantizedDimension, "only depthwise weights go through DEQUANTIZE here");
                Assert.AreEqual(5, op.Code.Version, "per-channel int8 DEQUANTIZE is version 5");
            }
        }
        var ratio = Size(result.Model) / (double)Size(float32);
        Assert.IsTrue(ratio < 0.32, $"dynamic is {ratio:F3} of float32");

        var lowerThreshold = Optimizer.Optimize(float32, OptimizationOptions.For(Optimization.Dynamic) with { DynamicRangeMinElements = 16 }).Model;
        Assert.IsTrue(lowerThreshold.Main.Tensors.Count(t => t.IsConstant && t.Type == TensorType.INT8) >
                      main.Tensors.Count(t => t.IsConstant && t.Type == TensorType.INT8));
    }

    [TestMethod]
    public void DynamicRangeWithoutHybridOpsDequantizesEveryWeight()
    {
        var result = Optimizer.Optimize(CorpusModels.Float32("hand_landmark_lite"),
            OptimizationOptions.For(Optimization.Dynamic) with { DynamicRangeHybridOps = false });
        Assert.IsFalse(result.Model.Main.Operators.Any(op => op.Inputs.Skip(1).Any(t => t is { IsConstant: true, Type: TensorType.INT8 }) &&
                                                             op.Code.Builtin != BuiltinOperator.DEQUANTIZE));
        Assert.IsTrue(Count(result.Model, BuiltinOperator.DEQUANTIZE) > 30);
    }

    [TestMethod]
    public void RuleNoneKeepsMatchingOpsFloat()
    {
        var options = OptimizationOptions.For(Optimization.Dynamic) with
        {
            Rules = [new QuantizationRule(null, "CONV_2D", QuantizationScheme.None)],
        };
        var model = Optimizer.Optimize(CorpusModels.Float32("hand_landmark_lite"), options).Model;
        Assert.IsTrue(model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.CONV_2D).All(o => o.Inputs[1]!.Type == TensorType.FLOAT32));
        Assert.IsTrue(model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.FULLY_CONNECTED).Any(o => o.Inputs[1]!.Type == TensorType.INT8));
    }

    [TestMethod]
    [DataRow(Optimization.Float16)]
    [DataRow(Optimization.Dynamic)]
    [DataRow(Optimization.Float32)]
    public void OutputIsByteIdenticalAndKeepsMetadataAndNames(Optimization optimization)
    {
        var original = CorpusModels.Read("hand_landmark_full");
        var first = Write(Optimizer.Optimize(original, OptimizationOptions.For(optimization)).Model);
        var second = Write(Optimizer.Optimize(CorpusModels.Read("hand_landmark_full"), OptimizationOptions.For(optimization)).Model);
        CollectionAssert.AreEqual(first, second);
        var model = ModelReader.Read(first);
        CollectionAssert.AreEqual(original.Metadata.Select(m => m.Name).ToArray(), model.Metadata.Select(m => m.Name).ToArray());
        CollectionAssert.AreEqual(original.Main.Inputs.Select(t => t.Name).ToArray(), model.Main.Inputs.Select(t => t.Name).ToArray());
        CollectionAssert.AreEqual(original.Main.Outputs.Select(t => t.Name).ToArray(), model.Main.Outputs.Select(t => t.Name).ToArray());
    }

    [TestMethod]
    public void TheInputModelIsNotModified()
    {
        var original = CorpusModels.Read("selfie_segmentation");
        var copy = CorpusModels.Read("selfie_segmentation");
        _ = Optimizer.Optimize(original, OptimizationOptions.For(Optimization.Dynamic));
        _ = Optimizer.Optimize(original, OptimizationOptions.For(Optimization.Float32));
        Assert.IsNull(ModelComparer.FirstDifference(copy, original));
    }

    [TestMethod]
    public void BadOptionsAreCodedErrors()
    {
        var model = CorpusModels.Read("face_detection_short_range");
        var e = Assert.ThrowsExactly<OptimizationException>(() =>
            Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Dynamic) with { DynamicRangeMinElements = -1 }));
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, e.Code);
        e = Assert.ThrowsExactly<OptimizationException>(() =>
            Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Float16) with { InputType = ModelIoType.Int8 }));
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, e.Code);
        e = Assert.ThrowsExactly<OptimizationException>(() =>
            Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Dynamic) with { Rules = [new QuantizationRule("(", null, QuantizationScheme.None)] }));
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, e.Code);
    }

    internal static int Count(ModelGraph m, BuiltinOperator op) => m.Main.Operators.Count(o => o.Code.Builtin == op);

    internal static byte[] Write(ModelGraph m)
    {
        using var s = new MemoryStream();
        ModelWriter.Write(m, s);
        return s.ToArray();
    }

    internal static long Size(ModelGraph m) => Write(m).LongLength;

    /// <summary>The constant behind a DEQUANTIZE input: itself, or the sparse constant its DENSIFY reads.</summary>
    private static Tensor Weights(ModelGraph m, Tensor input) =>
        input.IsConstant ? input : m.Main.Operators.Single(o => o.Outputs.Contains(input) && o.Code.Builtin == BuiltinOperator.DENSIFY).Inputs[0]!;
}
