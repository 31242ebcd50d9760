using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// CONCATENATION of integer tensors. When every input shares the output's scale and zero point the bytes are
/// simply copied (the type-agnostic kernel); otherwise each input is rescaled into the output's quantization as
/// TFLite's 8-bit concatenation with scaling does: round(q·s_in/s_out − zp_in·s_in/s_out) + zp_out, clamped.
/// The rescaling is a lookup table per input.
/// </summary>
internal sealed unsafe class Concatenation : Kernel
{
    private readonly int[] inputs;
    private readonly int[][] tables;
    private readonly int[] offsets;
    private readonly long[] blockElements;
    private readonly long outer;
    private readonly TensorType type;
    private readonly int output;

    private Concatenation(KernelSetup s, QuantInfo y)
    {
        var z = s.Output(0);
        var o = s.Options<ConcatenationOptionsT>();
        var axis = o.Axis < 0 ? o.Axis + z.Rank : o.Axis;
        s.Require(axis >= 0 && axis < z.Rank, $"axis {o.Axis} is out of range for {z}");
        outer = 1;
        for (var d = 0; d < axis; d++)
        {
            outer *= z.Shape[d];
        }
        inputs = new int[s.InputCount];
        tables = new int[s.InputCount][];
        offsets = new int[s.InputCount];
        blockElements = new long[s.InputCount];
        var axisTotal = 0;
        for (var i = 0; i < s.InputCount; i++)
        {
            var x = s.Input(i);
            s.Require(x.Type == z.Type && x.Rank == z.Rank, $"input {x} does not match output {z}");
            for (var d = 0; d < z.Rank; d++)
            {
                s.Require(d == axis || x.Shape[d] == z.Shape[d], $"input {x} does not match output {z} outside axis {axis}");
            }
            axisTotal += x.Shape[axis];
            var q = QuantInfo.Of(s, x);
            var scale = q.Scale / y.Scale;
            var bias = -q.ZeroPoint * scale;
            offsets[i] = -q.Min;
            tables[i] = new int[q.Max - q.Min + 1];
            for (var v = q.Min; v <= q.Max; v++)
            {
                var r = MathF.Round(v * scale + bias, MidpointRounding.AwayFromZero) + y.ZeroPoint;
                tables[i][v - q.Min] = (int)Math.Clamp(r, y.Min, y.Max);
            }
            inputs[i] = x.Index;
            blockElements[i] = x.ElementCount / Math.Max(1, outer);
        }
        s.Require(axisTotal == z.Shape[axis], $"inputs do not add up to output {z} along axis {axis}");
        type = z.Type;
        output = z.Index;
    }

    public static Kernel Create(KernelSetup s)
    {
        var y = QuantInfo.Of(s, s.Output(0));
        for (var i = 0; i < s.InputCount; i++)
        {
            var x = QuantInfo.Of(s, s.Input(i));
            if (x.Scale != y.Scale || x.ZeroPoint != y.ZeroPoint)
            {
                return new Concatenation(s, y);
            }
        }
        return Float32.Concatenation.Create(s);
    }

    public override void Run(RunContext context)
    {
        switch (type)
        {
            case TensorType.INT8: Copy<sbyte>(context); break;
            case TensorType.UINT8: Copy<byte>(context); break;
            default: Copy<short>(context); break;
        }
    }

    private void Copy<T>(RunContext context) where T : unmanaged, IBinaryInteger<T>
    {
        var dst = context.P<T>(output);
        for (long o = 0; o < outer; o++)
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                var n = blockElements[i];
                var src = context.P<T>(inputs[i]) + o * n;
                fixed (int* table = tables[i])
                {
                    var lut = table + offsets[i];
                    for (long j = 0; j < n; j++)
                    {
                        IntElements.Set(dst, (nint)j, lut[IntElements.Get(src, (nint)j)]);
                    }
                }
                dst += n;
            }
        }
    }
}
