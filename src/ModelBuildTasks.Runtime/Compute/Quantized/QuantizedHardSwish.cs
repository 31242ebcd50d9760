namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// TFLite's 8-bit HARD_SWISH (x·relu6(x + 3)/6), which LiteRT runs for int8 and uint8 tensors, in its 16-bit fixed
/// point: the input, offset and shifted left by 7 bits, is rescaled once to the output scale and once to a "relu-ish"
/// scale on which ±3 maps to ±32768; the latter, saturated and moved to [0, 1], multiplies the former (truncating),
/// and a final rounding shift lands on the output scale. Both multipliers are float32 ratios cut to 16 bits.
/// A float evaluation rounded to the output scale differs from it by one step on up to 2 % of the elements.
/// </summary>
internal static class QuantizedHardSwish
{
    /// <summary>
    /// The function q_in → q_out, or null when the output multiplier would need a left shift (TFLite rejects such
    /// models; callers then evaluate in float).
    /// </summary>
    public static Func<int, int>? Create(QuantInfo input, QuantInfo output)
    {
        // As TFLite's Prepare computes them: ratios in float32, 31-bit multipliers rounded to 16 bits.
        var hiresInputScale = 1f / 128f * input.Scale;
        var (outputMultiplier, outputExponent) = FixedPoint.Quantize(hiresInputScale / output.Scale);
        var (reluishMultiplier, reluishExponent) = FixedPoint.Quantize(hiresInputScale / (3f / 32768f));
        if (outputExponent > 0)
        {
            return null;
        }
        var output16 = ToInt16Multiplier(outputMultiplier);
        var reluish16 = ToInt16Multiplier(reluishMultiplier);
        return q =>
        {
            var hires = (short)((q - input.ZeroPoint) * (1 << 7));
            var preshiftOutput = RoundingDoublingHighMul(hires, output16);
            var reluish = hires;
            if (reluishExponent > 0)
            {
                // Shift left by all but one bit first, so saturation there cannot change the result.
                reluish = SaturatingShiftLeft(reluish, reluishExponent - 1);
            }
            reluish = RoundingDoublingHighMul(reluish, reluish16);
            if (reluishExponent > 0)
            {
                reluish = SaturatingShiftLeft(reluish, 1);
            }
            else if (reluishExponent < 0)
            {
                reluish = RoundingDivideByPot(reluish, -reluishExponent);
            }
            // [-1, 1] → [0, 1] in Q15.
            reluish = (short)((reluish + (1 << 15)) >> 1);
            var preshift = TruncatingDoublingHighMul(reluish, preshiftOutput);
            return Math.Clamp(RoundingDivideByPot(preshift, -outputExponent) + output.ZeroPoint, output.Min, output.Max);
        };
    }

    /// <summary>The top 16 bits of a 31-bit multiplier, rounded (saturating at the top).</summary>
    private static short ToInt16Multiplier(int multiplier) =>
        multiplier >= int.MaxValue - (1 << 15) ? short.MaxValue : (short)((multiplier + (1 << 15)) >> 16);

    /// <summary>round(a·b / 2^15), ties away from zero, saturating the one overflow case.</summary>
    private static short RoundingDoublingHighMul(short a, short b)
    {
        if (a == short.MinValue && b == short.MinValue)
        {
            return short.MaxValue;
        }
        var product = a * b;
        var nudge = product >= 0 ? 1 << 14 : 1 - (1 << 14);
        return (short)((product + nudge) / (1 << 15));
    }

    /// <summary>a·b / 2^15 truncated toward zero, saturating the one overflow case.</summary>
    private static short TruncatingDoublingHighMul(short a, short b) =>
        a == short.MinValue && b == short.MinValue ? short.MaxValue : (short)(a * b / (1 << 15));

    private static short RoundingDivideByPot(short x, int exponent) => (short)FixedPoint.RoundingDivideByPot(x, exponent);

    private static short SaturatingShiftLeft(short value, int amount) =>
        (short)Math.Clamp((long)value << amount, short.MinValue, short.MaxValue);
}
