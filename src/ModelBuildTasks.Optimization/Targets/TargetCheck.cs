using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Targets;

/// <summary>A constraint of the target hardware that a model does not meet.</summary>
/// <param name="Rule">Short id of the constraint, e.g. <c>edgetpu-int8-only</c>.</param>
/// <param name="Message">What is wrong and where (op index, type and output tensor).</param>
/// <param name="IsError">True when the model cannot run on the target; false for advice (it runs, but not well).</param>
public sealed record TargetViolation(string Rule, string Message, bool IsError);

/// <summary>
/// The constraints of each <see cref="OptimizationTarget"/>: CPU runs everything; GPU delegates have no int16
/// kernels and run hybrid ops on the CPU; the Edge TPU needs a full int8 model (int8/uint8 I/O, per-tensor
/// fully-connected weights, no float ops, no custom ops); microcontrollers (TFLite Micro) need full-integer models
/// without float fallback, hybrid ops or custom ops.
/// </summary>
public static class TargetCheck
{
    /// <summary>Full-integer defaults: float fallback allowed on CPU and GPU only.</summary>
    public static bool AllowsFloatFallback(OptimizationTarget target) => target is OptimizationTarget.Cpu or OptimizationTarget.Gpu;

    /// <summary>The default model I/O type of full-integer models on a target.</summary>
    public static ModelIoType DefaultIoType(OptimizationTarget target) =>
        target is OptimizationTarget.EdgeTpu or OptimizationTarget.Mcu ? ModelIoType.Int8 : ModelIoType.Float32;

    /// <summary>Every violation of <paramref name="options"/>' target by <paramref name="model"/> (main subgraph).</summary>
    public static IReadOnlyList<TargetViolation> Check(ModelGraph model, OptimizationOptions options)
    {
        var found = new List<TargetViolation>();
        var scheme = options.Optimization;
        var main = model.Main;
        switch (options.Target)
        {
            case OptimizationTarget.Cpu:
                if (scheme == Optimization.Int16x8)
                {
                    found.Add(new("cpu-16x8-reference", "TFLite has only unoptimized reference kernels for 16x8: expect slow inference", false));
                }
                break;
            case OptimizationTarget.Gpu:
                if (scheme == Optimization.Int16x8)
                {
                    found.Add(new("gpu-no-int16", "GPU delegates have no int16 kernels; use float16 or int8", true));
                }
                foreach (var (i, op) in Indexed(main))
                {
                    if (IsHybrid(op))
                    {
                        found.Add(new("gpu-hybrid-on-cpu", $"{Describe(i, op)} is a hybrid op the GPU delegate leaves to the CPU", false));
                    }
                }
                break;
            case OptimizationTarget.EdgeTpu:
                if (scheme != Optimization.Int8)
                {
                    found.Add(new("edgetpu-int8-only", $"the Edge TPU runs only full-integer int8 models, not {scheme.ToString().ToLowerInvariant()}", true));
                    break;
                }
                CheckFullInteger(main, "edgetpu", found);
                foreach (var t in main.Inputs.Concat(main.Outputs))
                {
                    if (t.Type is not (TensorType.INT8 or TensorType.UINT8))
                    {
                        found.Add(new("edgetpu-int8-io", $"model input/output {t} must be int8 or uint8 on the Edge TPU", true));
                    }
                }
                foreach (var (i, op) in Indexed(main))
                {
                    if (op.Code.Builtin == BuiltinOperator.FULLY_CONNECTED && op.Inputs.Count > 1 && op.Inputs[1]?.Quantization is { Scale.Length: > 1 })
                    {
                        found.Add(new("edgetpu-per-tensor-fc", $"{Describe(i, op)} has per-channel weights; the Edge TPU needs per-tensor", true));
                    }
                }
                break;
            case OptimizationTarget.Mcu:
                if (scheme is not (Optimization.Int8 or Optimization.Int16x8 or Optimization.None or Optimization.Float32))
                {
                    found.Add(new("mcu-no-hybrid", $"TFLite Micro has no {scheme.ToString().ToLowerInvariant()} kernels; use int8", true));
                    break;
                }
                if (scheme is Optimization.Int8 or Optimization.Int16x8)
                {
                    CheckFullInteger(main, "mcu", found);
                }
                break;
        }
        return found;
    }

    private static void CheckFullInteger(Subgraph main, string target, List<TargetViolation> found)
    {
        foreach (var (i, op) in Indexed(main))
        {
            if (op.Code.IsCustom)
            {
                found.Add(new($"{target}-no-custom", $"{Describe(i, op)} is a custom op the {target} runtime does not have", true));
            }
            else if (IsFloatCompute(op))
            {
                found.Add(new($"{target}-no-float", $"{Describe(i, op)} computes in float", true));
            }
        }
    }

    /// <summary>An op (other than the QUANTIZE/DEQUANTIZE converters) that reads or writes float activations.</summary>
    internal static bool IsFloatCompute(Operator op) =>
        op.Code.Builtin is not (BuiltinOperator.QUANTIZE or BuiltinOperator.DEQUANTIZE) &&
        op.Outputs.Any(t => t is { Type: TensorType.FLOAT32 or TensorType.FLOAT16 });

    private static bool IsHybrid(Operator op) =>
        op.Inputs is [{ Type: TensorType.FLOAT32 }, { IsConstant: true, Type: TensorType.INT8 }, ..];

    internal static string Describe(int index, Operator op) =>
        $"op {index} {op.Code.DisplayName}" + (op.Outputs is [{ } o, ..] ? $" ('{o.Name}')" : "");

    private static IEnumerable<(int, Operator)> Indexed(Subgraph s) => s.Operators.Select((op, i) => (i, op));
}
