using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;

namespace ModelBuildTasks.Optimization.Tests.Evaluation;

/// <summary>
/// Integer tensors are compared through their scale and zero point. The models use only type-agnostic kernels
/// (RESHAPE) and DEQUANTIZE, so the test does not depend on the runtime's integer kernels.
/// </summary>
[TestClass]
public sealed class QuantizedTensorTests
{
    [TestMethod]
    public void Int8_inputs_and_layers_are_quantized_and_dequantized_with_their_parameters()
    {
        var quantization = TensorQuantization.PerTensor(0.5f, 1);
        var reference = Model(null);
        var candidate = Model(quantization);
        float[] x = [1.0f, 2.2f, -3.1f, 0.4f];
        var data = new InMemorySampleSource([new Sample("x", [MemoryMarshal.AsBytes(x.AsSpan()).ToArray()])]);

        var report = Evaluator.Evaluate(reference, candidate, data);

        // q = round(x / 0.5) + 1 = {3, 5, -5, 2}; dequantized 0.5·(q − 1) = {1.0, 2.0, −3.0, 0.5}.
        float[] expected = [1.0f, 2.0f, -3.0f, 0.5f];
        double noise = 0, signal = 0, maxAbs = 0, dot = 0, cc = 0;
        for (var i = 0; i < 4; i++)
        {
            noise += Math.Pow(x[i] - expected[i], 2);
            signal += (double)x[i] * x[i];
            maxAbs = Math.Max(maxAbs, Math.Abs(x[i] - expected[i]));
            dot += (double)x[i] * expected[i];
            cc += (double)expected[i] * expected[i];
        }
        var layer = report.Layers.Single();
        Assert.AreEqual("reshaped", layer.Name);
        Assert.AreEqual("RESHAPE", layer.OpType);
        Assert.AreEqual(noise / 4, layer.Mse, 1e-7);
        Assert.AreEqual(maxAbs, layer.MaxAbsError, 1e-6);
        Assert.AreEqual(10 * Math.Log10(signal / noise), layer.SqnrDb, 1e-4);
        Assert.AreEqual(dot / Math.Sqrt(signal * cc), layer.Cosine, 1e-7);
        Assert.AreEqual(layer.Mse, report.Outputs.Single().Mse, 1e-12, "the float output carries the same error");
        Assert.IsTrue(report.Outputs[0].Top1Agreement is 1.0, "the largest value stays at position 1");
    }

    // x float32[1,4] → RESHAPE "reshaped" → (DEQUANTIZE when quantized) → ADD zeros → "y".
    // Quantized: x and "reshaped" are int8 with the given parameters.
    private static ModelGraph Model(TensorQuantization? quantization)
    {
        var model = new ModelGraph();
        var main = new Subgraph { Name = "main" };
        model.Subgraphs.Add(main);
        var type = quantization is null ? TensorType.FLOAT32 : TensorType.INT8;
        var x = main.AddTensor(new Tensor("x", type, [1, 4]) { Quantization = quantization });
        var shape = main.AddTensor(new Tensor("shape", TensorType.INT32, [2]) { Data = MemoryMarshal.AsBytes(new[] { 1, 4 }.AsSpan()).ToArray() });
        var reshaped = main.AddTensor(new Tensor("reshaped", type, [1, 4]) { Quantization = quantization });
        var reshape = new Operator(new OperatorCode(BuiltinOperator.RESHAPE))
        {
            Options = BuiltinOptionsUnion.FromReshapeOptions(new ReshapeOptionsT { NewShape = [1, 4] }),
        };
        reshape.Inputs.AddRange([x, shape]);
        reshape.Outputs.Add(reshaped);
        main.Operators.Add(reshape);
        var real = reshaped;
        if (quantization is not null)
        {
            real = main.AddTensor(new Tensor("dequantized", TensorType.FLOAT32, [1, 4]));
            var dequantize = new Operator(new OperatorCode(BuiltinOperator.DEQUANTIZE));
            dequantize.Inputs.Add(reshaped);
            dequantize.Outputs.Add(real);
            main.Operators.Add(dequantize);
        }
        var zeros = main.AddTensor(new Tensor("zeros", TensorType.FLOAT32, [1, 4]) { Data = new byte[16] });
        var y = main.AddTensor(new Tensor("y", TensorType.FLOAT32, [1, 4]));
        var add = new Operator(new OperatorCode(BuiltinOperator.ADD)) { Options = BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()) };
        add.Inputs.AddRange([real, zeros]);
        add.Outputs.Add(y);
        main.Operators.Add(add);
        main.Inputs.Add(x);
        main.Outputs.Add(y);
        return model;
    }
}
