using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer ADD, SUB, MUL, MAXIMUM, MINIMUM and PRELU with broadcasting, bit for bit as LiteRT computes them. In
/// TFLite's arithmetic (int16, and 8-bit outside XNNPACK's ranges): ADD and SUB bring both inputs to a common scale
/// (twice the larger input scale) after a left shift of 20 bits (15 for int16), add, and rescale to the output;
/// MUL rescales the product of the offset inputs by s1·s2/s_out (that ratio computed in float32, as TFLite does);
/// MAXIMUM and MINIMUM compare raw values (inputs and output share one scale); PRELU rescales x ≥ 0 by s_x/s_out
/// and x·alpha by s_x·s_alpha/s_out. 8-bit ADD, SUB and MUL follow XNNPACK, which LiteRT runs for them (see
/// <see cref="AddSub.UseSingleShift"/> and <see cref="Mul.UseFloatScale"/>).
/// </summary>
internal sealed unsafe class Elementwise : Kernel
{
    private readonly BuiltinOperator op;
    private readonly Broadcast broadcast;
    private readonly AddSub addSub;
    private readonly Mul mul;
    private readonly Prelu prelu;
    private readonly TensorType type;
    private readonly int a;
    private readonly int b;
    private readonly int output;

    private Elementwise(KernelSetup s)
    {
        op = s.Op.Code.Builtin;
        var x = s.Input(0);
        var y = s.Input(1);
        var z = s.Output(0);
        s.Require(x.Type == z.Type && y.Type == z.Type, $"inputs {x}, {y} and output {z} must have the same type");
        var qx = QuantInfo.Of(s, x);
        var qy = QuantInfo.Of(s, y);
        var qz = QuantInfo.Of(s, z);
        broadcast = new Broadcast(s, x, y, z);
        switch (op)
        {
            case BuiltinOperator.ADD:
            case BuiltinOperator.SUB:
            {
                var add = op == BuiltinOperator.ADD;
                var activation = add ? s.Options<AddOptionsT>().FusedActivationFunction : s.Options<SubOptionsT>().FusedActivationFunction;
                var pot = add ? s.Options<AddOptionsT>().PotScaleInt16 : s.Options<SubOptionsT>().PotScaleInt16;
                if (z.Type == TensorType.INT16 && pot && IsPowerOfTwo(qx.Scale) && IsPowerOfTwo(qy.Scale) && IsPowerOfTwo(qz.Scale))
                {
                    throw s.Unsupported("int16 ADD/SUB with power-of-two scales (pot_scale_int16) is not supported");
                }
                var leftShift = z.Type == TensorType.INT16 ? 15 : 20;
                var twiceMax = 2.0 * Math.Max(qx.Scale, qy.Scale);
                var (m1, s1) = FixedPoint.Quantize(qx.Scale / twiceMax);
                var (m2, s2) = FixedPoint.Quantize(qy.Scale / twiceMax);
                var (mo, so) = FixedPoint.Quantize(twiceMax / ((1 << leftShift) * (double)qz.Scale));
                var (lo, hi) = qz.ActivationRange(activation, s);
                addSub = new AddSub
                {
                    Subtract = !add, LeftShift = leftShift, ZeroA = qx.ZeroPoint, ZeroB = qy.ZeroPoint, OutZero = qz.ZeroPoint,
                    MulA = m1, ShiftA = s1, MulB = m2, ShiftB = s2, MulOut = mo, ShiftOut = so, Min = lo, Max = hi,
                };
                if (z.Type is TensorType.INT8 or TensorType.UINT8)
                {
                    addSub.UseSingleShift(qx.Scale / qz.Scale, qy.Scale / qz.Scale);
                }
                break;
            }
            case BuiltinOperator.MUL:
            {
                // TFLite computes the ratio s1·s2/s_out in float32 before widening it to double; the last bit of
                // that float moves the fixed-point multiplier enough to flip products that land near .5.
                var (m, sh) = FixedPoint.Quantize(qx.Scale * qy.Scale / qz.Scale);
                var (lo, hi) = qz.ActivationRange(s.Options<MulOptionsT>().FusedActivationFunction, s);
                mul = new Mul { ZeroA = qx.ZeroPoint, ZeroB = qy.ZeroPoint, OutZero = qz.ZeroPoint, Multiplier = m, Shift = sh, Min = lo, Max = hi };
                if (z.Type is TensorType.INT8 or TensorType.UINT8)
                {
                    mul.UseFloatScale(qx.Scale * qy.Scale / qz.Scale);
                }
                break;
            }
            case BuiltinOperator.PRELU:
            {
                var (m1, s1) = FixedPoint.Quantize((double)qx.Scale / qz.Scale);
                var (m2, s2) = FixedPoint.Quantize((double)qx.Scale * qy.Scale / qz.Scale);
                prelu = new Prelu
                {
                    ZeroX = qx.ZeroPoint, ZeroAlpha = qy.ZeroPoint, OutZero = qz.ZeroPoint,
                    MulPositive = m1, ShiftPositive = s1, MulNegative = m2, ShiftNegative = s2, Min = qz.Min, Max = qz.Max,
                };
                break;
            }
            default:
                s.Require(qx.Scale == qz.Scale && qy.Scale == qz.Scale && qx.ZeroPoint == qz.ZeroPoint && qy.ZeroPoint == qz.ZeroPoint,
                    $"{op} needs inputs and output with the same quantization");
                break;
        }
        type = z.Type;
        a = x.Index;
        b = y.Index;
        output = z.Index;
    }

    public static Kernel Create(KernelSetup s) => new Elementwise(s);

    private static bool IsPowerOfTwo(float scale)
    {
        var log = Math.Log2(scale);
        return Math.Abs(log - Math.Round(log)) < 1e-3;
    }

    public override void Run(RunContext context)
    {
        switch (type)
        {
            case TensorType.INT8: Run<sbyte>(context); break;
            case TensorType.UINT8: Run<byte>(context); break;
            default: Run<short>(context); break;
        }
    }

    private void Run<T>(RunContext context) where T : unmanaged, IBinaryInteger<T>
    {
        var x = context.P<T>(a);
        var y = context.P<T>(b);
        var z = context.P<T>(output);
        switch (op)
        {
            case BuiltinOperator.ADD:
            case BuiltinOperator.SUB:
                var addSubOp = addSub;
                broadcast.RunVectorized(x, y, z, ref addSubOp, context.Pool);
                break;
            case BuiltinOperator.MUL:
                var mulOp = mul;
                broadcast.RunVectorized(x, y, z, ref mulOp, context.Pool);
                break;
            case BuiltinOperator.PRELU:
                var preluOp = prelu;
                broadcast.Run(x, y, z, ref preluOp);
                break;
            case BuiltinOperator.MAXIMUM:
                var maxOp = default(Maximum);
                broadcast.RunVectorized(x, y, z, ref maxOp, context.Pool);
                break;
            default:
                var minOp = default(Minimum);
                broadcast.RunVectorized(x, y, z, ref minOp, context.Pool);
                break;
        }
    }

    private struct AddSub : IVectorQuantizedBinary
    {
        public bool Subtract;
        public int LeftShift, ZeroA, ZeroB, OutZero, MulA, ShiftA, MulB, ShiftB, MulOut, ShiftOut, Min, Max;

        // XNNPACK's int8 ADD and SUB, which LiteRT runs: 20-bit multipliers of the two input/output scale ratios
        // (the second negated for SUB), one rounding shift. TFLite's reference (three fixed-point multiplies)
        // differs from it by one step on a few elements, which compounds through residual networks
        // (docs/quantized-agreement.md).
        public bool SingleShift;
        public int SingleMulA, SingleMulB, SingleBias, SingleShiftBits;

        public void UseSingleShift(float ratioA, float ratioB)
        {
            const float Min = 1f / 1024, Max = 256f;
            if (ratioA is < Min or >= Max || ratioB is < Min or >= Max)
            {
                return; // outside XNNPACK's range: LiteRT keeps TFLite's arithmetic
            }
            var largest = MathF.Max(ratioA, ratioB);
            var exponent = (int)(BitConverter.SingleToUInt32Bits(largest) >> 23) - 127;
            var shift = 20 - exponent;
            SingleMulA = (int)MathF.Round(MathF.ScaleB(ratioA, shift), MidpointRounding.ToEven);
            SingleMulB = (int)MathF.Round(MathF.ScaleB(ratioB, shift), MidpointRounding.ToEven);
            if (Subtract)
            {
                SingleMulB = -SingleMulB;
            }
            SingleBias = (1 << (shift - 1)) - SingleMulA * ZeroA - SingleMulB * ZeroB;
            SingleShiftBits = shift;
            SingleShift = true;
        }

        public readonly int Apply(int a, int b)
        {
            if (SingleShift)
            {
                var sum = (SingleBias + a * SingleMulA + b * SingleMulB) >> SingleShiftBits;
                return Math.Clamp(sum + OutZero, Min, Max);
            }
            var sa = FixedPoint.MultiplyByQuantizedMultiplier((a - ZeroA) * (1 << LeftShift), MulA, ShiftA);
            var sb = FixedPoint.MultiplyByQuantizedMultiplier((b - ZeroB) * (1 << LeftShift), MulB, ShiftB);
            var raw = Subtract ? sa - sb : sa + sb;
            return Math.Clamp(FixedPoint.MultiplyByQuantizedMultiplier(raw, MulOut, ShiftOut) + OutZero, Min, Max);
        }

        // Only the single-shift form has a vector version: its products stay below 2^29, so int32 lanes are exact.
        public readonly bool Vectorized => SingleShift;

        public readonly Vector256<int> Apply(Vector256<int> a, Vector256<int> b)
        {
            var sum = Vector256.Create(SingleBias) + a * Vector256.Create(SingleMulA) + b * Vector256.Create(SingleMulB);
            var shifted = Vector256.ShiftRightArithmetic(sum, SingleShiftBits) + Vector256.Create(OutZero);
            return Vector256.Min(Vector256.Max(shifted, Vector256.Create(Min)), Vector256.Create(Max));
        }
    }

    private struct Mul : IVectorQuantizedBinary
    {
        public int ZeroA, ZeroB, OutZero, Multiplier, Shift, Min, Max;

        // XNNPACK's 8-bit MUL, which LiteRT runs: the integer product rescaled by s1·s2/s_out in float32 and
        // rounded to nearest even (TFLite's fixed-point multiply differs by one step on up to 1 % of elements).
        public float FloatScale;

        public void UseFloatScale(float scale)
        {
            // XNNPACK takes ratios in [2^-16, 2^8); LiteRT leaves others to TFLite's kernel.
            if (scale >= 1f / 65536 && scale < 256f)
            {
                FloatScale = scale;
            }
        }

        public readonly int Apply(int a, int b)
        {
            var product = (a - ZeroA) * (b - ZeroB);
            var scaled = FloatScale > 0
                ? (int)MathF.Round(product * FloatScale, MidpointRounding.ToEven)
                : FixedPoint.MultiplyByQuantizedMultiplier(product, Multiplier, Shift);
            return Math.Clamp(scaled + OutZero, Min, Max);
        }

        public readonly bool Vectorized => FloatScale > 0;

        public readonly Vector256<int> Apply(Vector256<int> a, Vector256<int> b)
        {
            // |product| < 2^17 converts to float exactly; the float-to-int conversion rounds to nearest even, as
            // the scalar MathF.Round does.
            var product = (a - Vector256.Create(ZeroA)) * (b - Vector256.Create(ZeroB));
            var scaled = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.ConvertToVector256Single(product), Vector256.Create(FloatScale)));
            return Vector256.Min(Vector256.Max(scaled + Vector256.Create(OutZero), Vector256.Create(Min)), Vector256.Create(Max));
        }
    }

    private struct Prelu : IQuantizedBinary
    {
        public int ZeroX, ZeroAlpha, OutZero, MulPositive, ShiftPositive, MulNegative, ShiftNegative, Min, Max;

        public readonly int Apply(int x, int alpha)
        {
            var v = x - ZeroX;
            var scaled = v >= 0
                ? FixedPoint.MultiplyByQuantizedMultiplier(v, MulPositive, ShiftPositive)
                : FixedPoint.MultiplyByQuantizedMultiplier(v * (alpha - ZeroAlpha), MulNegative, ShiftNegative);
            return Math.Clamp(scaled + OutZero, Min, Max);
        }
    }

    private struct Maximum : IVectorQuantizedBinary
    {
        public readonly int Apply(int a, int b) => Math.Max(a, b);

        public readonly bool Vectorized => true;

        public readonly Vector256<int> Apply(Vector256<int> a, Vector256<int> b) => Vector256.Max(a, b);
    }

    private struct Minimum : IVectorQuantizedBinary
    {
        public readonly int Apply(int a, int b) => Math.Min(a, b);

        public readonly bool Vectorized => true;

        public readonly Vector256<int> Apply(Vector256<int> a, Vector256<int> b) => Vector256.Min(a, b);
    }
}
