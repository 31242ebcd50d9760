using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Quantization;

namespace ModelBuildTasks.Optimization.Float16Weights;

/// <summary>
/// Float16 weights: every float32 constant becomes a float16 constant read through a DEQUANTIZE op inserted before
/// its first reader (ties to even rounding, as the converter does). The float32 tensor keeps its name and becomes the
/// DEQUANTIZE output, so readers are unchanged; the float16 constant is named without a trailing
/// <c>_dequantize</c> (the converter's naming). Sparse float32 constants stay sparse: DENSIFY yields float16 and a
/// DEQUANTIZE follows. Constants already float16 are left alone, so the pass is idempotent.
/// </summary>
internal static class Float16Pass
{
    public const string Name = "float16";
    private const string DequantizeSuffix = "_dequantize";

    public static void Run(ModelGraph model, List<OptimizationChange> changes, Func<Operator, bool>? keepFloat32, CancellationToken cancellationToken)
    {
        foreach (var subgraph in model.Subgraphs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var editor = new SubgraphEditor(model, subgraph);
            foreach (var tensor in subgraph.Tensors.ToList())
            {
                if (tensor is not { Type: TensorType.FLOAT32, IsConstant: true } || editor.IsProtected(tensor) ||
                    editor.ConsumersOf(tensor) is not { Count: > 0 } readers ||
                    (keepFloat32 is not null && readers.Any(keepFloat32)))
                {
                    continue;
                }
                if (tensor.Sparsity is null)
                {
                    Convert(editor, tensor, readers, changes);
                }
                else if (readers is [{ Code.Builtin: BuiltinOperator.DENSIFY, Outputs: [{ Type: TensorType.FLOAT32 } dense] } densify] &&
                         !editor.IsProtected(dense))
                {
                    ConvertSparse(editor, tensor, densify, dense, changes);
                }
            }
            editor.Commit();
        }
    }

    private static void Convert(SubgraphEditor editor, Tensor tensor, IReadOnlyList<Operator> readers, List<OptimizationChange> changes)
    {
        var name = tensor.Name.EndsWith(DequantizeSuffix, StringComparison.Ordinal)
            ? tensor.Name[..^DequantizeSuffix.Length]
            : tensor.Name + "_fp16";
        var half = new Tensor(editor.UniqueName(name), TensorType.FLOAT16, [.. tensor.Shape])
        {
            ShapeSignature = tensor.ShapeSignature is null ? null : [.. tensor.ShapeSignature],
            Data = Float16.FromFloat32(tensor.Data.Span),
            HasRank = tensor.HasRank,
        };
        var before = tensor.Data.Length;
        editor.AddTensorBefore(tensor, half);
        tensor.Data = default;
        editor.InsertOperatorBefore(editor.First(readers), SubgraphEditor.Dequantize(half, tensor));
        changes.Add(new OptimizationChange(Name, tensor.Name, "float32 -> float16 + DEQUANTIZE", before, half.Data.Length));
    }

    private static void ConvertSparse(SubgraphEditor editor, Tensor tensor, Operator densify, Tensor dense, List<OptimizationChange> changes)
    {
        var sparse16 = ModelCloner.CloneTensor(tensor);
        sparse16.Type = TensorType.FLOAT16;
        sparse16.Data = Float16.FromFloat32(tensor.Data.Span);
        var dense16 = new Tensor(editor.UniqueName(dense.Name + "_fp16"), TensorType.FLOAT16, [.. dense.Shape])
        {
            ShapeSignature = dense.ShapeSignature is null ? null : [.. dense.ShapeSignature],
            HasRank = dense.HasRank,
        };
        editor.AddTensorBefore(tensor, sparse16);
        editor.AddTensorBefore(dense, dense16);
        editor.MaybeOrphaned(tensor);
        densify.Inputs[0] = sparse16;
        densify.Outputs[0] = dense16;
        OperatorVersions.Update(densify);
        var readers = editor.ConsumersOf(dense);
        var at = readers.Count > 0 ? editor.First(readers) : null;
        var dequantize = SubgraphEditor.Dequantize(dense16, dense);
        if (at is null)
        {
            editor.InsertOperatorAfter(densify, dequantize);
        }
        else
        {
            editor.InsertOperatorBefore(at, dequantize);
        }
        changes.Add(new OptimizationChange(Name, tensor.Name, "sparse float32 -> sparse float16 + DENSIFY + DEQUANTIZE",
            tensor.Data.Length, sparse16.Data.Length));
    }
}
