using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// QUANTIZE from float32 to int8, uint8 or int16: q = clamp(round(x / scale) + zero_point), rounding half away
/// from zero with the division in double precision as TFLite's kernel does. Integer inputs are requantized by
/// <see cref="LookupTable"/>.
/// </summary>
internal sealed unsafe class Quantize : Kernel
{
    private readonly QuantInfo q;
    private readonly long count;
    private readonly int input;
    private readonly int output;

    private Quantize(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.Require(x.ElementCount == y.ElementCount, $"input {x} and output {y} must have the same size");
        s.Require(y.Quantization is not { Scale.Length: > 1 }, $"per-channel QUANTIZE of activations ({y}) is not supported");
        q = QuantInfo.Of(s, y);
        count = x.ElementCount;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) =>
        s.Input(0).Type == TensorType.FLOAT32 ? new Quantize(s) : LookupTable.Create(s);

    public override void Run(RunContext context)
    {
        var src = context.F(input);
        switch (q.Type)
        {
            case TensorType.INT8: Store(src, context.P<sbyte>(output)); break;
            case TensorType.UINT8: Store(src, context.B(output)); break;
            default: Store(src, context.P<short>(output)); break;
        }
    }

    private void Store<T>(float* src, T* dst) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        double scale = q.Scale;
        for (nint i = 0; i < count; i++)
        {
            var v = Math.Round(src[i] / scale, MidpointRounding.AwayFromZero) + q.ZeroPoint;
            // NaN stays NaN through Round; map it to the zero point rather than an undefined cast.
            var clamped = double.IsNaN(v) ? q.ZeroPoint : (int)Math.Clamp(v, q.Min, q.Max);
            IntElements.Set(dst, i, clamped);
        }
    }
}
