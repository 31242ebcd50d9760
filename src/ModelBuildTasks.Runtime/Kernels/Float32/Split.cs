using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// SPLIT (inputs: axis, data) and SPLIT_V (inputs: data, size_splits, axis): consecutive pieces of the data along
/// the axis go to the outputs in order; each output's shape gives its piece size. Any element type.
/// </summary>
internal sealed unsafe class Split : Kernel
{
    private readonly int input;
    private readonly int[] outputs;
    private readonly long[] blockBytes;
    private readonly long outer;
    private readonly long inputBlockBytes;

    private Split(KernelSetup s, bool sizes)
    {
        var x = sizes ? s.Input(0) : s.Input(1);
        var axisValues = s.ConstInts(sizes ? s.Input(2) : s.Input(0));
        s.Require(axisValues.Length == 1, "axis must be a single value");
        var axis = axisValues[0] < 0 ? axisValues[0] + x.Rank : axisValues[0];
        s.Require(axis >= 0 && axis < x.Rank, $"axis {axisValues[0]} is out of range for {x}");
        outer = 1;
        for (var d = 0; d < axis; d++)
        {
            outer *= x.Shape[d];
        }
        outputs = new int[s.OutputCount];
        blockBytes = new long[s.OutputCount];
        var total = 0;
        for (var i = 0; i < s.OutputCount; i++)
        {
            var y = s.Output(i);
            s.Require(y.Type == x.Type && y.Rank == x.Rank, $"output {y} does not match input {x}");
            for (var d = 0; d < x.Rank; d++)
            {
                s.Require(d == axis || y.Shape[d] == x.Shape[d], $"output {y} does not match input {x} outside axis {axis}");
            }
            total += y.Shape[axis];
            outputs[i] = y.Index;
            blockBytes[i] = y.ByteLength / Math.Max(1, outer);
        }
        s.Require(total == x.Shape[axis], $"outputs do not add up to input {x} along axis {axis}");
        inputBlockBytes = x.ByteLength / Math.Max(1, outer);
        input = x.Index;
    }

    public static Kernel Create(KernelSetup s) => new Split(s, sizes: false);

    public static Kernel CreateV(KernelSetup s) => new Split(s, sizes: true);

    public override void Run(RunContext context)
    {
        var src = context.B(input);
        for (long o = 0; o < outer; o++)
        {
            var offset = o * inputBlockBytes;
            for (var i = 0; i < outputs.Length; i++)
            {
                var n = blockBytes[i];
                Buffer.MemoryCopy(src + offset, context.B(outputs[i]) + o * n, n, n);
                offset += n;
            }
        }
    }
}
