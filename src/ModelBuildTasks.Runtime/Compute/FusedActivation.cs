using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Kernels;

namespace ModelBuildTasks.Runtime.Compute;

/// <summary>
/// A fused activation (the <c>fused_activation_function</c> of conv, add, pool …). The clamping ones are a range
/// [Min, Max] that kernels apply while storing results; TANH is applied as a pass over the output.
/// </summary>
internal readonly struct FusedActivation
{
    private FusedActivation(float min, float max, bool tanh)
    {
        Min = min;
        Max = max;
        IsTanh = tanh;
    }

    public float Min { get; }

    public float Max { get; }

    public bool IsTanh { get; }

    public bool IsClamp => !IsTanh && (Min != float.NegativeInfinity || Max != float.PositiveInfinity);

    public static FusedActivation None => new(float.NegativeInfinity, float.PositiveInfinity, false);

    public static FusedActivation From(ActivationFunctionType type, KernelSetup setup) => type switch
    {
        ActivationFunctionType.NONE => None,
        ActivationFunctionType.RELU => new(0f, float.PositiveInfinity, false),
        ActivationFunctionType.RELU_N1_TO_1 => new(-1f, 1f, false),
        ActivationFunctionType.RELU6 => new(0f, 6f, false),
        ActivationFunctionType.TANH => new(float.NegativeInfinity, float.PositiveInfinity, true),
        _ => throw setup.Unsupported($"fused activation {type} is not supported"),
    };

    /// <summary>Applies the activation in place to n floats.</summary>
    public unsafe void Apply(float* data, long n)
    {
        if (IsTanh)
        {
            var span = new Span<float>(data, checked((int)n));
            TensorPrimitives.Tanh(span, span);
        }
        else if (IsClamp)
        {
            Clamp(data, n, Min, Max);
        }
    }

    public static unsafe void Clamp(float* data, long n, float min, float max)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256.Create(min);
            var hi = Vector256.Create(max);
            for (; i <= n - 8; i += 8)
            {
                Vector256.Store(Vector256.Min(Vector256.Max(Vector256.Load(data + i), lo), hi), data + i);
            }
        }
        for (; i < n; i++)
        {
            data[i] = Math.Min(Math.Max(data[i], min), max);
        }
    }
}
