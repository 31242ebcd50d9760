using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// int8 L2_NORMALIZATION over the last dimension (output scale 1/128, zero point 0): the integer sum of squared
/// offsets gives 1/‖x‖ as a fixed-point multiplier (<see cref="FixedPoint.InverseSqrt"/>), applied to 128·(x − zp).
/// </summary>
internal sealed unsafe class L2Normalization : Kernel
{
    private readonly int zero;
    private readonly int depth;
    private readonly int rows;
    private readonly int input;
    private readonly int output;

    private L2Normalization(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.INT8);
        s.RequireType(y, TensorType.INT8);
        s.Require(x.ElementCount == y.ElementCount && x.Rank >= 1, $"input {x} and output {y} must have the same size");
        var qy = QuantInfo.Of(s, y);
        s.Require(qy.Scale == 1f / 128 && qy.ZeroPoint == 0, $"output {y} must have scale 1/128 and zero point 0");
        zero = QuantInfo.Of(s, x).ZeroPoint;
        depth = x.Dim(-1);
        rows = depth == 0 ? 0 : checked((int)(x.ElementCount / depth));
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new L2Normalization(s);

    public override void Run(RunContext context)
    {
        var src = context.P<sbyte>(input);
        var dst = context.P<sbyte>(output);
        for (var r = 0; r < rows; r++)
        {
            var x = src + (nint)r * depth;
            var y = dst + (nint)r * depth;
            var squares = 0;
            for (var j = 0; j < depth; j++)
            {
                var d = x[j] - zero;
                squares += d * d;
            }
            var (multiplier, shift) = FixedPoint.InverseSqrt(squares);
            for (var j = 0; j < depth; j++)
            {
                var scaled = FixedPoint.RoundingDivideByPot(FixedPoint.SaturatingRoundingDoublingHighMul(128 * (x[j] - zero), multiplier), -shift);
                y[j] = (sbyte)Math.Clamp(scaled, sbyte.MinValue, sbyte.MaxValue);
            }
        }
    }
}
