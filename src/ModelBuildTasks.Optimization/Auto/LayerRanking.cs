using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Evaluation;

namespace ModelBuildTasks.Optimization.Auto;

/// <summary>
/// Ranks layers by the error each ADDS: its output's SQNR subtracted from the worst SQNR of its non-constant inputs.
/// Plain per-layer SQNR only grows worse towards the outputs (errors accumulate), which would blame the last layers;
/// the drop across an op points at the op that quantizes badly.
/// </summary>
internal static class LayerRanking
{
    // SQNR figures above this are "exact" for ranking (an infinite SQNR minus a finite one would swamp the order).
    private const double CapDb = 120;

    /// <summary>Output tensor names of the ops of <paramref name="model"/>'s main graph, worst added error first.</summary>
    /// <param name="model">The original model (its op output names are the layer names).</param>
    /// <param name="evaluation">The per-layer evaluation of the quantized model.</param>
    /// <param name="weightedOnly">Rank only ops that read weights (a rule changes nothing else in dynamic-range models).</param>
    public static IReadOnlyList<string> Rank(ModelGraph model, EvaluationReport evaluation, bool weightedOnly = false)
    {
        var producers = new Dictionary<Tensor, Operator>(ReferenceEqualityComparer.Instance);
        foreach (var op in model.Main.Operators)
        {
            foreach (var t in op.Outputs)
            {
                if (t is not null)
                {
                    producers[t] = op;
                }
            }
        }
        var sqnr = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var m in evaluation.Layers)
        {
            sqnr[m.Name] = Capped(m.SqnrDb);
        }
        foreach (var m in evaluation.Outputs)
        {
            sqnr[m.Name] = Capped(m.SqnrDb);
        }

        var scored = new List<(string Name, double Added, int Order)>();
        var ops = model.Main.Operators;
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (op.Outputs.Count == 0 || op.Outputs[0] is not { } output || !sqnr.TryGetValue(output.Name, out var outSqnr) ||
                (weightedOnly && !ReadsWeights(op, producers)))
            {
                continue;
            }
            var inSqnr = CapDb;
            foreach (var input in op.Inputs)
            {
                if (input is not null && !input.IsConstant && sqnr.TryGetValue(input.Name, out var s))
                {
                    inSqnr = Math.Min(inSqnr, s);
                }
            }
            // Every compared layer is ranked (those adding no error last), so moving all of them is possible.
            scored.Add((output.Name, inSqnr - outSqnr, i));
        }
        scored.Sort((a, b) => a.Added != b.Added ? b.Added.CompareTo(a.Added) : a.Order.CompareTo(b.Order));
        var names = new List<string>(scored.Count);
        foreach (var s in scored)
        {
            names.Add(s.Name);
        }
        return names;
    }

    /// <summary>True when an input is a constant or a constant read through DEQUANTIZE/DENSIFY (float16, sparse weights).</summary>
    private static bool ReadsWeights(Operator op, Dictionary<Tensor, Operator> producers)
    {
        foreach (var input in op.Inputs)
        {
            if (input is null)
            {
                continue;
            }
            if (input.IsConstant)
            {
                return true;
            }
            if (producers.TryGetValue(input, out var p) && p.Code.Builtin is BuiltinOperator.DEQUANTIZE or BuiltinOperator.DENSIFY &&
                p.Inputs.Count > 0 && (p.Inputs[0]?.IsConstant == true ||
                    (p.Inputs[0] is { } inner && producers.TryGetValue(inner, out var q) && q.Code.Builtin == BuiltinOperator.DENSIFY)))
            {
                return true;
            }
        }
        return false;
    }

    private static double Capped(double db) => double.IsNaN(db) ? 0 : Math.Min(CapDb, db);
}
