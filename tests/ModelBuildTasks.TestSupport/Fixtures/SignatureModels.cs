using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.TestSupport.Fixtures;

/// <summary>
/// A small float32 model with two subgraphs and a signature on each, whose results a test can compute by hand:
/// <list type="bullet">
/// <item>subgraph 0, signature "add": inputs "x", "y" [1,4] → output "sum" = x + y [1,4];</item>
/// <item>subgraph 1, signature "mul": input "value" [2,3] → outputs "scaled" = value · [2, -1, 0.5]
/// and "doubled" = scaled + scaled [2,3].</item>
/// </list>
/// Tensor names differ from the signature names ("add/x:0" is signature input "x"), so a test can tell them apart.
/// With <c>thirdKey</c> a third signature names subgraph 0's tensors "right", "left", "total" (inputs in the other
/// order), so two signatures share one subgraph.
/// </summary>
public static class SignatureModels
{
    /// <summary>The per-column factors of the "mul" subgraph.</summary>
    public static readonly float[] Factors = [2f, -1f, 0.5f];

    /// <summary>Builds the model (new tensors every call, so a test may change it).</summary>
    /// <param name="addKey">Key of subgraph 0's signature.</param>
    /// <param name="mulKey">Key of subgraph 1's signature.</param>
    /// <param name="thirdKey">Key of a second signature on subgraph 0, or null for none.</param>
    /// <returns>The model.</returns>
    public static ModelGraph TwoSubgraphs(string addKey = "add", string mulKey = "mul", string? thirdKey = null)
    {
        var model = new ModelGraph();

        var add = new Subgraph { Name = "add_graph" };
        var x = add.AddTensor(new Tensor("add/x:0", TensorType.FLOAT32, [1, 4]));
        var y = add.AddTensor(new Tensor("add/y:0", TensorType.FLOAT32, [1, 4]));
        var sum = add.AddTensor(new Tensor("add/sum", TensorType.FLOAT32, [1, 4]));
        add.Inputs.AddRange([x, y]);
        add.Outputs.Add(sum);
        add.Operators.Add(Op(BuiltinOperator.ADD, BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()), [x, y], sum));

        var mul = new Subgraph { Name = "mul_graph" };
        var value = mul.AddTensor(new Tensor("mul/value:0", TensorType.FLOAT32, [2, 3]));
        var factors = mul.AddTensor(new Tensor("mul/factors", TensorType.FLOAT32, [3])
        {
            Data = MemoryMarshal.AsBytes(Factors.AsSpan()).ToArray(),
        });
        var scaled = mul.AddTensor(new Tensor("mul/scaled", TensorType.FLOAT32, [2, 3]));
        var doubled = mul.AddTensor(new Tensor("mul/doubled", TensorType.FLOAT32, [2, 3]));
        mul.Inputs.Add(value);
        mul.Outputs.AddRange([scaled, doubled]);
        mul.Operators.Add(Op(BuiltinOperator.MUL, BuiltinOptionsUnion.FromMulOptions(new MulOptionsT()), [value, factors], scaled));
        mul.Operators.Add(Op(BuiltinOperator.ADD, BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()), [scaled, scaled], doubled));

        model.Subgraphs.AddRange([add, mul]);

        var addSignature = new SignatureDef(addKey, add);
        addSignature.Inputs.AddRange([new SignatureTensor("x", x), new SignatureTensor("y", y)]);
        addSignature.Outputs.Add(new SignatureTensor("sum", sum));
        model.Signatures.Add(addSignature);

        var mulSignature = new SignatureDef(mulKey, mul);
        mulSignature.Inputs.Add(new SignatureTensor("value", value));
        mulSignature.Outputs.AddRange([new SignatureTensor("scaled", scaled), new SignatureTensor("doubled", doubled)]);
        model.Signatures.Add(mulSignature);

        if (thirdKey is not null)
        {
            var third = new SignatureDef(thirdKey, add);
            third.Inputs.AddRange([new SignatureTensor("right", y), new SignatureTensor("left", x)]);
            third.Outputs.Add(new SignatureTensor("total", sum));
            model.Signatures.Add(third);
        }

        return model;
    }

    private static Operator Op(BuiltinOperator code, BuiltinOptionsUnion options, Tensor[] inputs, Tensor output)
    {
        var op = new Operator(new OperatorCode(code)) { Options = options };
        op.Inputs.AddRange(inputs);
        op.Outputs.Add(output);
        return op;
    }
}
