using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Sparsity;

namespace ModelBuildTasks.Optimization.Pruning;

/// <summary>
/// A constant that feeds the weight input of convolution-like operators, directly or through DEQUANTIZE (float16 or
/// int8 storage) and/or DENSIFY (sparse storage). Pruning and clustering rewrite <see cref="Constant"/>'s data.
/// </summary>
internal sealed class WeightTensor
{
    public WeightTensor(Subgraph subgraph, Tensor constant, Operator firstUse)
    {
        Subgraph = subgraph;
        Constant = constant;
        OpType = firstUse.Code.DisplayName;
        var rank = constant.Shape.Length;
        // TFLite layouts: CONV_2D/TRANSPOSE_CONV [O,H,W,I], FULLY_CONNECTED [O,I], DEPTHWISE_CONV_2D [1,H,W,C].
        OutputAxis = firstUse.Code.Builtin == BuiltinOperator.DEPTHWISE_CONV_2D ? rank - 1 : 0;
        InputAxis = rank - 1;
    }

    public Subgraph Subgraph { get; }

    /// <summary>The constant holding the weights (dense unless <see cref="IsSparse"/>).</summary>
    public Tensor Constant { get; }

    /// <summary>The operator type of the first reader, for rules and reports.</summary>
    public string OpType { get; }

    /// <summary>Output-channel axis (the one per-channel quantization and clustering run along).</summary>
    public int OutputAxis { get; }

    /// <summary>Input-channel axis (the last one; for depthwise weights the channel axis).</summary>
    public int InputAxis { get; }

    /// <summary>True when the constant is stored sparse and read through DENSIFY.</summary>
    public bool IsSparse => Constant.Sparsity is not null;

    /// <summary>Name used in rules and reports: the constant's name.</summary>
    public string Name => Constant.Name;

    public long ElementCount => Constant.ElementCount;

    public override string ToString() => $"{OpType} weights {Constant}";
}

/// <summary>
/// Finds the weight constants of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV and MediaPipe's
/// Convolution2DTransposeBias (input 1 of each; biases are never reached). A constant qualifies only when everything
/// that reads it (and the DEQUANTIZE/DENSIFY outputs between it and the operators) is such a weight input, so
/// rewriting it cannot change any other computation. Supported storage: float32, float16 and int8.
/// </summary>
internal static class WeightLocator
{
    private const string MediaPipeTransposeConv = "Convolution2DTransposeBias";

    /// <summary>The weights of every subgraph in operator order (sparse ones as they are).</summary>
    public static List<WeightTensor> Find(ModelGraph model)
    {
        var result = new List<WeightTensor>();
        foreach (var subgraph in model.Subgraphs)
        {
            result.AddRange(Find(model, subgraph));
        }
        return result;
    }

    /// <summary>
    /// Makes a sparse weight dense in place so its values can be rewritten: decodes its data and removes the DENSIFY
    /// operators that read it (their readers now read the constant). The model must be a copy the caller owns.
    /// </summary>
    public static void Densify(ModelGraph model, WeightTensor weight)
    {
        var root = weight.Constant;
        if (root.Sparsity is null)
        {
            return;
        }
        try
        {
            root.Data = SparseTensorCodec.Decode(root.Data.Span, TensorTypes.ElementSize(root.Type), root.Shape, root.Sparsity);
        }
        catch (OptimizationException e)
        {
            throw new OptimizationException(e.Code, $"tensor {root}: {e.Detail}");
        }
        root.Sparsity = null;
        var editor = new SubgraphEditor(model, weight.Subgraph);
        foreach (var op in editor.ConsumersOf(root))
        {
            if (op.Code.Builtin == BuiltinOperator.DENSIFY && op.Outputs.Count == 1 && op.Outputs[0] is { } densified)
            {
                editor.ReplaceUses(densified, root);
                editor.RemoveOperator(op);
            }
        }
        editor.Commit();
    }

    private static List<WeightTensor> Find(ModelGraph model, Subgraph subgraph)
    {
        var editor = new SubgraphEditor(model, subgraph);
        var uses = new Dictionary<Tensor, (Operator First, List<Tensor> Chain, HashSet<(Operator, int)> Slots)>(ReferenceEqualityComparer.Instance);
        var order = new List<Tensor>();
        foreach (var op in subgraph.Operators)
        {
            if (!IsWeightReader(op) || op.Inputs.Count < 2 || op.Inputs[1] is not { } input)
            {
                continue;
            }
            var chain = Trace(editor, input);
            if (chain is null)
            {
                continue;
            }
            var root = chain[^1];
            if (!uses.TryGetValue(root, out var entry))
            {
                entry = (op, [], new HashSet<(Operator, int)>());
                uses[root] = entry;
                order.Add(root);
            }
            foreach (var t in chain)
            {
                if (!entry.Chain.Contains(t))
                {
                    entry.Chain.Add(t);
                }
            }
            entry.Slots.Add((op, 1));
        }

        var found = new List<WeightTensor>();
        foreach (var root in order)
        {
            var (first, chain, slots) = uses[root];
            if (OnlyWeightUses(editor, chain, slots))
            {
                found.Add(new WeightTensor(subgraph, root, first));
            }
        }
        return found;
    }

    private static bool IsWeightReader(Operator op) => op.Code.Builtin switch
    {
        BuiltinOperator.CONV_2D or BuiltinOperator.DEPTHWISE_CONV_2D or BuiltinOperator.FULLY_CONNECTED
            or BuiltinOperator.TRANSPOSE_CONV => true,
        BuiltinOperator.CUSTOM => op.Code.CustomCode == MediaPipeTransposeConv,
        _ => false,
    };

    /// <summary>The tensors from the operator's input back to its constant (last), or null when it is not a constant weight.</summary>
    private static List<Tensor>? Trace(SubgraphEditor editor, Tensor input)
    {
        var chain = new List<Tensor> { input };
        var t = input;
        for (var step = 0; step < 3; step++)
        {
            if (t.IsConstant)
            {
                var sparseOk = t.Sparsity is null || chain.Count > 1 && editor.ProducerOf(chain[^2]) is { Code.Builtin: BuiltinOperator.DENSIFY };
                return sparseOk && IsSupported(t) ? chain : null;
            }
            if (editor.ProducerOf(t) is not { } producer || producer.Inputs.Count != 1 || producer.Inputs[0] is not { } source)
            {
                return null;
            }
            var ok = producer.Code.Builtin switch
            {
                BuiltinOperator.DEQUANTIZE => source.Sparsity is null || source.IsConstant == false,
                BuiltinOperator.DENSIFY => source.IsConstant && source.Sparsity is not null,
                _ => false,
            };
            if (!ok)
            {
                return null;
            }
            chain.Add(source);
            t = source;
        }
        return null;
    }

    private static bool IsSupported(Tensor t) =>
        t.Type is TensorType.FLOAT32 or TensorType.FLOAT16 ||
        t.Type == TensorType.INT8 && t.Quantization is { Scale.Length: > 0 } q && q.ZeroPoint.Length == q.Scale.Length &&
        (q.Scale.Length == 1 || q.QuantizedDimension >= 0 && q.QuantizedDimension < t.Shape.Length && t.Shape[q.QuantizedDimension] == q.Scale.Length);

    /// <summary>True when every reader of the chain's tensors is the next link of the chain or a weight slot.</summary>
    private static bool OnlyWeightUses(SubgraphEditor editor, List<Tensor> chain, HashSet<(Operator, int)> slots)
    {
        foreach (var t in chain)
        {
            if (editor.IsProtected(t))
            {
                return false;
            }
            foreach (var reader in editor.ConsumersOf(t))
            {
                for (var i = 0; i < reader.Inputs.Count; i++)
                {
                    if (!ReferenceEquals(reader.Inputs[i], t))
                    {
                        continue;
                    }
                    var isLink = i == 0 && reader.Code.Builtin is BuiltinOperator.DEQUANTIZE or BuiltinOperator.DENSIFY &&
                                 reader.Outputs.Count == 1 && reader.Outputs[0] is { } o && chain.Contains(o);
                    if (!isLink && !slots.Contains((reader, i)))
                    {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
