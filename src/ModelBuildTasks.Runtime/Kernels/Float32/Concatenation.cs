using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// CONCATENATION along one axis (negative counts from the end): for every index of the dimensions before the
/// axis, the inputs' contiguous blocks are copied one after another. Any element type. The options' fused
/// activation is ignored, as LiteRT does (measured against the oracle; the converter never sets one).
/// </summary>
internal sealed unsafe class Concatenation : Kernel
{
    private readonly int[] inputs;
    private readonly long[] blockBytes;
    private readonly long outer;
    private readonly int output;

    private Concatenation(KernelSetup s)
    {
        var y = s.Output(0);
        var o = s.Options<ConcatenationOptionsT>();
        var axis = o.Axis < 0 ? o.Axis + y.Rank : o.Axis;
        s.Require(axis >= 0 && axis < y.Rank, $"axis {o.Axis} is out of range for {y}");
        outer = 1;
        for (var d = 0; d < axis; d++)
        {
            outer *= y.Shape[d];
        }
        inputs = new int[s.InputCount];
        blockBytes = new long[s.InputCount];
        var axisTotal = 0;
        for (var i = 0; i < s.InputCount; i++)
        {
            var x = s.Input(i);
            s.Require(x.Type == y.Type && x.Rank == y.Rank, $"input {x} does not match output {y}");
            for (var d = 0; d < y.Rank; d++)
            {
                s.Require(d == axis || x.Shape[d] == y.Shape[d], $"input {x} does not match output {y} outside axis {axis}");
            }
            axisTotal += x.Shape[axis];
            inputs[i] = x.Index;
            blockBytes[i] = x.ByteLength / Math.Max(1, outer);
        }
        s.Require(axisTotal == y.Shape[axis], $"inputs do not add up to output {y} along axis {axis}");
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Concatenation(s);

    public override void Run(RunContext context)
    {
        var dst = context.B(output);
        for (long o = 0; o < outer; o++)
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                var n = blockBytes[i];
                Buffer.MemoryCopy(context.B(inputs[i]) + o * n, dst, n, n);
                dst += n;
            }
        }
    }
}
