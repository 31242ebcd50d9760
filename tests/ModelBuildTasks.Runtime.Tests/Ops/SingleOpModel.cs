using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Ops;

/// <summary>
/// A tiny model of one operator built with the IR: variable inputs (filled by the oracle's seeded generator),
/// constants (weights, axes, shapes) and declared outputs. <see cref="AssertMatchesOracle"/> writes it, runs it
/// in LiteRT and in our runtime on the same inputs and compares every output.
/// </summary>
internal sealed class SingleOpModel
{
    private readonly ModelGraph model = new();
    private readonly Subgraph main = new() { Name = "main" };
    private int constants;

    public SingleOpModel()
    {
        model.Subgraphs.Add(main);
    }

    public ModelGraph Graph => model;

    public Tensor Input(int[] shape, TensorType type = TensorType.FLOAT32)
    {
        var t = main.AddTensor(new Tensor($"in{main.Inputs.Count}", type, shape));
        main.Inputs.Add(t);
        return t;
    }

    public Tensor Output(int[] shape, TensorType type = TensorType.FLOAT32)
    {
        var t = main.AddTensor(new Tensor($"out{main.Outputs.Count}", type, shape));
        main.Outputs.Add(t);
        return t;
    }

    /// <summary>A tensor between two operators (not a model output).</summary>
    public Tensor Intermediate(int[] shape, TensorType type = TensorType.FLOAT32) =>
        main.AddTensor(new Tensor($"t{main.Tensors.Count}", type, shape));

    /// <summary>A float32 constant with deterministic pseudo-random values in [-1, 1).</summary>
    public Tensor Weights(int[] shape, int seed = 99)
    {
        var n = (int)TensorTypes.ElementCount(shape);
        var values = SeededInputs.Floats(seed, n, -1, 1);
        return Const(shape, values);
    }

    public Tensor Const(int[] shape, float[] values) =>
        main.AddTensor(new Tensor($"c{constants++}", TensorType.FLOAT32, shape) { Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() });

    public Tensor Ints(params int[] values) => Ints([values.Length], values);

    public Tensor Ints(int[] shape, int[] values) =>
        main.AddTensor(new Tensor($"c{constants++}", TensorType.INT32, shape) { Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() });

    public Tensor Raw(int[] shape, TensorType type, byte[] data, TensorQuantization? quantization = null) =>
        main.AddTensor(new Tensor($"c{constants++}", type, shape) { Data = data, Quantization = quantization });

    public Operator Op(BuiltinOperator code, BuiltinOptionsUnion? options, Tensor?[] inputs, params Tensor[] outputs) =>
        Op(new OperatorCode(code), options, inputs, outputs);

    public Operator Op(OperatorCode code, BuiltinOptionsUnion? options, Tensor?[] inputs, params Tensor[] outputs)
    {
        var op = new Operator(code) { Options = options };
        op.Inputs.AddRange(inputs);
        op.Outputs.AddRange(outputs);
        main.Operators.Add(op);
        return op;
    }

    /// <summary>Runs the model in LiteRT and in our runtime on seeded inputs in [lo, hi) and compares all outputs.</summary>
    public void AssertMatchesOracle(double lo = -2, double hi = 2, int seed = 1)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mbt-op-{Guid.NewGuid():N}.tflite");
        try
        {
            ModelWriter.WriteFile(model, path);
            var expected = Oracle.RunSeeded(path, seed, lo, hi);
            using var session = ModelSession.Load(path);
            for (var i = 0; i < expected.Inputs.Count; i++)
            {
                expected.Inputs[i].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            Assert.HasCount(expected.Outputs.Count, session.Outputs);
            for (var i = 0; i < expected.Outputs.Count; i++)
            {
                var want = expected.Outputs[i];
                CollectionAssert.AreEqual(want.Shape, session.Outputs[i].Shape.ToArray(), $"shape of output {i}");
                if (want.DType == "float32")
                {
                    var error = OutputError.Measure(session.GetOutput<float>(i), want.AsFloats());
                    // Single small ops have no long sums: hold them to the per-element bar.
                    Assert.IsLessThanOrEqualTo(1e-4, error.ElementError, $"output {i}: {error}");
                }
                else
                {
                    CollectionAssert.AreEqual(want.Data, session.GetOutputBytes(i).ToArray(), $"output {i} ({want.DType})");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
