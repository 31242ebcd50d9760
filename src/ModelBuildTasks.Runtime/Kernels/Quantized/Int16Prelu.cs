using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// 16x8 PRELU: int16 input and output, int8 alpha (a weight in the 16x8 scheme), alpha broadcast against the input.
/// TFLite's arithmetic is the 8-bit one: x ≥ 0 is rescaled by s_x/s_out, x &lt; 0 by (x·alpha)·s_x·s_alpha/s_out,
/// each with an int32 fixed-point multiplier. LiteRT reads the alpha buffer as int8 whatever its declared type, so
/// an int16 alpha is refused here rather than reinterpreted.
/// </summary>
internal sealed unsafe class Int16Prelu : Kernel
{
    private readonly Broadcast broadcast;
    private readonly PreluOp prelu;
    private readonly short[] alphaWide;
    private readonly int input;
    private readonly int alpha;
    private readonly int output;

    private Int16Prelu(KernelSetup s)
    {
        var x = s.Input(0);
        var a = s.Input(1);
        var y = s.Output(0);
        s.RequireType(x, TensorType.INT16);
        if (a.Type != TensorType.INT8)
        {
            throw s.Unsupported($"int16 PRELU needs an int8 alpha (TFLite's 16x8 form), not {TensorTypes.Name(a.Type)}");
        }
        var qx = QuantInfo.Of(s, x);
        var qa = QuantInfo.Of(s, a);
        var qy = QuantInfo.Of(s, y);
        s.RequireSameShape(x, y);
        broadcast = new Broadcast(s, x, a, y);
        // TFLite forms both real multipliers in float32 arithmetic before quantizing them; in double, products of
        // large |x·alpha| land one step off.
        var (m1, s1) = FixedPoint.Quantize(qx.Scale / qy.Scale);
        var (m2, s2) = FixedPoint.Quantize(qx.Scale * qa.Scale / qy.Scale);
        prelu = new PreluOp
        {
            ZeroX = qx.ZeroPoint, ZeroAlpha = qa.ZeroPoint, OutZero = qy.ZeroPoint,
            MulPositive = m1, ShiftPositive = s1, MulNegative = m2, ShiftNegative = s2,
        };
        alphaWide = new short[a.ElementCount];
        input = x.Index;
        alpha = a.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Int16Prelu(s);

    public override void Run(RunContext context)
    {
        var a = context.P<sbyte>(alpha);
        fixed (short* wide = alphaWide)
        {
            // Alpha is small (usually one value per channel): widen it so both operands share the int16 broadcast loop.
            IntElements.Widen(a, wide, alphaWide.Length);
            var op = prelu;
            broadcast.Run(context.P<short>(input), wide, context.P<short>(output), ref op);
        }
    }

    private struct PreluOp : IQuantizedBinary
    {
        public int ZeroX, ZeroAlpha, OutZero, MulPositive, ShiftPositive, MulNegative, ShiftNegative;

        public readonly int Apply(int x, int alpha)
        {
            var v = x - ZeroX;
            var scaled = v >= 0
                ? FixedPoint.MultiplyByQuantizedMultiplier(v, MulPositive, ShiftPositive)
                : FixedPoint.MultiplyByQuantizedMultiplier(v * (alpha - ZeroAlpha), MulNegative, ShiftNegative);
            return Math.Clamp(scaled + OutZero, short.MinValue, short.MaxValue);
        }
    }
}
