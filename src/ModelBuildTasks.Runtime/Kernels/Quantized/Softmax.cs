using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// 8-bit SOFTMAX over the last dimension (int8 or uint8 in; same type or int16 out). As TFLite's 8-bit kernel:
/// a table of exp(−β·s_in·d) for the 256 possible distances d to the row's maximum, a float sum, then each
/// probability rounded to the output scale (1/256, or 1/32768 for int16) plus the zero point.
/// </summary>
internal sealed unsafe class Softmax : Kernel
{
    private readonly float[] table = new float[256];
    private readonly QuantInfo inInfo;
    private readonly QuantInfo outInfo;
    private readonly int rows;
    private readonly int depth;
    private readonly int input;
    private readonly int output;

    private Softmax(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        inInfo = QuantInfo.Of(s, x);
        outInfo = QuantInfo.Of(s, y);
        if (!inInfo.IsInteger8)
        {
            throw s.Unsupported($"SOFTMAX of {x} has no kernel: only 8-bit inputs are supported");
        }
        s.Require(x.ElementCount == y.ElementCount && x.Rank >= 1, $"input {x} and output {y} must have the same size");
        var beta = s.Options<SoftmaxOptionsT>().Beta;
        var scale = -inInfo.Scale * beta;
        for (var d = 0; d < 256; d++)
        {
            table[d] = MathF.Exp(scale * d);
        }
        depth = x.Dim(-1);
        rows = depth == 0 ? 0 : checked((int)(x.ElementCount / depth));
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) =>
        s.Input(0).Type == TensorType.INT16 ? Int16Softmax.Create(s) : new Softmax(s);

    public override void Run(RunContext context)
    {
        switch (inInfo.Type, outInfo.Type)
        {
            case (TensorType.INT8, TensorType.INT8): Rows(context.P<sbyte>(input), context.P<sbyte>(output)); break;
            case (TensorType.INT8, _): Rows(context.P<sbyte>(input), context.P<short>(output)); break;
            case (_, TensorType.UINT8): Rows(context.B(input), context.B(output)); break;
            default: Rows(context.B(input), context.P<short>(output)); break;
        }
    }

    private void Rows<TIn, TOut>(TIn* src, TOut* dst)
        where TIn : unmanaged, IBinaryInteger<TIn>
        where TOut : unmanaged, IBinaryInteger<TOut>
    {
        fixed (float* exp = table)
        {
            for (var r = 0; r < rows; r++)
            {
                var x = src + (nint)r * depth;
                var y = dst + (nint)r * depth;
                var max = int.MinValue;
                for (var j = 0; j < depth; j++)
                {
                    max = Math.Max(max, IntElements.Get(x, j));
                }
                var sum = 0f;
                for (var j = 0; j < depth; j++)
                {
                    sum += exp[max - IntElements.Get(x, j)];
                }
                var inverse = 1f / (sum * outInfo.Scale);
                for (var j = 0; j < depth; j++)
                {
                    var q = (int)MathF.Round(exp[max - IntElements.Get(x, j)] * inverse, MidpointRounding.AwayFromZero) + outInfo.ZeroPoint;
                    IntElements.Set(y, j, Math.Clamp(q, outInfo.Min, outInfo.Max));
                }
            }
        }
    }
}
