using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// DEQUANTIZE of a computed tensor (constant ones are folded at load): float16 widened, or int8/uint8/int16/int32
/// mapped through real = scale·(q − zero_point), per tensor or per channel.
/// </summary>
internal sealed unsafe class Dequantize : Kernel
{
    private readonly TensorType type;
    private readonly Model.TensorQuantization? quantization;
    private readonly int[] shape;
    private readonly int count;
    private readonly int byteLength;
    private readonly int input;
    private readonly int output;

    private Dequantize(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(y, TensorType.FLOAT32);
        if (!Dequantization.CanDequantize(x.Type))
        {
            throw s.Unsupported($"cannot dequantize {x}");
        }
        s.Require(x.ElementCount == y.ElementCount, $"input {x} and output {y} must have the same size");
        if (x.Type != TensorType.FLOAT16 && !Dequantization.IsValid(x.Quantization, x.Shape))
        {
            throw s.Invalid($"tensor {x} has no usable quantization parameters");
        }
        type = x.Type;
        quantization = x.Quantization;
        shape = x.Shape;
        count = checked((int)x.ElementCount);
        byteLength = checked((int)x.ByteLength);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Dequantize(s);

    public override void Run(RunContext context) =>
        Dequantization.Dequantize(type, new ReadOnlySpan<byte>(context.B(input), byteLength), new Span<float>(context.F(output), count), quantization, shape);
}
