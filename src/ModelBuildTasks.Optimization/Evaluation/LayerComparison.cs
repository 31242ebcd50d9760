using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Runtime;

namespace ModelBuildTasks.Optimization.Evaluation;

/// <summary>
/// Per-layer error: every intermediate tensor written by an executed operator in both models (matched by name, same
/// element count) is captured from the reference run as reals and compared with the candidate's right after the
/// candidate's operator runs. Memory: one float buffer per matched tensor, reused for every sample.
/// </summary>
internal sealed class LayerComparison
{
    private readonly int[]?[] referenceSlots;
    private readonly int[]?[] candidateSlots;
    private readonly float[][] referenceValues;
    private readonly MetricAccumulator[] metrics;
    private readonly float[] scratch;

    public LayerComparison(ModelGraph reference, CompiledModel referenceModel, ModelGraph candidate, CompiledModel candidateModel)
    {
        // Reference tensors by name: those written by an executed operator, model outputs excluded (reported apart).
        var byName = new Dictionary<string, (int Operator, int Output, Tensor Tensor, string OpType)>(StringComparer.Ordinal);
        var referenceOutputs = reference.Main.Outputs.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var k in referenceModel.ExecutedOperators)
        {
            var op = reference.Main.Operators[k];
            for (var j = 0; j < op.Outputs.Count; j++)
            {
                if (op.Outputs[j] is { } t && Readable(t) && !referenceOutputs.Contains(t.Name))
                {
                    byName.TryAdd(t.Name, (k, j, t, op.Code.DisplayName));
                }
            }
        }

        var slots = new List<(int RefOp, int RefOut, int CandOp, int CandOut, long Elements, string Name, string OpType)>();
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in candidateModel.ExecutedOperators)
        {
            var op = candidate.Main.Operators[k];
            for (var j = 0; j < op.Outputs.Count; j++)
            {
                // Same name and same shape: a tensor of another shape holds other values (no silent misalignment).
                if (op.Outputs[j] is { } t && Readable(t) && byName.TryGetValue(t.Name, out var r) &&
                    r.Tensor.Shape.AsSpan().SequenceEqual(t.Shape) && matched.Add(t.Name))
                {
                    slots.Add((r.Operator, r.Output, k, j, r.Tensor.ElementCount, t.Name, r.OpType));
                }
            }
        }

        referenceSlots = new int[]?[reference.Main.Operators.Count];
        candidateSlots = new int[]?[candidate.Main.Operators.Count];
        referenceValues = new float[slots.Count][];
        metrics = new MetricAccumulator[slots.Count];
        long largest = 0;
        for (var s = 0; s < slots.Count; s++)
        {
            var (refOp, refOut, candOp, candOut, elements, name, opType) = slots[s];
            SlotsOf(referenceSlots, refOp, reference.Main.Operators[refOp].Outputs.Count)[refOut] = s;
            SlotsOf(candidateSlots, candOp, candidate.Main.Operators[candOp].Outputs.Count)[candOut] = s;
            referenceValues[s] = new float[elements];
            metrics[s] = new MetricAccumulator(name, opType, classifier: false);
            largest = Math.Max(largest, elements);
        }
        scratch = new float[largest];
    }

    /// <summary>Tensors compared.</summary>
    public int Count => metrics.Length;

    /// <summary>Captures the reference model's tensors.</summary>
    public IOperatorObserver ReferenceObserver => new Capture(this);

    /// <summary>Compares the candidate model's tensors with the captured ones.</summary>
    public IOperatorObserver CandidateObserver => new Compare(this);

    /// <summary>The metrics, worst (lowest SQNR, then lowest cosine) first; at most <paramref name="top"/> (0 = all).</summary>
    public IReadOnlyList<TensorMetrics> Ranked(int top)
    {
        var ranked = metrics.Select(m => m.ToMetrics())
            .OrderBy(m => m.SqnrDb)
            .ThenBy(m => m.Cosine)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
        return top > 0 && ranked.Count > top ? ranked.GetRange(0, top) : ranked;
    }

    private static bool Readable(Tensor t) => !t.IsConstant && TensorValues.CanRead(t.Type) && t.ElementCount > 0;

    private static int[] SlotsOf(int[]?[] table, int op, int outputs)
    {
        if (table[op] is null)
        {
            table[op] = new int[outputs];
            Array.Fill(table[op]!, -1);
        }
        return table[op]!;
    }

    private sealed class Capture(LayerComparison owner) : IOperatorObserver
    {
        public void OnOperatorExecuted(in ObservedOperator op)
        {
            if (owner.referenceSlots[op.OperatorIndex] is not { } slots)
            {
                return;
            }
            for (var j = 0; j < slots.Length; j++)
            {
                if (slots[j] >= 0 && op.GetOutputDescriptor(j) is { } d)
                {
                    TensorValues.ToFloat(op.GetOutputBytes(j), d.Type, d.Quantization, d.Shape, owner.referenceValues[slots[j]]);
                }
            }
        }
    }

    private sealed class Compare(LayerComparison owner) : IOperatorObserver
    {
        public void OnOperatorExecuted(in ObservedOperator op)
        {
            if (owner.candidateSlots[op.OperatorIndex] is not { } slots)
            {
                return;
            }
            for (var j = 0; j < slots.Length; j++)
            {
                if (slots[j] >= 0 && op.GetOutputDescriptor(j) is { } d)
                {
                    var s = slots[j];
                    var values = owner.scratch.AsSpan(0, owner.referenceValues[s].Length);
                    TensorValues.ToFloat(op.GetOutputBytes(j), d.Type, d.Quantization, d.Shape, values);
                    owner.metrics[s].Add(owner.referenceValues[s], values);
                }
            }
        }
    }
}
