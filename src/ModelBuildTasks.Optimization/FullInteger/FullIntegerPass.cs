using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Calibration;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Targets;

namespace ModelBuildTasks.Optimization.FullInteger;

/// <summary>
/// Full-integer quantization (int8, or 16x8) of a float32 model's main subgraph: calibrate, choose each op's kind
/// (integer when TFLite has a kernel for it and no rule says otherwise, else float), tie same-scale tensors, then
/// rewrite tensors, weights and bias and put QUANTIZE/DEQUANTIZE wherever a tensor crosses between kinds (including
/// the model's edges when its I/O stays float32).
/// </summary>
internal static class FullIntegerPass
{
    public static FullIntegerSummary Run(ModelGraph model, OptimizationOptions options, ISampleSource? data,
        IProgress<OptimizationProgress>? progress, List<OptimizationChange> changes, CancellationToken cancellationToken,
        Clustering.ClusteredWeights? clustered = null)
    {
        if (data is null)
        {
            throw new OptimizationException(OptimizationErrorCodes.MissingRepresentativeData,
                $"{Name(options)} quantization needs representative data to calibrate activation ranges " +
                "(--representative-data PATH, or an ISampleSource); dynamic range needs none");
        }
        var calibration = Calibrator.Calibrate(model, data, options, progress, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var main = model.Main;
        var groups = new ScaleGroups(calibration.Ranges);
        var kinds = ChooseKinds(main, options, groups, out var floatOps);
        var allowFallback = options.AllowFloatFallback ?? TargetCheck.AllowsFloatFallback(options.Target);
        if (!allowFallback && floatOps.Count > 0)
        {
            throw new OptimizationException(OptimizationErrorCodes.TargetViolation,
                $"target '{options.Target.ToString().ToLowerInvariant()}' allows no float ops, and these have no {Name(options)} kernel " +
                $"or were kept float by a rule: {string.Join("; ", floatOps)}");
        }
        TieScales(main, kinds, groups);
        new IntegerRewriter(model, main, options, kinds, groups, changes, Name(options), clustered).Run();
        foreach (var op in main.Operators)
        {
            OperatorVersions.Update(op);
        }
        return new FullIntegerSummary(calibration.Samples, options.Calibration, kinds.Count(k => k.Value != Kind.Float), floatOps);
    }

    internal static string Name(OptimizationOptions options) => options.Optimization == Optimization.Int16x8 ? "int16x8" : "int8";

    /// <summary>Each op's kind: the scheme's (or a rule's) integer kind when it can compute in it, else float.</summary>
    private static Dictionary<Operator, Kind> ChooseKinds(Subgraph main, OptimizationOptions options, ScaleGroups groups, out List<string> floatOps)
    {
        var kinds = new Dictionary<Operator, Kind>(ReferenceEqualityComparer.Instance);
        floatOps = [];
        var fallback = options.Optimization == Optimization.Int16x8 ? Kind.Int16 : Kind.Int8;
        for (var i = 0; i < main.Operators.Count; i++)
        {
            var op = main.Operators[i];
            var wanted = QuantizationRule.Resolve(options.Rules, op) switch
            {
                QuantizationScheme.None => Kind.Float,
                QuantizationScheme.Int8 => Kind.Int8,
                QuantizationScheme.Int16x8 => Kind.Int16,
                _ => fallback,
            };
            var why = wanted == Kind.Float ? "a rule keeps it float" : WhyNot(op, wanted, groups);
            kinds[op] = why is null ? wanted : Kind.Float;
            if (why is not null)
            {
                floatOps.Add($"{TargetCheck.Describe(i, op)}: {why}");
            }
        }
        return kinds;
    }

    /// <summary>Null when <paramref name="op"/> can compute in <paramref name="kind"/>, else the reason it cannot.</summary>
    private static string? WhyNot(Operator op, Kind kind, ScaleGroups groups)
    {
        if (op.Code.IsCustom || !IntegerKernels.Has(op.Code.Builtin, kind))
        {
            return $"no {(kind == Kind.Int16 ? "int16" : "int8")} kernel";
        }
        if (IntegerKernels.Restriction(op, kind) is { } restriction)
        {
            return restriction;
        }
        if (op.Outputs.Any(t => t is not null && t.Type != TensorType.FLOAT32) || op.Outputs.All(t => t is null))
        {
            return "its outputs are not float32";
        }
        for (var i = 0; i < op.Inputs.Count; i++)
        {
            if (op.Inputs[i] is not { Type: TensorType.FLOAT32 } t)
            {
                continue;
            }
            if (Quantization.WeightOperands.WeightAxis(op, i) is not null && !t.IsConstant)
            {
                return "its weights are not constant";
            }
            if (i == Quantization.WeightOperands.BiasIndex(op) && !t.IsConstant)
            {
                return "its bias is not constant";
            }
            if (!groups.HasRange(t))
            {
                return $"input '{t.Name}' was not seen during calibration";
            }
        }
        foreach (var t in op.Outputs)
        {
            if (t is not null && !groups.HasRange(t))
            {
                return $"output '{t.Name}' was not seen during calibration";
            }
        }
        return null;
    }

    private static void TieScales(Subgraph main, Dictionary<Operator, Kind> kinds, ScaleGroups groups)
    {
        foreach (var op in main.Operators)
        {
            if (kinds[op] == Kind.Float)
            {
                continue;
            }
            if (IntegerKernels.FixedOutput(op.Code.Builtin, kinds[op]) is not null && op.Outputs[0] is { } fixedOutput)
            {
                groups.Fix(fixedOutput, op.Code.Builtin);
            }
            if (!IntegerKernels.IsSameScale(op.Code.Builtin) || op.Outputs.FirstOrDefault(o => o is not null) is not { } first)
            {
                continue;
            }
            foreach (var output in op.Outputs)
            {
                if (output is not null)
                {
                    groups.Union(first, output);
                }
            }
            foreach (var i in IntegerKernels.SameScaleInputs(op.Code.Builtin, op.Inputs.Count))
            {
                if (i < op.Inputs.Count && op.Inputs[i] is { Type: TensorType.FLOAT32 } input)
                {
                    groups.Union(first, input);
                }
            }
        }
    }
}
