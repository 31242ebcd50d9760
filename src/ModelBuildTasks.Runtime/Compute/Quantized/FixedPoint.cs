using System.Runtime.CompilerServices;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// TFLite's integer rescaling arithmetic. A real multiplier m is stored as an int32 mantissa q (fixed point at
/// bit 31, in [2^30, 2^31)) and a power-of-two exponent, m ≈ q·2^(shift−31). Applying it is a rounding
/// doubling high multiply followed by a rounding right shift, so results match the reference kernels bit for bit.
/// </summary>
internal static class FixedPoint
{
    /// <summary>Splits a non-negative real multiplier into mantissa and shift (round half away from zero).</summary>
    public static (int Multiplier, int Shift) Quantize(double real)
    {
        if (real == 0)
        {
            return (0, 0);
        }
        var (mantissa, shift) = Frexp(real);
        var q = (long)Math.Round(mantissa * (1L << 31), MidpointRounding.AwayFromZero);
        if (q == 1L << 31)
        {
            q /= 2;
            shift++;
        }
        if (shift < -31)
        {
            return (0, 0);
        }
        return ((int)q, shift);
    }

    /// <summary>C's frexp: real = mantissa·2^exponent with |mantissa| in [0.5, 1).</summary>
    private static (double Mantissa, int Exponent) Frexp(double value)
    {
        var exponent = 0;
        var m = Math.Abs(value);
        // Scale by powers of two only, so the mantissa stays exact.
        while (m >= 1.0)
        {
            m *= 0.5;
            exponent++;
        }
        while (m < 0.5)
        {
            m *= 2.0;
            exponent--;
        }
        return (Math.CopySign(m, value), exponent);
    }

    /// <summary>round(a·b / 2^31), saturating the single overflow case a = b = int.MinValue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SaturatingRoundingDoublingHighMul(int a, int b)
    {
        if (a == int.MinValue && b == int.MinValue)
        {
            return int.MaxValue;
        }
        var ab = (long)a * b;
        var nudge = ab >= 0 ? 1L << 30 : 1 - (1L << 30);
        // C++ integer division truncates toward zero; so does C#'s.
        return (int)((ab + nudge) / (1L << 31));
    }

    /// <summary>x / 2^exponent rounded to nearest, ties away from zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RoundingDivideByPot(int x, int exponent)
    {
        var mask = (1 << exponent) - 1;
        var remainder = x & mask;
        var threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /// <summary>x·m for an int32 accumulator (int8 kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MultiplyByQuantizedMultiplier(int x, int multiplier, int shift)
    {
        var left = shift > 0 ? shift : 0;
        var right = shift > 0 ? 0 : -shift;
        return RoundingDivideByPot(SaturatingRoundingDoublingHighMul(unchecked(x * (1 << left)), multiplier), right);
    }

    /// <summary>
    /// x·m for an int64 accumulator (16x8 kernels): the multiplier is reduced to 16 bits and applied with one
    /// rounding shift, as TFLite's int64 overload does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MultiplyByQuantizedMultiplier(long x, int multiplier, int shift)
    {
        var reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
        var totalShift = 15 - shift;
        var round = 1L << (totalShift - 1);
        var result = (x * reduced + round) >> totalShift;
        return (int)Math.Clamp(result, int.MinValue, int.MaxValue);
    }

    /// <summary>
    /// x·m rounded once, half up: (x·q + 2^(30−shift)) &gt;&gt; (31−shift) with the full 31-bit mantissa, TFLite's
    /// single-rounding arithmetic, which LiteRT's 16x8 FULLY_CONNECTED uses.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MultiplyByQuantizedMultiplierSingleRounding(long x, int multiplier, int shift)
    {
        var totalShift = 31 - shift;
        var result = (x * multiplier + (1L << (totalShift - 1))) >> totalShift;
        return (int)Math.Clamp(result, int.MinValue, int.MaxValue);
    }

    /// <summary>x·2^exponent for exponent &gt; 0, saturating to the int32 range (gemmlowp's multiply by a power of two).</summary>
    public static int SaturatingShiftLeft(int x, int exponent)
    {
        var threshold = (1 << (31 - exponent)) - 1;
        return x > threshold ? int.MaxValue : x < -threshold ? int.MinValue : x << exponent;
    }

    /// <summary>
    /// 1/√input as a multiplier and left shift (shift ≤ 0), by TFLite's fixed-point Newton–Raphson iteration
    /// (five steps from 1 in a format with 3 integer bits), for integer L2 normalization.
    /// </summary>
    public static (int Multiplier, int Shift) InverseSqrt(int input)
    {
        if (input <= 1)
        {
            return (int.MaxValue, 0);
        }
        var shift = 11;
        while (input >= 1 << 29)
        {
            input /= 4;
            shift++;
        }
        var pairs = (System.Numerics.BitOperations.LeadingZeroCount((uint)input) - 1) / 2 - 1;
        shift -= pairs;
        input <<= 2 * pairs;
        // Values with 3 integer bits: raw / 2^28.
        var x3input = input >> 1;
        var halfInput = RoundingDivideByPot(x3input, 1);
        const int HalfThree = (1 << 28) + (1 << 27);
        var x = 1 << 28;
        for (var i = 0; i < 5; i++)
        {
            // x³ has 9 integer bits; bring it back to 3.
            var cube = SaturatingShiftLeft(SaturatingRoundingDoublingHighMul(SaturatingRoundingDoublingHighMul(x, x), x), 6);
            var next = unchecked(SaturatingRoundingDoublingHighMul(HalfThree, x) - SaturatingRoundingDoublingHighMul(halfInput, cube));
            x = SaturatingShiftLeft(next, 3);
        }
        // Times √2/2 (no integer bits).
        x = SaturatingRoundingDoublingHighMul(x, 1518500250);
        if (shift < 0)
        {
            x <<= -shift;
            shift = 0;
        }
        return (x, -shift);
    }
}
