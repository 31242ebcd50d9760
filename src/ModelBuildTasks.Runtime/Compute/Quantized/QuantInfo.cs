using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Kernels;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>Per-tensor quantization of an integer tensor (real = Scale·(q − ZeroPoint)) and its type's range.</summary>
internal readonly record struct QuantInfo(TensorType Type, float Scale, int ZeroPoint)
{
    public int Min => Type switch { TensorType.INT8 => sbyte.MinValue, TensorType.UINT8 => 0, TensorType.INT16 => short.MinValue, _ => int.MinValue };

    public int Max => Type switch { TensorType.INT8 => sbyte.MaxValue, TensorType.UINT8 => byte.MaxValue, TensorType.INT16 => short.MaxValue, _ => int.MaxValue };

    public bool IsInteger8 => Type is TensorType.INT8 or TensorType.UINT8;

    /// <summary>Per-tensor parameters of <paramref name="t"/>; a coded error when it has none or they are unusable.</summary>
    public static QuantInfo Of(KernelSetup s, RuntimeTensor t)
    {
        if (t.Type is not (TensorType.INT8 or TensorType.UINT8 or TensorType.INT16))
        {
            throw s.Unsupported($"tensor {t} is not an 8- or 16-bit integer tensor");
        }
        var q = t.Quantization;
        if (q is null || q.Scale.Length == 0 || !(q.Scale[0] > 0) || float.IsInfinity(q.Scale[0]))
        {
            throw s.Invalid($"tensor {t} has no usable quantization scale");
        }
        var zero = q.ZeroPoint.Length > 0 ? q.ZeroPoint[0] : 0;
        var info = new QuantInfo(t.Type, q.Scale[0], (int)zero);
        s.Require(zero >= info.Min && zero <= info.Max, $"tensor {t} has zero point {zero} outside its type's range");
        return info;
    }

    /// <summary>The real value <paramref name="f"/> as a quantized integer (not clamped), as TFLite rounds it.</summary>
    public int QuantizeUnclamped(float f) => ZeroPoint + (int)MathF.Round(f / Scale, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The fused activation's clamp range in the quantized domain of this (output) tensor, intersected with the
    /// type's range.
    /// </summary>
    public (int Min, int Max) ActivationRange(ActivationFunctionType activation, KernelSetup s) => activation switch
    {
        ActivationFunctionType.NONE => (Min, Max),
        ActivationFunctionType.RELU => (Math.Max(Min, QuantizeUnclamped(0f)), Max),
        ActivationFunctionType.RELU6 => (Math.Max(Min, QuantizeUnclamped(0f)), Math.Min(Max, QuantizeUnclamped(6f))),
        ActivationFunctionType.RELU_N1_TO_1 => (Math.Max(Min, QuantizeUnclamped(-1f)), Math.Min(Max, QuantizeUnclamped(1f))),
        _ => throw s.Unsupported($"fused activation {activation} has no integer form"),
    };
}
