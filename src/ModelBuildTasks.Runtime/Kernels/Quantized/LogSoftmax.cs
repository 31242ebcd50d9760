using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// 8-bit LOG_SOFTMAX over the last dimension (int8 → int8 with output scale 16/256 and zero point 127, uint8 → uint8
/// with 16/256 and 255), as TFLite's optimized kernel that LiteRT runs: a float table of exp(−s_in·d) for the 256
/// distances d to the row's maximum, the float sum's log, then (s_in·x − (s_in·max + log Σ)) / s_out rounded half to
/// even, all in float32.
/// </summary>
internal sealed unsafe class LogSoftmax : Kernel
{
    private readonly float[] table = new float[256];
    private readonly QuantInfo inInfo;
    private readonly QuantInfo outInfo;
    private readonly int rows;
    private readonly int depth;
    private readonly int input;
    private readonly int output;

    private LogSoftmax(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        inInfo = QuantInfo.Of(s, x);
        outInfo = QuantInfo.Of(s, y);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        if (!inInfo.IsInteger8)
        {
            throw s.Unsupported($"LOG_SOFTMAX of {x} has no kernel: only 8-bit inputs are supported");
        }
        var zero = x.Type == TensorType.INT8 ? 127 : 255;
        s.Require(outInfo.Scale == 16f / 256 && outInfo.ZeroPoint == zero, $"output {y} must have scale 16/256 and zero point {zero}");
        s.Require(x.ElementCount == y.ElementCount && x.Rank >= 1, $"input {x} and output {y} must have the same size");
        var scale = -inInfo.Scale;
        for (var d = 0; d < 256; d++)
        {
            table[d] = MathF.Exp(scale * d);
        }
        depth = x.Dim(-1);
        rows = depth == 0 ? 0 : checked((int)(x.ElementCount / depth));
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new LogSoftmax(s);

    public override void Run(RunContext context)
    {
        if (inInfo.Type == TensorType.INT8)
        {
            Rows(context.P<sbyte>(input), context.P<sbyte>(output));
        }
        else
        {
            Rows(context.B(input), context.B(output));
        }
    }

    private void Rows<T>(T* src, T* dst) where T : unmanaged, IBinaryInteger<T>
    {
        var inScale = inInfo.Scale;
        var outScale = outInfo.Scale;
        var ratio = inScale / outScale;
        fixed (float* exp = table)
        {
            for (var r = 0; r < rows; r++)
            {
                var x = src + (nint)r * depth;
                var y = dst + (nint)r * depth;
                var max = outInfo.Min;
                for (var j = 0; j < depth; j++)
                {
                    max = Math.Max(max, IntElements.Get(x, j));
                }
                var sum = 0f;
                for (var j = 0; j < depth; j++)
                {
                    sum += exp[max - IntElements.Get(x, j)];
                }
                // Float32 throughout, in TFLite's order of operations, so results round the same way.
                var offset = (inScale * max + MathF.Log(sum)) / outScale;
                for (var j = 0; j < depth; j++)
                {
                    var logProb = ratio * IntElements.Get(x, j) - offset;
                    var q = (int)MathF.Round(logProb, MidpointRounding.ToEven) + outInfo.ZeroPoint;
                    IntElements.Set(y, j, Math.Clamp(q, outInfo.Min, outInfo.Max));
                }
            }
        }
    }
}
