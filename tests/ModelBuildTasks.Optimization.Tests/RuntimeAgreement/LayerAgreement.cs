using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.RuntimeAgreement;

/// <summary>One operator of a quantized model run alone by our runtime on LiteRT's own inputs to it.</summary>
internal sealed record LayerResult(int Index, Operator Operator, Tensor Output, OutputAgreement Agreement)
{
    /// <summary>An integer output (compared in quantization steps) rather than a float one.</summary>
    public bool IsInteger => Agreement.Stepped;

    /// <summary>Every element equal to LiteRT's.</summary>
    public bool Exact => Agreement.Exact;

    public override string ToString() => $"#{Index} {Operator}: {(Exact ? "bit-exact" : "not bit-exact")}, {Agreement}";
}

/// <summary>
/// Per-layer bisection: LiteRT runs the model with every intermediate tensor made an output; then each operator
/// runs alone in our runtime on exactly the inputs LiteRT gave it, and its output is compared with LiteRT's.
/// This separates a kernel that computes differently from errors that only compound from earlier layers.
/// </summary>
internal static class LayerAgreement
{
    public static List<LayerResult> Measure(byte[] modelBytes, IReadOnlyList<byte[]> inputs)
    {
        var model = ModelReader.Read(modelBytes);
        var main = model.Main;
        var values = LiteRtValues(model, inputs);

        var results = new List<LayerResult>();
        for (var index = 0; index < main.Operators.Count; index++)
        {
            var op = main.Operators[index];
            var single = SingleOperatorModel(op);
            using var session = ModelSession.Load(single);
            for (var i = 0; i < single.Main.Inputs.Count; i++)
            {
                values[single.Main.Inputs[i]].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            for (var o = 0; o < single.Main.Outputs.Count; o++)
            {
                var output = single.Main.Outputs[o];
                if (op.Code.Builtin == BuiltinOperator.DEQUANTIZE && op.Inputs[0] is { IsConstant: true })
                {
                    // Dequantized weights: LiteRT folds them at load and does not expose their values as outputs,
                    // and consumers' kernels need them constant, so they become constants holding our (exact,
                    // q × scale) values; this model is a private copy.
                    output.Data = session.GetOutputBytes(o).ToArray();
                    continue;
                }
                results.Add(new LayerResult(index, op, output, Compare(output, session.GetOutputBytes(o), values[output])));
            }
        }
        return results;
    }

    /// <summary>
    /// Every activation tensor's value as LiteRT computes it: the model (a private copy, changed here) runs once with
    /// every operator output made a model output. Keys are the model's own tensors, model inputs included.
    /// </summary>
    public static Dictionary<Tensor, byte[]> LiteRtValues(ModelGraph model, IReadOnlyList<byte[]> inputs)
    {
        var main = model.Main;
        var modelInputs = main.Inputs.ToList();
        model.Signatures.Clear();
        main.Outputs.Clear();
        foreach (var op in main.Operators)
        {
            foreach (var t in op.Outputs)
            {
                if (t is not null && !main.Outputs.Contains(t))
                {
                    main.Outputs.Add(t);
                }
            }
        }

        using var temp = new TempFolder();
        var path = temp.File("all-outputs.tflite");
        ModelWriter.WriteFile(model, path);
        var oracle = Oracle.Run(path, inputs);
        var values = new Dictionary<Tensor, byte[]>();
        for (var i = 0; i < modelInputs.Count; i++)
        {
            values[modelInputs[i]] = inputs[i];
        }
        for (var o = 0; o < main.Outputs.Count; o++)
        {
            values[main.Outputs[o]] = oracle.Outputs[o].Data;
        }
        return values;
    }

    private static ModelGraph SingleOperatorModel(Operator op)
    {
        var graph = new ModelGraph();
        var subgraph = new Subgraph { Name = "main" };
        graph.Subgraphs.Add(subgraph);
        foreach (var t in op.Inputs.Concat(op.Outputs))
        {
            if (t is not null && !subgraph.Tensors.Contains(t))
            {
                subgraph.Tensors.Add(t);
                if (op.Outputs.Contains(t))
                {
                    subgraph.Outputs.Add(t);
                }
                else if (!t.IsConstant)
                {
                    subgraph.Inputs.Add(t);
                }
            }
        }
        subgraph.Operators.Add(op);
        return graph;
    }

    private static OutputAgreement Compare(Tensor tensor, ReadOnlySpan<byte> actual, byte[] expected)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{tensor}: sizes differ");
        return tensor.Type switch
        {
            TensorType.FLOAT32 => OutputAgreement.CompareFloats(tensor.Name, MemoryMarshal.Cast<byte, float>(actual), MemoryMarshal.Cast<byte, float>(expected)),
            TensorType.INT8 => OutputAgreement.CompareSteps(tensor.Name, OutputAgreement.Widen(MemoryMarshal.Cast<byte, sbyte>(actual)), OutputAgreement.Widen(MemoryMarshal.Cast<byte, sbyte>(expected)), 1),
            TensorType.UINT8 => OutputAgreement.CompareSteps(tensor.Name, OutputAgreement.Widen(actual), OutputAgreement.Widen(expected), 1),
            TensorType.INT16 => OutputAgreement.CompareSteps(tensor.Name, OutputAgreement.Widen(MemoryMarshal.Cast<byte, short>(actual)), OutputAgreement.Widen(MemoryMarshal.Cast<byte, short>(expected)), 1),
            _ => OutputAgreement.CompareSteps(tensor.Name, [], [], 1), // int32/int64 index tensors: not compared
        };
    }
}
