using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Quantization;
using ModelBuildTasks.Optimization.Sparsity;

namespace ModelBuildTasks.Optimization.Float32Weights;

/// <summary>
/// Dequantizes weights to float32: a constant read through DEQUANTIZE (float16, or int8/int16 weight-only) becomes a
/// float32 constant and the DEQUANTIZE disappears; hybrid ops' int8 weights become float32. Sparse float16 weights
/// (sparse constant → DENSIFY → DEQUANTIZE) become sparse float32 read by DENSIFY, or dense float32 when asked.
/// Exact for float16. The float32 tensor keeps the name the consumers read, so a later float16 pass gives the
/// original structure back.
/// </summary>
internal static class Float32Pass
{
    public const string Name = "float32";

    public static void Run(ModelGraph model, bool densifySparse, List<OptimizationChange> changes, CancellationToken cancellationToken)
    {
        foreach (var subgraph in model.Subgraphs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RunSubgraph(model, subgraph, densifySparse, changes);
        }
    }

    private static void RunSubgraph(ModelGraph model, Subgraph subgraph, bool densifySparse, List<OptimizationChange> changes)
    {
        var editor = new SubgraphEditor(model, subgraph);
        var converted = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var op in subgraph.Operators)
        {
            if (op.Code.Builtin == BuiltinOperator.DEQUANTIZE && !op.Code.IsCustom)
            {
                RemoveDequantize(editor, op, densifySparse, changes);
            }
            else if (densifySparse && op.Code.Builtin == BuiltinOperator.DENSIFY &&
                     op.Inputs is [{ IsConstant: true, Sparsity: not null } sparse] && op.Outputs is [{ } expanded] &&
                     !editor.IsProtected(expanded) && expanded.Type == sparse.Type && editor.StillReads(op, sparse))
            {
                // A sparse constant (already float32, or read without DEQUANTIZE) becomes a dense constant.
                expanded.Data = SparseDecoder.Densify(sparse);
                editor.RemoveOperator(op);
                changes.Add(new OptimizationChange(Name, expanded.Name, "sparse + DENSIFY -> dense", sparse.Data.Length, expanded.Data.Length));
            }
            else if (IsHybrid(op))
            {
                for (var i = 1; i < op.Inputs.Count; i++)
                {
                    if (op.Inputs[i] is { IsConstant: true, Type: TensorType.INT8 } w && Dequantizer.CanConvert(w) && converted.Add(w))
                    {
                        var dense = w.Sparsity is null ? w.Data.ToArray() : SparseDecoder.Densify(w);
                        var before = w.Data.Length;
                        w.Data = Dequantizer.ToFloat32(w, dense);
                        w.Type = TensorType.FLOAT32;
                        w.Quantization = null;
                        w.Sparsity = null;
                        changes.Add(new OptimizationChange(Name, w.Name, "int8 (hybrid) -> float32", before, w.Data.Length));
                    }
                }
                OperatorVersions.Reset(op);
            }
        }
        editor.Commit();
    }

    /// <summary>Float activations in and out with integer weights: a hybrid (dynamic-range) op.</summary>
    private static bool IsHybrid(Operator op) =>
        !op.Code.IsCustom && op.Inputs is [{ Type: TensorType.FLOAT32 }, ..] && op.Outputs is [{ Type: TensorType.FLOAT32 }, ..] &&
        op.Inputs.Skip(1).Any(t => t is { IsConstant: true, Type: TensorType.INT8 });

    private static void RemoveDequantize(SubgraphEditor editor, Operator op, bool densifySparse, List<OptimizationChange> changes)
    {
        if (op.Inputs is not [{ } input] || op.Outputs is not [{ Type: TensorType.FLOAT32 } output] || editor.IsProtected(output))
        {
            return;
        }
        if (input.IsConstant && input.Sparsity is null && Dequantizer.CanConvert(input))
        {
            output.Data = Dequantizer.ToFloat32(input, input.Data.Span);
            editor.RemoveOperator(op);
            changes.Add(new OptimizationChange(Name, output.Name, $"{TensorTypes.Name(input.Type)} + DEQUANTIZE -> float32",
                input.Data.Length, output.Data.Length));
            return;
        }
        // sparse constant -> DENSIFY -> DEQUANTIZE
        if (editor.ProducerOf(input) is not { Code.Builtin: BuiltinOperator.DENSIFY } densify ||
            densify.Inputs is not [{ IsConstant: true, Sparsity: not null } sparse] ||
            editor.ConsumersOf(input).Count != 1 || editor.IsProtected(input) || !Dequantizer.CanConvert(sparse))
        {
            return;
        }
        if (densifySparse || sparse.Type != TensorType.FLOAT16)
        {
            output.Data = Dequantizer.ToFloat32(sparse, SparseDecoder.Densify(sparse));
            editor.RemoveOperator(densify);
            editor.RemoveOperator(op);
            changes.Add(new OptimizationChange(Name, output.Name, "sparse float16 + DENSIFY + DEQUANTIZE -> float32",
                sparse.Data.Length, output.Data.Length));
            return;
        }
        var sparse32 = ModelCloner.CloneTensor(sparse);
        sparse32.Type = TensorType.FLOAT32;
        sparse32.Data = Float16.ToFloat32(sparse.Data.Span);
        sparse32.Quantization = null;
        editor.AddTensorBefore(sparse, sparse32);
        densify.Inputs[0] = sparse32;
        densify.Outputs[0] = output;
        editor.MaybeOrphaned(sparse);
        editor.MaybeOrphaned(input);
        editor.RemoveOperator(op);
        OperatorVersions.Reset(densify);
        changes.Add(new OptimizationChange(Name, sparse.Name, "sparse float16 + DENSIFY + DEQUANTIZE -> sparse float32 + DENSIFY",
            sparse.Data.Length, sparse32.Data.Length));
    }
}
