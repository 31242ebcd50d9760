using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Graph;

/// <summary>
/// The edits passes make to one subgraph, with the bookkeeping they share: producers and consumers as they were when
/// the editor was made, tensors that must keep their identity (graph and signature I/O, variables), new tensors
/// placed beside the ones they replace (so tensor order stays readable and stable), operators inserted before their
/// first reader, and removal of what the edits left unreferenced. Nothing here depends on hash order: output is
/// deterministic.
/// </summary>
internal sealed class SubgraphEditor
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<Tensor> _protected = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Tensor> _orphanCandidates = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Operator> _removed = new(ReferenceEqualityComparer.Instance);
    private readonly List<(Operator Before, Operator Inserted)> _inserted = [];
    private readonly List<(Operator After, Operator Inserted)> _insertedAfter = [];

    public SubgraphEditor(ModelGraph model, Subgraph subgraph)
    {
        Subgraph = subgraph;
        Producers = GraphAlgorithms.Producers(subgraph);
        Consumers = GraphAlgorithms.Consumers(subgraph);
        foreach (var t in subgraph.Tensors)
        {
            _names.Add(t.Name);
            if (t.IsVariable)
            {
                _protected.Add(t);
            }
        }
        _protected.UnionWith(subgraph.Inputs);
        _protected.UnionWith(subgraph.Outputs);
        foreach (var signature in model.Signatures.Where(s => ReferenceEquals(s.Subgraph, subgraph)))
        {
            _protected.UnionWith(signature.Inputs.Select(e => e.Tensor));
            _protected.UnionWith(signature.Outputs.Select(e => e.Tensor));
        }
    }

    public Subgraph Subgraph { get; }

    /// <summary>Producers as they were when the editor was created.</summary>
    public Dictionary<Tensor, Operator> Producers { get; }

    /// <summary>Consumers as they were when the editor was created (each operator once per tensor, in operator order).</summary>
    public Dictionary<Tensor, List<Operator>> Consumers { get; }

    /// <summary>True for tensors that are graph or signature inputs/outputs or variables: passes must not replace them.</summary>
    public bool IsProtected(Tensor t) => _protected.Contains(t);

    public IReadOnlyList<Operator> ConsumersOf(Tensor t) => Consumers.TryGetValue(t, out var list) ? list : [];

    public Operator? ProducerOf(Tensor t) => Producers.GetValueOrDefault(t);

    /// <summary>A tensor name not yet used in the subgraph (the wanted name, else name_1, name_2, …); reserves it.</summary>
    public string UniqueName(string wanted)
    {
        var name = wanted;
        for (var i = 1; !_names.Add(name); i++)
        {
            name = $"{wanted}_{i}";
        }
        return name;
    }

    /// <summary>Adds <paramref name="added"/> to the tensor list just before <paramref name="anchor"/> (or at the end).</summary>
    public void AddTensorBefore(Tensor anchor, Tensor added)
    {
        _names.Add(added.Name);
        var i = Subgraph.Tensors.IndexOf(anchor);
        Subgraph.Tensors.Insert(i < 0 ? Subgraph.Tensors.Count : i, added);
        _orphanCandidates.Add(anchor);
    }

    /// <summary>Adds <paramref name="added"/> to the tensor list just after <paramref name="anchor"/> (or at the end).</summary>
    public void AddTensorAfter(Tensor anchor, Tensor added)
    {
        _names.Add(added.Name);
        var i = Subgraph.Tensors.IndexOf(anchor);
        Subgraph.Tensors.Insert(i < 0 ? Subgraph.Tensors.Count : i + 1, added);
    }

    /// <summary>Points every operator input that reads <paramref name="old"/> at <paramref name="replacement"/>.</summary>
    public void ReplaceUses(Tensor old, Tensor replacement, Func<Operator, int, bool>? where = null)
    {
        foreach (var op in ConsumersOf(old))
        {
            for (var i = 0; i < op.Inputs.Count; i++)
            {
                if (ReferenceEquals(op.Inputs[i], old) && (where is null || where(op, i)))
                {
                    op.Inputs[i] = replacement;
                }
            }
        }
        _orphanCandidates.Add(old);
    }

    /// <summary>Marks a tensor for removal at <see cref="Commit"/> if nothing refers to it any more.</summary>
    public void MaybeOrphaned(Tensor t) => _orphanCandidates.Add(t);

    /// <summary>Removes an operator at <see cref="Commit"/>; its tensors are removed too if nothing else refers to them.</summary>
    public void RemoveOperator(Operator op)
    {
        _removed.Add(op);
        _orphanCandidates.UnionWith(op.Inputs.OfType<Tensor>());
        _orphanCandidates.UnionWith(op.Outputs.OfType<Tensor>());
    }

    /// <summary>Inserts <paramref name="op"/> just before <paramref name="before"/> (after earlier insertions before it).</summary>
    public void InsertOperatorBefore(Operator before, Operator op) => _inserted.Add((before, op));

    /// <summary>Inserts <paramref name="op"/> just after <paramref name="after"/> (after earlier insertions after it).</summary>
    public void InsertOperatorAfter(Operator after, Operator op) => _insertedAfter.Add((after, op));

    /// <summary>
    /// The earliest operator (in current execution order) among <paramref name="ops"/>; insertion point for an op
    /// that several readers share.
    /// </summary>
    public Operator First(IEnumerable<Operator> ops)
    {
        var set = new HashSet<Operator>(ops, ReferenceEqualityComparer.Instance);
        return Subgraph.Operators.First(set.Contains);
    }

    /// <summary>True when the operator has not been removed and still reads the tensor.</summary>
    public bool StillReads(Operator op, Tensor t) => !_removed.Contains(op) && op.Inputs.Any(x => ReferenceEquals(x, t));

    /// <summary>Applies operator removals and insertions, then drops tensors the edits left unreferenced.</summary>
    public void Commit()
    {
        if (_inserted.Count > 0 || _insertedAfter.Count > 0 || _removed.Count > 0)
        {
            var pending = _inserted.ToLookup(p => p.Before, p => p.Inserted, ReferenceEqualityComparer.Instance);
            var pendingAfter = _insertedAfter.ToLookup(p => p.After, p => p.Inserted, ReferenceEqualityComparer.Instance);
            var ops = new List<Operator>(Subgraph.Operators.Count + _inserted.Count);
            foreach (var op in Subgraph.Operators)
            {
                ops.AddRange(pending[op]);
                if (!_removed.Contains(op))
                {
                    ops.Add(op);
                }
                ops.AddRange(pendingAfter[op]);
            }
            Subgraph.Operators.Clear();
            Subgraph.Operators.AddRange(ops);
            _inserted.Clear();
            _insertedAfter.Clear();
            _removed.Clear();
        }
        if (_orphanCandidates.Count == 0)
        {
            return;
        }
        var used = new HashSet<Tensor>(_protected, ReferenceEqualityComparer.Instance);
        foreach (var op in Subgraph.Operators)
        {
            used.UnionWith(op.Inputs.OfType<Tensor>());
            used.UnionWith(op.Outputs.OfType<Tensor>());
            used.UnionWith(op.Intermediates);
        }
        Subgraph.Tensors.RemoveAll(t => _orphanCandidates.Contains(t) && !used.Contains(t));
        _orphanCandidates.Clear();
    }

    /// <summary>A DEQUANTIZE operator (no options table, as converters write it) with its converter version.</summary>
    public static Operator Dequantize(Tensor input, Tensor output)
    {
        var op = new Operator(new OperatorCode(BuiltinOperator.DEQUANTIZE));
        op.Inputs.Add(input);
        op.Outputs.Add(output);
        OperatorVersions.Update(op);
        return op;
    }
}
