using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Calibration;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Targets;
using ModelBuildTasks.Optimization.Tests.Support;

namespace ModelBuildTasks.Optimization.Tests;

/// <summary>Full-integer int8 and 16x8: structure of the rewritten graph, calibration, targets and errors.</summary>
[TestClass]
public sealed class FullIntegerTests
{
    private const string Small = "face_detection_short_range";

    private static OptimizationResult Quantize(string name, OptimizationOptions options, int samples = 6) =>
        Optimizer.Optimize(CorpusModels.Read(name), options, Samples.Seeded(CorpusModels.Read(name), samples));

    [TestMethod]
    public void Int8ComputesEveryOpInIntegersWithFloatEdges()
    {
        var result = Quantize(Small, OptimizationOptions.For(Optimization.Int8));
        var main = result.Model.Main;
        Assert.AreEqual(0, result.FullInteger!.FloatOperators.Count, string.Join("\n", result.FullInteger.FloatOperators));
        Assert.IsFalse(main.Operators.Any(TargetCheck.IsFloatCompute), "an op still computes in float");
        Assert.AreEqual(TensorType.FLOAT32, main.Inputs[0].Type);
        Assert.IsTrue(main.Outputs.All(t => t.Type == TensorType.FLOAT32));
        Assert.AreEqual(1, WeightPassTests.Count(result.Model, BuiltinOperator.QUANTIZE));
        Assert.AreEqual(main.Outputs.Count, WeightPassTests.Count(result.Model, BuiltinOperator.DEQUANTIZE));
        Assert.AreEqual(6, result.FullInteger.Samples);

        foreach (var op in main.Operators.Where(o => o.Code.Builtin is BuiltinOperator.CONV_2D or BuiltinOperator.DEPTHWISE_CONV_2D))
        {
            var (input, weights, bias, output) = (op.Inputs[0]!, op.Inputs[1]!, op.Inputs[2]!, op.Outputs[0]!);
            Assert.AreEqual(TensorType.INT8, input.Type);
            Assert.AreEqual(TensorType.INT8, output.Type);
            Assert.AreEqual(TensorType.INT8, weights.Type);
            Assert.AreEqual(TensorType.INT32, bias.Type);
            Assert.AreEqual(3, op.Code.Version, $"{op} int8 version");
            var axis = op.Code.Builtin == BuiltinOperator.CONV_2D ? 0 : 3;
            Assert.AreEqual(weights.Shape[axis], weights.Quantization!.Scale.Length, "per-channel weights");
            Assert.AreEqual(axis, weights.Quantization.QuantizedDimension);
            Assert.IsTrue(weights.Quantization.ZeroPoint.All(z => z == 0));
            Assert.IsTrue(weights.Data.ToArray().All(b => (sbyte)b >= -127), "weights use [-127, 127]");
            for (var c = 0; c < bias.Quantization!.Scale.Length; c++)
            {
                var expected = input.Quantization!.Scale[0] * weights.Quantization.Scale[c];
                Assert.AreEqual(expected, bias.Quantization.Scale[c], expected * 1e-6, "bias scale = input scale x weight scale");
            }
            Assert.IsTrue(output.Quantization!.ZeroPoint[0] is >= -128 and <= 127);
        }
        // Same-scale ops share their input's parameters.
        foreach (var op in main.Operators.Where(o => o.Code.Builtin is BuiltinOperator.PAD or BuiltinOperator.MAX_POOL_2D or BuiltinOperator.RESHAPE))
        {
            Assert.AreEqual(op.Inputs[0]!.Quantization!.Scale[0], op.Outputs[0]!.Quantization!.Scale[0], $"{op} scale");
            Assert.AreEqual(op.Inputs[0]!.Quantization!.ZeroPoint[0], op.Outputs[0]!.Quantization!.ZeroPoint[0], $"{op} zero point");
        }
    }

    [TestMethod]
    public void Int16x8UsesSymmetricInt16ActivationsAndInt64Bias()
    {
        var result = Quantize("pose_landmark_lite", OptimizationOptions.For(Optimization.Int16x8), samples: 3);
        var main = result.Model.Main;
        var convs = main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.CONV_2D).ToList();
        Assert.IsTrue(convs.Count > 40);
        foreach (var op in convs)
        {
            Assert.AreEqual(TensorType.INT16, op.Inputs[0]!.Type);
            Assert.AreEqual(0, op.Inputs[0]!.Quantization!.ZeroPoint[0]);
            Assert.AreEqual(TensorType.INT8, op.Inputs[1]!.Type);
            Assert.AreEqual(TensorType.INT64, op.Inputs[2]!.Type);
            Assert.AreEqual(4, op.Code.Version);
        }
        foreach (var add in main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.ADD))
        {
            Assert.IsFalse(add.OptionsAs<AddOptionsT>()!.PotScaleInt16, "16x8 ADD with general scales");
            Assert.AreEqual(3, add.Code.Version);
        }
        // int16 LOGISTIC: symmetric input, TFLite's fixed output scale 2^-15.
        var logistic = main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.LOGISTIC);
        Assert.AreEqual(TensorType.INT16, logistic.Inputs[0]!.Type);
        Assert.AreEqual(0, logistic.Inputs[0]!.Quantization!.ZeroPoint[0]);
        Assert.AreEqual(1f / 32768, logistic.Outputs[0]!.Quantization!.Scale[0]);
        Assert.AreEqual(0, logistic.Outputs[0]!.Quantization!.ZeroPoint[0]);
        Assert.IsFalse(string.Join("\n", result.FullInteger!.FloatOperators).Contains("LOGISTIC", StringComparison.Ordinal));
    }

    [TestMethod]
    public void Int8LogisticHasTheFixedOutputScale()
    {
        var main = Quantize("pose_landmark_lite", OptimizationOptions.For(Optimization.Int8), samples: 2).Model.Main;
        var logistic = main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.LOGISTIC);
        Assert.AreEqual(1f / 256, logistic.Outputs[0]!.Quantization!.Scale[0]);
        Assert.AreEqual(-128, logistic.Outputs[0]!.Quantization!.ZeroPoint[0]);
    }

    [TestMethod]
    public void IntegerInputsAndOutputs()
    {
        var options = OptimizationOptions.For(Optimization.Int8) with { InputType = ModelIoType.UInt8, OutputType = ModelIoType.Int8 };
        var main = Quantize(Small, options).Model.Main;
        var input = main.Inputs[0];
        Assert.AreEqual(TensorType.UINT8, input.Type);
        var quantize = main.Operators.Single(o => o.Inputs.Contains(input));
        Assert.AreEqual(BuiltinOperator.QUANTIZE, quantize.Code.Builtin);
        var int8 = quantize.Outputs[0]!;
        Assert.AreEqual(TensorType.INT8, int8.Type);
        Assert.AreEqual(int8.Quantization!.ZeroPoint[0] + 128, input.Quantization!.ZeroPoint[0]);
        Assert.AreEqual(int8.Quantization.Scale[0], input.Quantization.Scale[0]);
        Assert.IsTrue(main.Outputs.All(t => t.Type == TensorType.INT8));
        Assert.AreEqual(0, WeightPassTests.Count(new ModelGraph { Subgraphs = { main } }, BuiltinOperator.DEQUANTIZE));
    }

    [TestMethod]
    public void OpsWithoutAnIntegerKernelStayFloatBetweenQuantizeAndDequantize()
    {
        // selfie_segmentation ends in MediaPipe's custom transposed convolution.
        var result = Quantize("selfie_segmentation", OptimizationOptions.For(Optimization.Int8), samples: 3);
        var custom = result.Model.Main.Operators.Single(o => o.Code.IsCustom);
        Assert.AreEqual(TensorType.FLOAT32, custom.Inputs[0]!.Type);
        Assert.AreEqual(TensorType.FLOAT32, custom.Inputs[1]!.Type, "its weights stay float");
        var producer = result.Model.Main.Operators.Single(o => o.Outputs.Contains(custom.Inputs[0]));
        Assert.AreEqual(BuiltinOperator.DEQUANTIZE, producer.Code.Builtin);
        StringAssert.Contains(string.Join("\n", result.FullInteger!.FloatOperators), "Convolution2DTransposeBias");

        var e = Assert.ThrowsExactly<OptimizationException>(() =>
            Quantize("selfie_segmentation", OptimizationOptions.For(Optimization.Int8) with { Target = OptimizationTarget.EdgeTpu }, samples: 1));
        Assert.AreEqual(OptimizationErrorCodes.TargetViolation, e.Code);
        StringAssert.Contains(e.Message, "Convolution2DTransposeBias");
        StringAssert.Contains(e.Message, "edgetpu");
    }

    [TestMethod]
    public void EdgeTpuGetsAnAllInt8ModelWithInt8Io()
    {
        var result = Quantize(Small, OptimizationOptions.For(Optimization.Int8) with { Target = OptimizationTarget.EdgeTpu });
        Assert.AreEqual(0, result.Warnings.Count);
        Assert.IsTrue(result.Model.Main.Inputs.Concat(result.Model.Main.Outputs).All(t => t.Type == TensorType.INT8));
        var e = Assert.ThrowsExactly<OptimizationException>(() =>
            Quantize(Small, OptimizationOptions.For(Optimization.Int8) with { Target = OptimizationTarget.EdgeTpu, InputType = ModelIoType.Float32 }));
        Assert.AreEqual(OptimizationErrorCodes.TargetViolation, e.Code);
        StringAssert.Contains(e.Message, "int8 or uint8");
        var gpu = Assert.ThrowsExactly<OptimizationException>(() =>
            Quantize(Small, OptimizationOptions.For(Optimization.Int16x8) with { Target = OptimizationTarget.Gpu }));
        StringAssert.Contains(gpu.Message, "int16");
    }

    [TestMethod]
    public void RulesKeepMatchingOpsFloatAndLastRuleWins()
    {
        var rules = new[]
        {
            new QuantizationRule(null, "CONV_2D|DEPTHWISE_CONV_2D", QuantizationScheme.None),
            new QuantizationRule(null, "DEPTHWISE_CONV_2D", QuantizationScheme.Int8),
        };
        var result = Quantize(Small, OptimizationOptions.For(Optimization.Int8) with { Rules = rules });
        var main = result.Model.Main;
        Assert.IsTrue(main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.CONV_2D).All(o => o.Outputs[0]!.Type == TensorType.FLOAT32));
        Assert.IsTrue(main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DEPTHWISE_CONV_2D).All(o => o.Outputs[0]!.Type == TensorType.INT8));
        Assert.IsTrue(WeightPassTests.Count(result.Model, BuiltinOperator.QUANTIZE) > 10);
        Assert.IsTrue(result.FullInteger!.FloatOperators.All(f => f.Contains("CONV_2D") && f.Contains("rule")));
    }

    [TestMethod]
    public void RecipeFilesParseAndReportMistakes()
    {
        var rules = Recipes.QuantizationRecipe.Parse("""
            { "rules": [ { "op": "ADD", "scheme": "none" },   // comments are allowed
                         { "tensor": ".*conv.*", "op": "CONV_2D", "scheme": "int16x8" } ] }
            """);
        Assert.AreEqual(2, rules.Count);
        Assert.AreEqual(QuantizationScheme.Int16x8, rules[1].Scheme);
        Assert.AreEqual(".*conv.*", rules[1].Tensor);
        foreach (var bad in new[] { "[]", "{\"rules\":[{\"op\":\"ADD\"}]}", "{\"rules\":[{\"scheme\":\"int4\"}]}", "{\"rules\":[{\"scheme\":\"none\",\"layer\":\"x\"}]}", "{" })
        {
            var e = Assert.ThrowsExactly<OptimizationException>(() => Recipes.QuantizationRecipe.Parse(bad, "r.json"), bad);
            Assert.AreEqual(OptimizationErrorCodes.InvalidRecipe, e.Code);
            StringAssert.Contains(e.Message, "r.json");
        }
        var missing = Assert.ThrowsExactly<OptimizationException>(() => Recipes.QuantizationRecipe.Load("/nonexistent/recipe.json"));
        Assert.AreEqual(OptimizationErrorCodes.InvalidRecipe, missing.Code);
    }

    [TestMethod]
    public void MixedInt8AndInt16OpsConnectThroughConversions()
    {
        var rules = new[] { new QuantizationRule(null, "DEPTHWISE_CONV_2D", QuantizationScheme.Int16x8) };
        var model = Quantize(Small, OptimizationOptions.For(Optimization.Int8) with { Rules = rules }).Model;
        foreach (var op in model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DEPTHWISE_CONV_2D))
        {
            Assert.AreEqual(TensorType.INT16, op.Inputs[0]!.Type);
            Assert.AreEqual(TensorType.INT16, op.Outputs[0]!.Type);
        }
        // Every op reads tensors of the type its kind needs: no int8 tensor feeds an int16 op directly.
        foreach (var op in model.Main.Operators.Where(o => o.Code.Builtin is BuiltinOperator.CONV_2D or BuiltinOperator.ADD))
        {
            Assert.AreEqual(TensorType.INT8, op.Inputs[0]!.Type);
        }
    }

    [TestMethod]
    public void MissingOrMismatchedDataIsACodedError()
    {
        var model = CorpusModels.Read(Small);
        var e = Assert.ThrowsExactly<OptimizationException>(() => Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Int8)));
        Assert.AreEqual(OptimizationErrorCodes.MissingRepresentativeData, e.Code);
        e = Assert.ThrowsExactly<OptimizationException>(() =>
            Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Int8), new InMemorySampleSource([])));
        Assert.AreEqual(OptimizationErrorCodes.MissingRepresentativeData, e.Code);
        e = Assert.ThrowsExactly<OptimizationException>(() =>
            Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Int8), new InMemorySampleSource([new Sample("short", [new byte[12]])])));
        Assert.AreEqual(OptimizationErrorCodes.CalibrationFailed, e.Code);
        StringAssert.Contains(e.Message, "'short'");
        e = Assert.ThrowsExactly<OptimizationException>(() =>
            Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Int8) with { OutputType = ModelIoType.Int16 }, Samples.Seeded(model, 1)));
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, e.Code);
    }

    [TestMethod]
    public void CalibrationMethodsNarrowTheRangeAsDocumented()
    {
        var model = CorpusModels.Float32(Small);
        var data = new CountingSource(Samples.Seeded(model, 8));
        CalibrationResult Run(CalibrationMethod m) => Calibrator.Calibrate(model, data, OptimizationOptions.For(Optimization.Int8) with { Calibration = m });
        var minMax = Run(CalibrationMethod.MinMax);
        Assert.AreEqual(8, data.Reads);
        var percentile = Run(CalibrationMethod.Percentile);
        Assert.AreEqual(8 + 16, data.Reads, "histogram methods read the data twice (streaming, nothing kept)");
        var mse = Run(CalibrationMethod.Mse);
        var average = Run(CalibrationMethod.MovingAverage);
        Assert.AreEqual(8, minMax.Samples);
        var narrower = 0;
        foreach (var (tensor, observed) in minMax.Ranges)
        {
            // Quantized ranges always include 0, so a method may widen to 0 but never beyond what was observed.
            var full = observed.Union(new TensorRange(0, 0));
            foreach (var other in new[] { percentile.Ranges[tensor], mse.Ranges[tensor], average.Ranges[tensor] })
            {
                Assert.IsTrue(other.Min >= full.Min - 1e-4f * Math.Abs(full.Min) - 1e-6f && other.Max <= full.Max + 1e-4f * Math.Abs(full.Max) + 1e-6f,
                    $"{tensor}: {other} outside {full}");
            }
            if (percentile.Ranges[tensor].Max - percentile.Ranges[tensor].Min < 0.99f * (full.Max - full.Min))
            {
                narrower++;
            }
        }
        Assert.IsTrue(narrower > minMax.Ranges.Count / 4, $"percentile clipped only {narrower} of {minMax.Ranges.Count} ranges");
        // The input is uniform 0..1 noise: min/max sees nearly [0, 1].
        var input = minMax.Ranges[model.Main.Inputs[0]];
        Assert.IsTrue(input.Min < 0.001f && input.Max > 0.999f, input.ToString());
    }

    [TestMethod]
    public void Int8OutputIsByteIdenticalForIdenticalInput()
    {
        var a = WeightPassTests.Write(Quantize(Small, OptimizationOptions.For(Optimization.Int8) with { Calibration = CalibrationMethod.Mse }, 3).Model);
        var b = WeightPassTests.Write(Quantize(Small, OptimizationOptions.For(Optimization.Int8) with { Calibration = CalibrationMethod.Mse }, 3).Model);
        CollectionAssert.AreEqual(a, b);
    }

    [TestMethod]
    public void ProgressIsReportedPerSample()
    {
        var seen = new List<OptimizationProgress>();
        var model = CorpusModels.Read(Small);
        Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Int8) with { MaxCalibrationSamples = 3 },
            Samples.Seeded(model, 5), new SyncProgress(seen.Add));
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, seen.Select(p => p.Done).ToArray());
        Assert.IsTrue(seen.All(p => p.Total == 3 && p.Stage == "calibration"));
    }

    private sealed class SyncProgress(Action<OptimizationProgress> report) : IProgress<OptimizationProgress>
    {
        public void Report(OptimizationProgress value) => report(value);
    }

    private sealed class CountingSource(ISampleSource inner) : ISampleSource
    {
        public int Reads;

        public string Description => inner.Description;

        public int? Count => inner.Count;

        public IEnumerable<Sample> Read(CancellationToken cancellationToken = default)
        {
            foreach (var s in inner.Read(cancellationToken))
            {
                Reads++;
                yield return s;
            }
        }
    }
}
