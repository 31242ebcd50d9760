namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// TFLite's int16 LOGISTIC and TANH (reference_integer_ops, which LiteRT runs for any input scale that is not the
/// one power of two its gemmlowp path takes). The input (zero point 0) is rescaled to units of 1/(3·4096), so
/// ±2^17 spans ±10.7; |x| then indexes a 256-entry table of sigmoid(i/24) in 0.16 fixed point with linear
/// interpolation on the low bits (9 bits for logistic, 8 for tanh via tanh(x) = 2·sigmoid(2x) − 1), and the result
/// is rounded back to the output's fixed scale 2^-15.
/// </summary>
internal static class Int16Sigmoid
{
    /// <summary>Entries where TFLite's table is one above round(65536·sigmoid(i/24)) (its last entry is 65535).</summary>
    private static readonly int[] RoundedUp =
    [
        4, 8, 12, 14, 15, 16, 17, 19, 20, 21, 22, 25, 27, 28, 29, 30, 31, 33, 34, 35, 37, 39, 40, 41, 43, 44, 45, 46, 49,
        50, 54, 62, 63, 64, 66, 82, 86, 93, 100, 103, 112, 116, 135, 255,
    ];

    /// <summary>sigmoid(i/24) for i = 0..255 in 0.16 fixed point, as TFLite tabulates it.</summary>
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = (uint)Math.Round(65536.0 / (1.0 + Math.Exp(-i / 24.0)), MidpointRounding.AwayFromZero);
        }
        foreach (var i in RoundedUp)
        {
            table[i]++;
        }
        return table;
    }

    /// <summary>
    /// The input rescaling for a (non power-of-two) input scale: multiplier·q / 2^shift is the input in units of
    /// 1/(3·4096). The multiplier is doubled until it exceeds 32767/2 and then truncated, as TFLite prepares it.
    /// </summary>
    public static (int Multiplier, int Shift) InputRescale(float inputScale)
    {
        var multiplier = inputScale * 4096.0 * 3.0;
        var shift = 0;
        while (multiplier <= 32767.0 / 2.0 && shift <= 30)
        {
            shift++;
            multiplier *= 2.0;
        }
        return ((int)multiplier, shift);
    }

    private static int Rescale(int q, int multiplier, int shift)
    {
        var round = shift > 0 ? 1 << (shift - 1) : 0;
        // int32 arithmetic that wraps, as the reference kernel's does for extreme scales.
        return unchecked(q * multiplier + round) >> shift;
    }

    /// <summary>int16 logistic of raw input <paramref name="q"/>; output scale 2^-15, zero point 0.</summary>
    public static int Logistic(int q, int multiplier, int shift)
    {
        var x = Rescale(q, multiplier, shift);
        var magnitude = (uint)Math.Abs((long)x);
        var index = magnitude >> 9;
        uint result;
        if (index >= 255)
        {
            result = 0x7FFFu << 10;
        }
        else
        {
            var a = Table[index];
            var b = Table[index + 1];
            result = (a << 9) + (magnitude & 0x1FF) * (b - a);
        }
        // sigmoid(−x) = 1 − sigmoid(x); the constants round the 2^-25 result to 2^-15.
        result = x >= 0 ? result + (1u << 9) : unchecked((1u << 25) - result + (1u << 9) - 1);
        return (short)(result >> 10);
    }

    /// <summary>int16 tanh of raw input <paramref name="q"/>; output scale 2^-15, zero point 0.</summary>
    public static int Tanh(int q, int multiplier, int shift)
    {
        var x = Rescale(q, multiplier, shift);
        var magnitude = (uint)Math.Abs((long)x);
        var index = magnitude >> 8;
        int result;
        if (index >= 255)
        {
            result = 0xFFFF << 8;
        }
        else
        {
            var a = Table[index];
            var b = Table[index + 1];
            result = unchecked((int)((a << 8) + (magnitude & 0xFF) * (b - a)));
        }
        // tanh = 2·sigmoid(2x) − 1: subtract one half (2^23 in this format) and round to 2^-15.
        result = x >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
        return (short)(result >> 8);
    }
}
