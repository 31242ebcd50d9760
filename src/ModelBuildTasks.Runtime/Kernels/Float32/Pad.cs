using System.Runtime.InteropServices;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// PAD and PADV2 with constant paddings [rank, 2] (before, after). The pad value is PADV2's constant input, else
/// zero — for quantized tensors the zero point, i.e. real 0. The border is filled and the input copied into the
/// interior. Any element type.
/// </summary>
internal sealed unsafe class Pad : Kernel
{
    private readonly int[] inShape;
    private readonly long[] inStrides;
    private readonly long[] outStrides;
    private readonly long interiorOffset;
    private readonly byte[] padValue;
    private readonly int elementSize;
    private readonly long outCount;
    private readonly int input;
    private readonly int output;

    private Pad(KernelSetup s)
    {
        var x = s.Input(0);
        var p = s.Input(1);
        var y = s.Output(0);
        s.Require(x.Type == y.Type && x.Rank == y.Rank && x.Rank <= StridedCopy.MaxRank, $"input {x} and output {y} do not match");
        var pads = s.ConstInts(p);
        s.Require(pads.Length == 2 * x.Rank, $"paddings {p} must be [{x.Rank}, 2]");
        for (var d = 0; d < x.Rank; d++)
        {
            s.Require(pads[2 * d] >= 0 && pads[2 * d + 1] >= 0 && x.Shape[d] + pads[2 * d] + pads[2 * d + 1] == y.Shape[d],
                $"paddings do not turn {x} into {y} along dimension {d}");
        }
        elementSize = x.ElementSize;
        padValue = new byte[elementSize];
        if (s.OptionalInput(2) is { } v)
        {
            s.Require(v.Type == x.Type && v.ElementCount == 1 && v.IsConstant, $"pad value {v} must be one constant {x.Type} value");
            v.Constant.AsSpan(0, elementSize).CopyTo(padValue);
        }
        else if (y.Quantization is { ZeroPoint.Length: > 0 } q && x.Type is TensorType.INT8 or TensorType.UINT8 or TensorType.INT16)
        {
            var zero = q.ZeroPoint[0];
            if (elementSize == 1)
            {
                padValue[0] = unchecked((byte)zero);
            }
            else
            {
                MemoryMarshal.Write(padValue, (short)zero);
            }
        }
        inShape = x.Shape;
        inStrides = StridedCopy.ContiguousStrides(x.Shape);
        outStrides = StridedCopy.ContiguousStrides(y.Shape);
        for (var d = 0; d < x.Rank; d++)
        {
            interiorOffset += pads[2 * d] * outStrides[d];
        }
        outCount = y.ElementCount;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Pad(s);

    public override void Run(RunContext context)
    {
        var dst = context.B(output);
        StridedCopy.Fill(dst, outCount, padValue);
        StridedCopy.Copy(context.B(input), inStrides, dst + interiorOffset * elementSize, outStrides, inShape, elementSize);
    }
}
