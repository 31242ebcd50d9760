namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// TFLite's 8-bit HARD_SWISH, x·relu6(x + 3)/6, in 16-bit fixed point: the offset input is taken to a "hi-res"
/// scale (·2^7), multiplied onto the output scale by an int16 multiplier, and by a "relu-ish" factor in [0, 1] that
/// is the input rescaled so ±3 maps to ±2^15 (saturating), shifted to [0, 1]; the product is truncated (not rounded,
/// which TFLite found to cancel the earlier roundings' bias) and shifted to the output.
/// </summary>
internal sealed class QuantizedHardSwish
{
    private readonly int inputZero, outputZero;
    private readonly int outputMultiplier, outputExponent;
    private readonly int reluishMultiplier, reluishExponent;

    public QuantizedHardSwish(float inputScale, int inputZero, float outputScale, int outputZero)
    {
        this.inputZero = inputZero;
        this.outputZero = outputZero;
        // Float32 arithmetic for the real multipliers, as TFLite's Prepare.
        var hiresInputScale = 1f / 128f * inputScale;
        const float ReluishScale = 3f / 32768f;
        (outputMultiplier, outputExponent) = Int16Multiplier(hiresInputScale / outputScale);
        (reluishMultiplier, reluishExponent) = Int16Multiplier(hiresInputScale / ReluishScale);
    }

    /// <summary>The output exponent must not be positive (TFLite refuses such scales at prepare).</summary>
    public bool OutputShiftIsValid => outputExponent <= 0;

    /// <summary>A real multiplier as a 16-bit mantissa (rounded from the 32-bit one) and an exponent.</summary>
    private static (int Multiplier, int Exponent) Int16Multiplier(float real)
    {
        var (m32, exponent) = FixedPoint.Quantize(real);
        var m16 = m32 >= int.MaxValue - (1 << 15) ? short.MaxValue : (m32 + (1 << 15)) >> 16;
        return (m16, exponent);
    }

    private static int Wrap(int x) => (short)x;

    private static int SaturatingLeftShift(int x, int amount) => Math.Clamp(x * (1 << amount), short.MinValue, short.MaxValue);

    /// <summary>round(a·b / 2^15), saturating −1·−1 (gemmlowp's int16 rounding doubling high multiply).</summary>
    private static int RoundingHighMul(int a, int b)
    {
        if (a == short.MinValue && b == short.MinValue)
        {
            return short.MaxValue;
        }
        var ab = a * b;
        return Wrap((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / (1 << 15));
    }

    /// <summary>a·b / 2^15 truncated toward zero, saturating −1·−1.</summary>
    private static int TruncatingHighMul(int a, int b) =>
        a == short.MinValue && b == short.MinValue ? short.MaxValue : Wrap(a * b / (1 << 15));

    public int Apply(int q, int min, int max)
    {
        var input = Wrap(q - inputZero);
        var hires = Wrap(input * (1 << 7));
        var preshiftOutput = RoundingHighMul(hires, outputMultiplier);
        var reluish = hires;
        // Left shifts saturate; all but the last bit happen before the multiply so that saturation is decided last.
        if (reluishExponent > 0)
        {
            reluish = SaturatingLeftShift(reluish, reluishExponent - 1);
        }
        reluish = RoundingHighMul(reluish, reluishMultiplier);
        if (reluishExponent > 0)
        {
            reluish = SaturatingLeftShift(reluish, 1);
        }
        if (reluishExponent < 0)
        {
            reluish = Wrap(FixedPoint.RoundingDivideByPot(reluish, -reluishExponent));
        }
        // [-1, 1] → [0, 1].
        reluish = Wrap((reluish + (1 << 15)) >> 1);
        var preshift = TruncatingHighMul(reluish, preshiftOutput);
        var output = Wrap(FixedPoint.RoundingDivideByPot(preshift, -outputExponent)) + outputZero;
        return Math.Clamp(output, min, max);
    }
}
