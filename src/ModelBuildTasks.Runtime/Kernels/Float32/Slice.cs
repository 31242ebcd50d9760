using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// SLICE (constant begin and size; size −1 = to the end) and STRIDED_SLICE (constant begin, end, strides with
/// begin/end/shrink-axis masks and the offset flag). Both reduce to "start here, step this much, take this many"
/// per input dimension, which the strided copy executes. Indices are resolved as TFLite does: negative ones count
/// from the end, then they are clamped to the dimension. Any element type.
/// </summary>
internal sealed unsafe class Slice : Kernel
{
    private readonly int[] counts;
    private readonly long[] srcStrides;
    private readonly long[] dstStrides;
    private readonly long srcOffset;
    private readonly int elementSize;
    private readonly int input;
    private readonly int output;

    private Slice(KernelSetup s, bool strided)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.Require(x.Type == y.Type && x.Rank <= StridedCopy.MaxRank, $"input {x} and output {y} do not match");
        var rank = x.Rank;
        var begin = new int[rank];
        var step = new int[rank];
        counts = new int[rank];
        var begins = s.ConstInts(s.Input(1));
        if (!strided)
        {
            var sizes = s.ConstInts(s.Input(2));
            s.Require(begins.Length == rank && sizes.Length == rank, "begin and size must have one entry per dimension");
            for (var d = 0; d < rank; d++)
            {
                begin[d] = begins[d];
                step[d] = 1;
                counts[d] = sizes[d] == -1 ? x.Shape[d] - begins[d] : sizes[d];
                s.Require(begin[d] >= 0 && counts[d] >= 0 && begin[d] + counts[d] <= x.Shape[d], $"slice is outside {x} in dimension {d}");
            }
        }
        else
        {
            var ends = s.ConstInts(s.Input(2));
            var strides = s.ConstInts(s.Input(3));
            s.Require(begins.Length == rank && ends.Length == rank && strides.Length == rank, "begin, end and strides must have one entry per dimension");
            var o = s.Options<StridedSliceOptionsT>();
            if (o.EllipsisMask != 0 || o.NewAxisMask != 0)
            {
                throw s.Unsupported("ellipsis_mask and new_axis_mask are not supported");
            }
            for (var d = 0; d < rank; d++)
            {
                var dim = x.Shape[d];
                var st = strides[d];
                s.Require(st != 0, "strides must not be zero");
                var shrink = (o.ShrinkAxisMask >> d & 1) != 0;
                int b, e;
                if (shrink)
                {
                    b = begins[d] < 0 ? begins[d] + dim : begins[d];
                    s.Require(b >= 0 && b < dim, $"shrink index {begins[d]} is outside dimension {d} of {x}");
                    e = b + 1;
                    st = 1;
                }
                else
                {
                    b = (o.BeginMask >> d & 1) != 0 ? (st > 0 ? 0 : dim - 1) : Clamp(begins[d], dim, st);
                    if ((o.EndMask >> d & 1) != 0)
                    {
                        e = st > 0 ? dim : -1;
                    }
                    else
                    {
                        e = o.Offset ? b + ends[d] : ends[d];
                        e = o.Offset ? Math.Clamp(e, st > 0 ? 0 : -1, st > 0 ? dim : dim - 1) : Clamp(e, dim, st);
                    }
                }
                begin[d] = b;
                step[d] = st;
                counts[d] = st > 0 ? Math.Max(0, (e - b + st - 1) / st) : Math.Max(0, (b - e + -st - 1) / -st);
            }
        }
        long elements = 1;
        foreach (var c in counts)
        {
            elements *= c;
        }
        s.Require(elements == y.ElementCount, $"output {y} does not hold the {elements} selected elements");
        var inStrides = StridedCopy.ContiguousStrides(x.Shape);
        srcStrides = new long[rank];
        for (var d = 0; d < rank; d++)
        {
            srcOffset += begin[d] * inStrides[d];
            srcStrides[d] = step[d] * inStrides[d];
        }
        dstStrides = StridedCopy.ContiguousStrides(counts);
        elementSize = x.ElementSize;
        input = x.Index;
        output = y.Index;
    }

    /// <summary>TFLite's index resolution: wrap a negative index once, then clamp into the valid range for the step direction.</summary>
    private static int Clamp(int index, int dim, int stride)
    {
        if (index < 0)
        {
            index += dim;
        }
        return stride > 0 ? Math.Clamp(index, 0, dim) : Math.Clamp(index, -1, dim - 1);
    }

    public static Kernel Create(KernelSetup s) => new Slice(s, strided: false);

    public static Kernel CreateStrided(KernelSetup s) => new Slice(s, strided: true);

    public override void Run(RunContext context) =>
        StridedCopy.Copy(context.B(input) + srcOffset * elementSize, srcStrides, context.B(output), dstStrides, counts, elementSize);
}
