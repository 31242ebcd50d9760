using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Quantization;

namespace ModelBuildTasks.Optimization.DynamicRange;

/// <summary>
/// Dynamic-range quantization of a float32 model: weight operands with at least the threshold's elements become int8
/// symmetric (per channel; fully-connected per channel or per tensor by option). CONV_2D and FULLY_CONNECTED read
/// them directly (hybrid kernels quantize their inputs on the fly, asymmetrically); every other reader gets a
/// DEQUANTIZE. Smaller constants (biases, small layers) stay float32, as the converter leaves them.
/// </summary>
internal static class DynamicRangePass
{
    public const string Name = "dynamic";

    public static void Run(ModelGraph model, OptimizationOptions options, Func<Operator, bool> keepFloat,
        List<OptimizationChange> changes, CancellationToken cancellationToken, Clustering.ClusteredWeights? clustered = null)
    {
        foreach (var subgraph in model.Subgraphs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var editor = new SubgraphEditor(model, subgraph);
            foreach (var tensor in subgraph.Tensors.ToList())
            {
                if (tensor is { Type: TensorType.FLOAT32, IsConstant: true, Sparsity: null } &&
                    !editor.IsProtected(tensor) && tensor.ElementCount >= options.DynamicRangeMinElements &&
                    editor.ConsumersOf(tensor) is { Count: > 0 } readers && !readers.Any(keepFloat))
                {
                    Quantize(editor, tensor, readers, options, changes, clustered);
                }
            }
            editor.Commit();
            foreach (var op in subgraph.Operators)
            {
                OperatorVersions.Update(op);
            }
        }
    }

    private static void Quantize(SubgraphEditor editor, Tensor tensor, IReadOnlyList<Operator> readers,
        OptimizationOptions options, List<OptimizationChange> changes, Clustering.ClusteredWeights? clustered)
    {
        int? axis = null;
        var perTensor = false;
        foreach (var op in readers)
        {
            for (var i = 0; i < op.Inputs.Count && axis is null; i++)
            {
                if (ReferenceEquals(op.Inputs[i], tensor) && WeightOperands.WeightAxis(op, i) is { } a &&
                    a < tensor.Shape.Length)
                {
                    axis = a;
                    perTensor = op.Code.Builtin == BuiltinOperator.FULLY_CONNECTED && !options.DynamicRangePerChannelFullyConnected;
                }
            }
        }
        if (axis is null)
        {
            return; // not a weight operand: activations-like constants stay float
        }
        var q = clustered?.Quantize(tensor, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Data.Span), perTensor, axis.Value) ??
            (perTensor
                ? SymmetricQuantizer.PerTensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Data.Span))
                : SymmetricQuantizer.PerChannel(tensor.Data.Span, tensor.Shape, axis.Value));
        var before = tensor.Data.Length;
        tensor.Type = TensorType.INT8;
        tensor.Data = System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.Values.AsSpan()).ToArray();
        // A channel of zeros has scale 0, which runtimes may reject as invalid; any positive scale represents it.
        var scales = Array.ConvertAll(q.Scales, s => s > 0 ? s : 1f);
        tensor.Quantization = TensorQuantization.PerAxis(scales, new long[scales.Length], scales.Length > 1 ? q.Axis : 0);

        var needsDequantize = new List<Operator>();
        foreach (var op in readers)
        {
            for (var i = 0; i < op.Inputs.Count; i++)
            {
                if (!ReferenceEquals(op.Inputs[i], tensor))
                {
                    continue;
                }
                if ((options.DynamicRangeHybridOps && WeightOperands.HasHybridKernel(op, i)))
                {
                    MakeHybrid(op);
                }
                else if (!needsDequantize.Contains(op))
                {
                    needsDequantize.Add(op);
                }
            }
        }
        if (needsDequantize.Count == 0)
        {
            changes.Add(new OptimizationChange(Name, tensor.Name, "float32 -> int8 (hybrid)", before, tensor.Data.Length));
            return;
        }
        var dequantized = new Tensor(editor.UniqueName(tensor.Name + "_dequantize"), TensorType.FLOAT32, [.. tensor.Shape])
        {
            HasRank = tensor.HasRank,
        };
        editor.AddTensorAfter(tensor, dequantized);
        editor.ReplaceUses(tensor, dequantized, (op, i) => !(options.DynamicRangeHybridOps && WeightOperands.HasHybridKernel(op, i)));
        editor.InsertOperatorBefore(editor.First(needsDequantize), SubgraphEditor.Dequantize(tensor, dequantized));
        changes.Add(new OptimizationChange(Name, tensor.Name,
            needsDequantize.Count == readers.Count ? "float32 -> int8 + DEQUANTIZE" : "float32 -> int8 (hybrid) + DEQUANTIZE",
            before, tensor.Data.Length));
    }

    /// <summary>Hybrid fully-connected ops quantize their input asymmetrically (the converter's current choice).</summary>
    private static void MakeHybrid(Operator op)
    {
        if (op.Code.Builtin == BuiltinOperator.FULLY_CONNECTED && op.OptionsAs<FullyConnectedOptionsT>() is { } fc && !fc.AsymmetricQuantizeInputs)
        {
            op.Options = BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT
            {
                FusedActivationFunction = fc.FusedActivationFunction,
                WeightsFormat = fc.WeightsFormat,
                KeepNumDims = fc.KeepNumDims,
                AsymmetricQuantizeInputs = true,
                QuantizedBiasType = fc.QuantizedBiasType,
            });
        }
    }
}
