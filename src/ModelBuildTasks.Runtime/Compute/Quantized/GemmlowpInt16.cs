namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// gemmlowp's 16-bit fixed-point logistic and tanh, which LiteRT runs for int16 LOGISTIC/TANH when the input scale is
/// exactly the power of two its table kernel is not used for (input raw value = x·2^12, output raw = y·2^15).
/// Values are int16 raws in Qm.(15−m) formats; additions wrap like C++'s int16 stores, products are rounding doubling
/// high multiplies, and the functions are gemmlowp's: exp(x) for x ≤ 0 by a Taylor series around −1/8 on [−1/4, 0)
/// times a barrel of exp(−2^k) factors, and 1/(1+x) or (1−x)/(1+x) on (0, 1) by three Newton–Raphson steps.
/// </summary>
internal static class GemmlowpInt16
{
    // Constants as round(v·2^15) (Q0.15) or round(v·2^13) (Q2.13).
    private const int ExpMinusOneEighth = 28918;
    private const int OneThird = 10923;
    private const int FortyEightOverSeventeen = 23130;
    private const int MinusThirtyTwoOverSeventeen = -15420;

    /// <summary>exp(−2^k) in Q0.15 for k = −2 … 3 (the barrel-shifter factors).</summary>
    private static readonly int[] ExpMinusPowerOfTwo = [25520, 19875, 12055, 4435, 600, 11];

    private static int Wrap(int x) => (short)x;

    /// <summary>round(a·b / 2^15), saturating −1·−1.</summary>
    private static int Mul(int a, int b)
    {
        if (a == short.MinValue && b == short.MinValue)
        {
            return short.MaxValue;
        }
        var ab = a * b;
        var nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
        return Wrap((ab + nudge) / (1 << 15));
    }

    private static int RoundingDivideByPot(int x, int exponent) => Wrap(FixedPoint.RoundingDivideByPot(x, exponent));

    /// <summary>x·2^exponent, saturating for exponent &gt; 0, rounding for exponent &lt; 0.</summary>
    private static int MultiplyByPot(int x, int exponent)
    {
        if (exponent < 0)
        {
            return RoundingDivideByPot(x, -exponent);
        }
        var threshold = (1 << (15 - exponent)) - 1;
        return x > threshold ? short.MaxValue : x < -threshold ? short.MinValue : Wrap(x << exponent);
    }

    private static int SaturatingAdd(int a, int b) => Math.Clamp(a + b, short.MinValue, short.MaxValue);

    private static int RoundingHalfSum(int a, int b)
    {
        var sum = a + b;
        return Wrap((sum + (sum >= 0 ? 1 : -1)) / 2);
    }

    /// <summary>exp(a) for a in [−1/4, 0), Q0.15 in and out.</summary>
    private static int ExpOnQuarterInterval(int a)
    {
        var x = Wrap(a + (1 << 12));
        var x2 = Mul(x, x);
        var x3 = Mul(x2, x);
        var x4 = Mul(x2, x2);
        var x4Over4 = MultiplyByPot(x4, -2);
        var poly = MultiplyByPot(Wrap(Mul(Wrap(x4Over4 + x3), OneThird) + x2), -1);
        return SaturatingAdd(ExpMinusOneEighth, Mul(ExpMinusOneEighth, Wrap(x + poly)));
    }

    /// <summary>exp(a) for a ≤ 0 given in Q<paramref name="integerBits"/>; result in Q0.15.</summary>
    private static int ExpOnNegativeValues(int a, int integerBits)
    {
        var fractionalBits = 15 - integerBits;
        var oneQuarter = 1 << (fractionalBits - 2);
        var aModQuarterMinusQuarter = Wrap((a & (oneQuarter - 1)) - oneQuarter);
        var result = ExpOnQuarterInterval(MultiplyByPot(aModQuarterMinusQuarter, integerBits));
        var remainder = Wrap(aModQuarterMinusQuarter - a);
        for (var k = -2; k <= 3 && integerBits > k; k++)
        {
            if ((remainder & (1 << (fractionalBits + k))) != 0)
            {
                result = Mul(result, ExpMinusPowerOfTwo[k + 2]);
            }
        }
        return a == 0 ? short.MaxValue : result;
    }

    /// <summary>1/d in Q2.13 for d = (1 + a)/2 in [1/2, 1) (Q0.15), by three Newton–Raphson steps from 48/17 − 32/17·d.</summary>
    private static int Reciprocal(int halfDenominator)
    {
        var x = Wrap(FortyEightOverSeventeen + Mul(halfDenominator, MinusThirtyTwoOverSeventeen));
        for (var i = 0; i < 3; i++)
        {
            var oneMinus = Wrap((1 << 13) - Mul(halfDenominator, x));
            x = Wrap(x + MultiplyByPot(Mul(x, oneMinus), 2));
        }
        return x;
    }

    /// <summary>logistic(a) for a raw Q3.12 input; Q0.15 output.</summary>
    public static int Logistic(int a)
    {
        if (a == 0)
        {
            return 1 << 14;
        }
        var magnitude = a > 0 ? a : Wrap(-a);
        var exp = ExpOnNegativeValues(Wrap(-magnitude), 3);
        // 1/(1 + e) = (2/(1 + e))/2: the Q2.13 reciprocal read as Q1.14, brought to Q0.15.
        var positive = MultiplyByPot(Reciprocal(RoundingHalfSum(exp, short.MaxValue)), 1);
        return a > 0 ? positive : Wrap(short.MaxValue - positive);
    }

    /// <summary>tanh(a) for a raw Q3.12 input; Q0.15 output.</summary>
    public static int Tanh(int a)
    {
        if (a == 0)
        {
            return 0;
        }
        var negative = a < 0 ? a : Wrap(-a);
        // −tanh(n) = (1 − e^{2n}) / (1 + e^{2n}) for n < 0; 2n is n read as Q4.11.
        var exp = ExpOnNegativeValues(negative, 4);
        var t = MultiplyByPot(Wrap(Reciprocal(RoundingHalfSum(exp, short.MaxValue)) - (1 << 13)), 2);
        return a < 0 ? Wrap(-t) : t;
    }

    /// <summary>x·2 saturating, TANH's input rescale when its input scale is 2^-11.</summary>
    public static int Double(int x) => MultiplyByPot(x, 1);
}
