using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// 8-bit L2_NORMALIZATION over the last dimension (output scale 1/128; zero point 0 for int8, 128 for uint8): the
/// integer sum of squared offsets gives 1/‖x‖ as a fixed-point multiplier (<see cref="FixedPoint.InverseSqrt"/>).
/// uint8 (TFLite's optimized kernel) multiplies 128·(x − zp) and shifts right; int8 (the reference integer kernel)
/// folds the ·128 into the shift of one multiply-by-quantized-multiplier, which rounds differently. No int16 form.
/// </summary>
internal sealed unsafe class L2Normalization : Kernel
{
    private readonly int zero;
    private readonly QuantInfo outInfo;
    private readonly int depth;
    private readonly int rows;
    private readonly int input;
    private readonly int output;

    private L2Normalization(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        if (y.Type is not (TensorType.INT8 or TensorType.UINT8))
        {
            throw s.Unsupported($"L2_NORMALIZATION of {y} has no kernel: only 8-bit integers are supported");
        }
        s.RequireType(x, y.Type);
        s.Require(x.ElementCount == y.ElementCount && x.Rank >= 1, $"input {x} and output {y} must have the same size");
        outInfo = QuantInfo.Of(s, y);
        var outZero = y.Type == TensorType.UINT8 ? 128 : 0;
        s.Require(outInfo.Scale == 1f / 128 && outInfo.ZeroPoint == outZero, $"output {y} must have scale 1/128 and zero point {outZero}");
        zero = QuantInfo.Of(s, x).ZeroPoint;
        depth = x.Dim(-1);
        rows = depth == 0 ? 0 : checked((int)(x.ElementCount / depth));
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new L2Normalization(s);

    public override void Run(RunContext context)
    {
        if (outInfo.Type == TensorType.INT8)
        {
            Rows(context.P<sbyte>(input), context.P<sbyte>(output));
        }
        else
        {
            Rows(context.B(input), context.B(output));
        }
    }

    private void Rows<T>(T* src, T* dst) where T : unmanaged, IBinaryInteger<T>
    {
        for (var r = 0; r < rows; r++)
        {
            var x = src + (nint)r * depth;
            var y = dst + (nint)r * depth;
            var squares = 0;
            for (var j = 0; j < depth; j++)
            {
                var d = IntElements.Get(x, j) - zero;
                squares += d * d;
            }
            var (multiplier, shift) = FixedPoint.InverseSqrt(squares);
            var signed = outInfo.Type == TensorType.INT8;
            for (var j = 0; j < depth; j++)
            {
                var d = IntElements.Get(x, j) - zero;
                var scaled = signed
                    ? FixedPoint.MultiplyByQuantizedMultiplier(d, multiplier, shift + 7)
                    : FixedPoint.RoundingDivideByPot(FixedPoint.SaturatingRoundingDoublingHighMul(128 * d, multiplier), -shift);
                IntElements.Set(y, j, Math.Clamp(outInfo.ZeroPoint + scaled, outInfo.Min, outInfo.Max));
            }
        }
    }
}
