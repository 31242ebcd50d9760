using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Graph;

namespace ModelBuildTasks.Optimization.Pruning;

/// <summary>What pruning did to one weight tensor.</summary>
/// <param name="Name">The weight constant's name.</param>
/// <param name="OpType">The operator that reads it.</param>
/// <param name="Elements">Its element count.</param>
/// <param name="SparsityBefore">Fraction of exact zeros before.</param>
/// <param name="SparsityAfter">Fraction of exact zeros after.</param>
/// <param name="Pattern">The pattern applied.</param>
/// <param name="WeightSqnrDb">
/// Signal-to-quantization-noise ratio of the pruned weights against the original ones, in dB (higher is closer;
/// infinity when nothing changed): a data-free hint of which layer the pruning hurts most.
/// </param>
public sealed record PrunedTensor(string Name, string OpType, long Elements, double SparsityBefore, double SparsityAfter,
    SparsityPattern Pattern, double WeightSqnrDb);

/// <summary>The pruned model and what was pruned. The input model is never modified.</summary>
public sealed class PruningResult
{
    internal PruningResult(ModelGraph model, IReadOnlyList<PrunedTensor> tensors, IReadOnlyList<OptimizationChange> changes)
    {
        Model = model;
        Tensors = tensors;
        Changes = changes;
    }

    /// <summary>The new model (shares unchanged constant data with the input).</summary>
    public ModelGraph Model { get; }

    /// <summary>Every pruned weight, in operator order.</summary>
    public IReadOnlyList<PrunedTensor> Tensors { get; }

    /// <summary>The same as <see cref="OptimizationChange"/>s (pass <c>prune</c>) for the optimizer's report.</summary>
    public IReadOnlyList<OptimizationChange> Changes { get; }

    /// <summary>Fraction of zeros over all pruned weights together (0 when nothing was pruned).</summary>
    public double OverallSparsity
    {
        get
        {
            double zeros = 0;
            long elements = 0;
            foreach (var t in Tensors)
            {
                zeros += t.SparsityAfter * t.Elements;
                elements += t.Elements;
            }
            return elements == 0 ? 0 : zeros / elements;
        }
    }
}

/// <summary>
/// Post-training magnitude pruning: in every weight tensor of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
/// TRANSPOSE_CONV (also when stored float16 or int8 behind DEQUANTIZE, or sparse behind DENSIFY) the smallest
/// weights become exact zeros until the target sparsity is reached. Biases and small tensors are left alone. The
/// result is dense; <see cref="Sparsity.SparseEncoder"/> then stores tensors sparse where that makes the file smaller.
/// Zeros survive a later float16 or symmetric int8 quantization exactly.
/// </summary>
public static class MagnitudePruner
{
    /// <summary>Prunes a copy of <paramref name="model"/>.</summary>
    /// <exception cref="OptimizationException">Invalid options (MBT2100) or a weight tensor that cannot be read (MBT2105).</exception>
    public static PruningResult Prune(ModelGraph model, PruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rules = new RuleMatcher<PruningRule>(options.Rules, r => r.TensorName, r => r.OpType);
        var copy = ModelCloner.Clone(model);
        var pruned = new List<PrunedTensor>();
        var changes = new List<OptimizationChange>();
        foreach (var weight in WeightLocator.Find(copy))
        {
            if (weight.ElementCount < options.MinElements)
            {
                continue;
            }
            var rule = rules.Match(weight.Name, weight.OpType);
            var pattern = rule?.Pattern ?? options.Pattern;
            var target = pattern.ImpliedSparsity ?? rule?.TargetSparsity ?? options.TargetSparsity;
            if (rule?.TargetSparsity == 0 || target <= 0)
            {
                continue;
            }
            WeightLocator.Densify(copy, weight);
            var tensor = weight.Constant;
            var values = WeightValues.Read(tensor);
            var before = ZeroFraction(values);
            var mask = Mask(weight, values, pattern, target);
            var bytesBefore = tensor.Data.Length;
            tensor.Data = WeightValues.WithZeros(tensor, mask);
            var newValues = WeightValues.Read(tensor);
            var after = ZeroFraction(newValues);
            pruned.Add(new PrunedTensor(tensor.Name, weight.OpType, values.Length, before, after, pattern, SqnrDb(values, newValues)));
            changes.Add(new OptimizationChange("prune", tensor.Name,
                $"{pattern} {before:P1} -> {after:P1} zeros", bytesBefore, tensor.Data.Length));
        }
        return new PruningResult(copy, pruned, changes);
    }

    private static bool[] Mask(WeightTensor weight, float[] values, SparsityPattern pattern, double target)
    {
        var magnitude = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            // NaN weights rank as the smallest: pruning them can only help.
            magnitude[i] = float.IsNaN(values[i]) ? 0 : MathF.Abs(values[i]);
        }
        var count = (long)Math.Round(target * values.Length, MidpointRounding.AwayFromZero);
        var shape = weight.Constant.Shape;
        return pattern.Kind switch
        {
            SparsityPatternKind.Block => PruningMasks.Blocks(magnitude, shape, weight.OutputAxis, pattern.BlockRows,
                weight.InputAxis, pattern.BlockColumns, count),
            SparsityPatternKind.NOfM => PruningMasks.NOfM(magnitude, shape, weight.InputAxis, pattern.N, pattern.M),
            _ => PruningMasks.Unstructured(magnitude, count),
        };
    }

    /// <summary>10·log10(Σ original² / Σ (original − changed)²); +∞ when nothing changed. NaN weights are ignored.</summary>
    internal static double SqnrDb(ReadOnlySpan<float> original, ReadOnlySpan<float> changed)
    {
        double signal = 0, noise = 0;
        for (var i = 0; i < original.Length; i++)
        {
            if (float.IsNaN(original[i]) || float.IsNaN(changed[i]))
            {
                continue;
            }
            signal += (double)original[i] * original[i];
            var d = (double)original[i] - changed[i];
            noise += d * d;
        }
        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }

    internal static double ZeroFraction(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return 0;
        }
        long zeros = 0;
        foreach (var v in values)
        {
            if (v == 0)
            {
                zeros++;
            }
        }
        return (double)zeros / values.Length;
    }
}
