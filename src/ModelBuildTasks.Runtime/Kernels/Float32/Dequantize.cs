using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

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

    public override void Run(RunContext context)
    {
        if (type is TensorType.INT8 or TensorType.UINT8 && quantization is { Scale.Length: 1 } q)
        {
            var job = new Job
            {
                Input = context.B(input), Output = context.F(output), Count = count,
                Scale = q.Scale[0], ZeroPoint = q.ZeroPoint.Length > 0 ? (int)q.ZeroPoint[0] : 0,
            };
            var blocks = (count + BlockElements - 1) / BlockElements;
            var perChunk = count >= 4 * BlockElements ? 1 : Math.Max(1, blocks);
            if (type == TensorType.INT8)
            {
                context.Pool.For(blocks, perChunk, &Body<sbyte>, &job);
            }
            else
            {
                context.Pool.For(blocks, perChunk, &Body<byte>, &job);
            }
            return;
        }
        Dequantization.Dequantize(type, new ReadOnlySpan<byte>(context.B(input), byteLength), new Span<float>(context.F(output), count), quantization, shape);
    }

    private const int BlockElements = 16 * 1024;

    private struct Job
    {
        public byte* Input;
        public float* Output;
        public int Count, ZeroPoint;
        public float Scale;
    }

    /// <summary>Per-tensor 8-bit: scale·(q − zero_point) in float32, the same single product as the general path.</summary>
    private static void Body<T>(void* state, int begin, int end, int thread) where T : unmanaged, IBinaryInteger<T>
    {
        ref var j = ref *(Job*)state;
        var start = begin * BlockElements;
        var stop = Math.Min(end * BlockElements, j.Count);
        var src = (T*)j.Input;
        var i = start;
        if (Avx2.IsSupported)
        {
            var zero = Vector256.Create(j.ZeroPoint);
            var scale = Vector256.Create(j.Scale);
            for (; i <= stop - 8; i += 8)
            {
                Avx.Multiply(scale, Avx.ConvertToVector256Single(IntElements.Load8(src + i) - zero)).Store(j.Output + i);
            }
        }
        for (; i < stop; i++)
        {
            j.Output[i] = j.Scale * (IntElements.Get(src, i) - j.ZeroPoint);
        }
    }
}
