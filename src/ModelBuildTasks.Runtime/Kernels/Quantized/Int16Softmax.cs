using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// int16 SOFTMAX over the last dimension (zero points 0, output scale 1/32768), as TFLite's reference kernel that
/// LiteRT runs: each difference to the row's maximum is rescaled so [−65535, 0] spans [−10, 0], exp is read from a
/// 513-entry table with interpolation, the int32 sum is normalized and its reciprocal read from a second table of
/// 1/(1 + x) on [0, 1], and each exp is multiplied by it with one rounding shift.
/// </summary>
internal sealed unsafe class Int16Softmax : Kernel
{
    private readonly short[] expTable;
    private readonly short[] reciprocalTable;
    private readonly int multiplier, shift;
    private readonly int rows, depth;
    private readonly int input, output;

    private Int16Softmax(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(y, TensorType.INT16);
        var qx = QuantInfo.Of(s, x);
        var qy = QuantInfo.Of(s, y);
        s.Require(qx.ZeroPoint == 0 && qy.ZeroPoint == 0, "int16 SOFTMAX needs zero point 0 on input and output");
        s.Require(Math.Abs(qy.Scale - 1f / 32768) <= 0.001f / 32768, $"output {y} must have scale 1/32768");
        if (x.Rank is < 1 or > 4)
        {
            throw s.Unsupported($"int16 SOFTMAX supports 1 to 4 dimensions, not {x.Rank} ({x})");
        }
        s.Require(x.ElementCount == y.ElementCount, $"input {x} and output {y} must have the same size");
        const double Range = 65535;
        expTable = Int16Table.Build(10.0 / Range, short.MaxValue, 2.0 / Range, 0, Math.Exp);
        reciprocalTable = Int16Table.Build(1.0 / Range, short.MinValue, 2.0 / Range, 0, v => 1.0 / (1.0 + v));
        // β·s_in in float32, then rescaled in double so that a difference of −65535 steps reads as −10.
        var beta = s.Options<SoftmaxOptionsT>().Beta;
        (multiplier, shift) = FixedPoint.Quantize(qx.Scale * beta / (10.0 / 65535.0));
        depth = x.Dim(-1);
        rows = depth == 0 ? 0 : checked((int)(x.ElementCount / depth));
        ScratchBytesPerThread = ((long)depth + 16) * sizeof(short);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Int16Softmax(s);

    public override void Run(RunContext context)
    {
        var src = context.P<short>(input);
        var dst = context.P<short>(output);
        var exps = (short*)context.Scratch(0);
        fixed (short* expLut = expTable, reciprocalLut = reciprocalTable)
        {
            for (var r = 0; r < rows; r++)
            {
                var x = src + (nint)r * depth;
                var y = dst + (nint)r * depth;
                int max = short.MinValue;
                for (var j = 0; j < depth; j++)
                {
                    max = Math.Max(max, x[j]);
                }
                var sum = 0;
                for (var j = 0; j < depth; j++)
                {
                    var scaled = unchecked(FixedPoint.MultiplyByQuantizedMultiplier(x[j] - max, multiplier, shift) + 32767);
                    exps[j] = Int16Table.Lookup(expLut, Math.Clamp(scaled, short.MinValue, short.MaxValue));
                    sum += exps[j];
                }
                // Normalize the sum to [1, 2) in Q1.14 and look up 1/(1 + (sum − 1)), recentred to the table's range.
                var headroomPlusOne = System.Numerics.BitOperations.LeadingZeroCount((uint)sum);
                var shifted = (int)((((long)sum << (headroomPlusOne - 1)) + (1 << 13)) >> 14);
                var reciprocal = Int16Table.Lookup(reciprocalLut, Math.Clamp(shifted - ((1 << 15) + (1 << 16)), short.MinValue, short.MaxValue));
                var rightShift = 31 - headroomPlusOne;
                var round = 1L << (rightShift - 1);
                for (var j = 0; j < depth; j++)
                {
                    var result = (int)(((long)exps[j] * reciprocal + round) >> rightShift);
                    y[j] = (short)Math.Clamp(result, 0, short.MaxValue);
                }
            }
        }
    }
}

/// <summary>
/// TFLite's 513-entry int16 function tables: 512 samples of f over the input range, each biased by half the error
/// linear interpolation makes at the segment's midpoint, plus f(max) for the last slope; read with 7-bit
/// interpolation between entries.
/// </summary>
internal static unsafe class Int16Table
{
    public static short[] Build(double inputScale, int inputZero, double outputScale, int outputZero, Func<double, double> f)
    {
        var inputMin = inputScale * (short.MinValue - inputZero);
        var inputMax = inputScale * (short.MaxValue - inputZero);
        var outputMin = outputScale * (short.MinValue - outputZero);
        var outputMax = outputScale * (short.MaxValue - outputZero);
        const int Steps = 512;
        var step = (inputMax - inputMin) / Steps;
        var halfStep = step / 2;
        var inverse = 65536.0 / (outputMax - outputMin);
        var table = new short[Steps + 1];
        for (var i = 0; i < Steps; i++)
        {
            var value = f(inputMin + i * step);
            var midpoint = f(inputMin + i * step + halfStep);
            var next = f(inputMin + (i + 1) * step);
            var sample = Round(value * inverse);
            var interpolated = Round((next * inverse + Round(value * inverse)) / 2);
            var bias = Round((interpolated - Round(midpoint * inverse)) / 2);
            table[i] = (short)Math.Clamp(sample - bias, short.MinValue, short.MaxValue);
        }
        table[Steps] = (short)Math.Clamp(Round(f(inputMax) * inverse), short.MinValue, short.MaxValue);
        return table;
    }

    private static double Round(double v) => Math.Round(v, MidpointRounding.AwayFromZero);

    /// <summary>The table at a Q0.15 input: entry 256 + (v ≫ 7) plus the slope times the low 7 bits, rounded.</summary>
    public static short Lookup(short* table, int value)
    {
        var index = 256 + (value >> 7);
        var offset = value & 0x7F;
        int b = table[index];
        var slope = (short)(table[index + 1] - b);
        return (short)(b + ((slope * offset + 64) >> 7));
    }
}
