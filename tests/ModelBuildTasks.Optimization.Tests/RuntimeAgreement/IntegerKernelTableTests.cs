using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.RuntimeAgreement;

/// <summary>
/// The ops added to the quantizer's integer tables (16x8 PRELU, TANH, BATCH_MATMUL, LOGISTIC; int8 BATCH_MATMUL and
/// LOG_SOFTMAX) are
/// quantized into the form TFLite's kernels need, load and run in LiteRT, and our runtime matches LiteRT on them.
/// </summary>
[TestClass]
public sealed class IntegerKernelTableTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>x ∈ [0, 1] → (x − 0.5)·6 → PRELU → TANH → BATCH_MATMUL (constant [4, 6]) → LOGISTIC.</summary>
    private static ModelGraph ActivationChain()
    {
        var g = new Graph();
        var x = g.Input([1, 8, 8, 4]);
        var centered = g.Op(BuiltinOperator.ADD, BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()), [x, g.Constant([1], [-0.5f])], [1, 8, 8, 4]);
        var scaled = g.Op(BuiltinOperator.MUL, BuiltinOptionsUnion.FromMulOptions(new MulOptionsT()), [centered, g.Constant([1], [6f])], [1, 8, 8, 4]);
        var prelu = g.Op(BuiltinOperator.PRELU, null, [scaled, g.Constant([4], [0.1f, -0.2f, 0.25f, 0.5f])], [1, 8, 8, 4]);
        var tanh = g.Op(BuiltinOperator.TANH, null, [prelu], [1, 8, 8, 4]);
        var weights = new float[24];
        var random = new Random(5);
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)(random.NextDouble() * 2 - 1);
        }
        var matmul = g.Op(BuiltinOperator.BATCH_MATMUL, BuiltinOptionsUnion.FromBatchMatMulOptions(new BatchMatMulOptionsT()), [tanh, g.Constant([4, 6], weights)], [1, 8, 8, 6]);
        g.Output(g.Op(BuiltinOperator.LOGISTIC, null, [matmul], [1, 8, 8, 6]));
        return g.Model;
    }

    /// <summary>x ∈ [0, 1] → x·8 → LOG_SOFTMAX over 10 classes.</summary>
    private static ModelGraph LogSoftmaxHead()
    {
        var g = new Graph();
        var x = g.Input([16, 10]);
        var logits = g.Op(BuiltinOperator.MUL, BuiltinOptionsUnion.FromMulOptions(new MulOptionsT()), [x, g.Constant([1], [8f])], [16, 10]);
        g.Output(g.Op(BuiltinOperator.LOG_SOFTMAX, null, [logits], [16, 10]));
        return g.Model;
    }

    [TestMethod]
    public void Int16x8ActivationChainIsIntegerAndMatchesLiteRt()
    {
        var model = Quantize(ActivationChain(), Optimization.Int16x8);
        foreach (var op in model.Main.Operators.Where(o => o.Code.Builtin is not (BuiltinOperator.QUANTIZE or BuiltinOperator.DEQUANTIZE)))
        {
            Assert.AreEqual(TensorType.INT16, op.Outputs[0]!.Type, $"{op.Code.Builtin} computes in int16");
        }
        var prelu = model.Main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.PRELU);
        Assert.AreEqual(TensorType.INT8, prelu.Inputs[1]!.Type, "16x8 PRELU reads an int8 alpha");
        var matmul = model.Main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.BATCH_MATMUL);
        Assert.AreEqual(3, matmul.Code.Version);
        Assert.AreEqual(1f / 32768, model.Main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.TANH).Outputs[0]!.Quantization!.Scale[0]);
        MatchesLiteRt(model, ActivationChain());
    }

    [TestMethod]
    public void Int8ActivationChainIsIntegerAndMatchesLiteRt()
    {
        var model = Quantize(ActivationChain(), Optimization.Int8);
        foreach (var op in model.Main.Operators.Where(o => o.Code.Builtin is not (BuiltinOperator.QUANTIZE or BuiltinOperator.DEQUANTIZE)))
        {
            Assert.AreEqual(TensorType.INT8, op.Outputs[0]!.Type, $"{op.Code.Builtin} computes in int8");
        }
        Assert.AreEqual(2, model.Main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.BATCH_MATMUL).Code.Version);
        MatchesLiteRt(model, ActivationChain());
    }

    [TestMethod]
    public void Int8LogSoftmaxHasTheFixedOutputAndMatchesLiteRt()
    {
        var model = Quantize(LogSoftmaxHead(), Optimization.Int8);
        var op = model.Main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.LOG_SOFTMAX);
        Assert.AreEqual(TensorType.INT8, op.Outputs[0]!.Type);
        Assert.AreEqual(16f / 256, op.Outputs[0]!.Quantization!.Scale[0]);
        Assert.AreEqual(127, op.Outputs[0]!.Quantization!.ZeroPoint[0]);
        Assert.AreEqual(2, op.Code.Version);
        MatchesLiteRt(model, LogSoftmaxHead());
    }

    [TestMethod]
    public void Int16x8PreluWithAGraphInputAlphaStaysFloat()
    {
        var g = new Graph();
        var x = g.Input([1, 4, 4, 4]);
        var alpha = g.Input([4]);
        g.Output(g.Op(BuiltinOperator.PRELU, null, [x, alpha], [1, 4, 4, 4]));
        var result = Optimizer.Optimize(g.Model, OptimizationOptions.For(Optimization.Int16x8), Samples.Seeded(g.Model, 2));
        var prelu = result.Model.Main.Operators.Single(o => o.Code.Builtin == BuiltinOperator.PRELU);
        Assert.AreEqual(TensorType.FLOAT32, prelu.Outputs[0]!.Type);
        StringAssert.Contains(string.Join("\n", result.FullInteger!.FloatOperators), "int16 PRELU needs a constant alpha");
    }

    private static ModelGraph Quantize(ModelGraph model, Optimization scheme)
    {
        var bytes = ModelWriter.ToBytes(Optimizer.Optimize(model, OptimizationOptions.For(scheme), Samples.Seeded(model, 4)).Model);
        return ModelReader.Read(bytes, $"chain.{scheme}.tflite");
    }

    /// <summary>LiteRT and our runtime agree (100 % within one step), and both stay close to the float model.</summary>
    private void MatchesLiteRt(ModelGraph quantized, ModelGraph original)
    {
        using var temp = new TempFolder();
        var path = temp.File("quantized.tflite");
        var bytes = ModelWriter.ToBytes(quantized);
        File.WriteAllBytes(path, bytes);
        var floatPath = temp.File("float.tflite");
        ModelWriter.WriteFile(original, floatPath);
        var inputs = Samples.Seeded(original, 1, 1).Read().Single().Inputs;
        var expected = Oracle.Run(path, inputs);
        var reference = Oracle.Run(floatPath, inputs).Outputs[0].AsFloats();

        using var session = ModelSession.Load(bytes);
        inputs[0].CopyTo(session.GetInputBytes(0));
        session.Run();
        var agreement = OutputAgreement.Measure(quantized, session, expected).Single();
        var sqnr = Fidelity.SqnrDb(reference, MemoryMarshal.Cast<byte, float>(session.GetOutputBytes(0)));
        TestContext.WriteLine($"{agreement}; SQNR vs float {sqnr:F1} dB");
        Assert.IsTrue(agreement.Stepped);
        Assert.AreEqual(1.0, agreement.WithinOneStep, agreement.ToString());
        Assert.IsGreaterThanOrEqualTo(30, sqnr, "the quantized model stays close to the float one");
    }

    /// <summary>A minimal float32 graph builder for these chains.</summary>
    private sealed class Graph
    {
        private readonly Subgraph main = new() { Name = "main" };

        public Graph() => Model.Subgraphs.Add(main);

        public ModelGraph Model { get; } = new();

        public Tensor Input(int[] shape)
        {
            var t = main.AddTensor(new Tensor($"input_{main.Inputs.Count}", TensorType.FLOAT32, shape) { HasRank = true });
            main.Inputs.Add(t);
            return t;
        }

        public void Output(Tensor t) => main.Outputs.Add(t);

        public Tensor Constant(int[] shape, float[] values) =>
            main.AddTensor(new Tensor($"const_{main.Tensors.Count}", TensorType.FLOAT32, shape)
            {
                Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
                HasRank = true,
            });

        public Tensor Op(BuiltinOperator code, BuiltinOptionsUnion? options, Tensor[] inputs, int[] outputShape)
        {
            var output = main.AddTensor(new Tensor($"{code.ToString().ToLowerInvariant()}_{main.Operators.Count}", TensorType.FLOAT32, outputShape) { HasRank = true });
            var op = new Operator(new OperatorCode(code)) { Options = options };
            op.Inputs.AddRange(inputs);
            op.Outputs.Add(output);
            main.Operators.Add(op);
            return output;
        }
    }
}
