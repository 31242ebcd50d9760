using System.Runtime.InteropServices;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model;

/// <summary>Structural helpers over a subgraph: producers, consumers, execution order and clean-up.</summary>
public static class GraphAlgorithms
{
    /// <summary>The operator producing each tensor. A tensor with two producers is an invalid graph.</summary>
    public static Dictionary<Tensor, Operator> Producers(Subgraph subgraph) => Producers(subgraph, Describe(subgraph));

    /// <summary><see cref="Producers(Subgraph)"/> with errors naming the subgraph as <paramref name="label"/>.</summary>
    internal static Dictionary<Tensor, Operator> Producers(Subgraph subgraph, string label)
    {
        var producers = new Dictionary<Tensor, Operator>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < subgraph.Operators.Count; i++)
        {
            var op = subgraph.Operators[i];
            foreach (var output in op.Outputs)
            {
                if (output is not null && !producers.TryAdd(output, op))
                {
                    var first = subgraph.Operators.IndexOf(producers[output]);
                    throw new ModelFormatException(ModelErrorCodes.InvalidGraph,
                        $"{label} tensor {subgraph.Tensors.IndexOf(output)} {output} is written by two operators: " +
                        $"operator {first} ({producers[output]}) and operator {i} ({op})");
                }
            }
        }
        return producers;
    }

    /// <summary>The operators reading each tensor, in operator order (an operator appears once per tensor).</summary>
    public static Dictionary<Tensor, List<Operator>> Consumers(Subgraph subgraph)
    {
        var consumers = new Dictionary<Tensor, List<Operator>>(ReferenceEqualityComparer.Instance);
        foreach (var op in subgraph.Operators)
        {
            foreach (var input in op.Inputs)
            {
                if (input is null)
                {
                    continue;
                }
                ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(consumers, input, out _);
                list ??= [];
                if (list.Count == 0 || !ReferenceEquals(list[^1], op))
                {
                    list.Add(op);
                }
            }
        }
        return consumers;
    }

    /// <summary>
    /// The operators in an order where every operator runs after the producers of its inputs. The stored order is
    /// kept wherever it is already valid (so converter output comes back unchanged). A cycle is an error naming it.
    /// </summary>
    public static List<Operator> TopologicalOrder(Subgraph subgraph) => TopologicalOrder(subgraph, Describe(subgraph));

    /// <summary><see cref="TopologicalOrder(Subgraph)"/> with errors naming the subgraph as <paramref name="label"/>.</summary>
    internal static List<Operator> TopologicalOrder(Subgraph subgraph, string label)
    {
        var ops = subgraph.Operators;
        var producers = Producers(subgraph, label);
        var position = new Dictionary<Operator, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < ops.Count; i++)
        {
            position[ops[i]] = i;
        }
        var pending = new int[ops.Count];
        var dependents = new List<int>[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            foreach (var input in ops[i].Inputs)
            {
                if (input is not null && producers.TryGetValue(input, out var producer))
                {
                    var p = position[producer];
                    (dependents[p] ??= []).Add(i);
                    pending[i]++;
                }
            }
        }
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < ops.Count; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }
        var order = new List<Operator>(ops.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(ops[i]);
            foreach (var d in dependents[i] ?? [])
            {
                if (--pending[d] == 0)
                {
                    ready.Enqueue(d, d);
                }
            }
        }
        if (order.Count != ops.Count)
        {
            var stuck = Enumerable.Range(0, ops.Count).First(i => pending[i] > 0);
            var via = ops[stuck].Inputs.First(t => t is not null && producers.TryGetValue(t, out var p) && pending[position[p]] > 0);
            throw new ModelFormatException(ModelErrorCodes.GraphCycle,
                $"{label}: operators form a cycle: operator {stuck} ({ops[stuck]}) needs tensor {via}, " +
                $"which depends on operator {stuck}'s own output");
        }
        return order;
    }

    /// <summary>
    /// Removes operators whose outputs nothing uses (keeping stateful and custom ones), then tensors that nothing
    /// refers to. Returns how many operators and tensors were removed.
    /// </summary>
    public static (int Operators, int Tensors) RemoveDeadCode(ModelGraph model)
    {
        int ops = 0, tensors = 0;
        foreach (var subgraph in model.Subgraphs)
        {
            ops += RemoveDeadOperators(subgraph);
        }
        foreach (var subgraph in model.Subgraphs)
        {
            var used = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            used.UnionWith(subgraph.Inputs);
            used.UnionWith(subgraph.Outputs);
            foreach (var op in subgraph.Operators)
            {
                used.UnionWith(op.Inputs.OfType<Tensor>());
                used.UnionWith(op.Outputs.OfType<Tensor>());
                used.UnionWith(op.Intermediates);
            }
            foreach (var signature in model.Signatures.Where(s => s.Subgraph == subgraph))
            {
                used.UnionWith(signature.Inputs.Select(t => t.Tensor));
                used.UnionWith(signature.Outputs.Select(t => t.Tensor));
            }
            tensors += subgraph.Tensors.RemoveAll(t => !used.Contains(t));
        }
        return (ops, tensors);
    }

    private static int RemoveDeadOperators(Subgraph subgraph)
    {
        var live = new HashSet<Tensor>(subgraph.Outputs, ReferenceEqualityComparer.Instance);
        var keep = new HashSet<Operator>(ReferenceEqualityComparer.Instance);
        var order = TopologicalOrder(subgraph);
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var op = order[i];
            if (HasSideEffects(op) || op.Outputs.Any(t => t is not null && live.Contains(t)))
            {
                keep.Add(op);
                live.UnionWith(op.Inputs.OfType<Tensor>());
            }
        }
        return subgraph.Operators.RemoveAll(op => !keep.Contains(op));
    }

    private static bool HasSideEffects(Operator op) =>
        op.Code.Builtin is BuiltinOperator.CUSTOM or BuiltinOperator.ASSIGN_VARIABLE or BuiltinOperator.VAR_HANDLE
            or BuiltinOperator.CALL_ONCE or BuiltinOperator.WHILE or BuiltinOperator.IF or BuiltinOperator.CALL
            or BuiltinOperator.DELEGATE
        || op.Outputs.Count == 0
        || op.Inputs.Any(t => t is { IsVariable: true });

    /// <summary>
    /// Makes constant tensors with byte-identical data share one buffer, so the writer stores it once.
    /// Returns the bytes saved.
    /// </summary>
    public static long DeduplicateBuffers(ModelGraph model)
    {
        var groups = new Dictionary<(int Length, int Hash), List<ReadOnlyMemory<byte>>>();
        long saved = 0;
        foreach (var tensor in model.AllTensors().Where(t => t.IsConstant))
        {
            var hash = new HashCode();
            hash.AddBytes(tensor.Data.Span);
            var key = (tensor.Data.Length, hash.ToHashCode());
            ref var candidates = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, key, out _);
            candidates ??= [];
            var match = candidates.FindIndex(c => c.Span.SequenceEqual(tensor.Data.Span));
            if (match < 0)
            {
                candidates.Add(tensor.Data);
            }
            else if (!SameSlice(candidates[match], tensor.Data))
            {
                saved += tensor.Data.Length;
                tensor.Data = candidates[match];
            }
        }
        return saved;
    }

    /// <summary>True when both memories are the same region of the same array.</summary>
    internal static bool SameSlice(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b) =>
        a.Length == b.Length && MemoryMarshal.TryGetArray(a, out var x) && MemoryMarshal.TryGetArray(b, out var y)
        && ReferenceEquals(x.Array, y.Array) && x.Offset == y.Offset;

    internal static string Describe(Subgraph subgraph) =>
        string.IsNullOrEmpty(subgraph.Name) ? "subgraph" : $"subgraph '{subgraph.Name}'";
}
