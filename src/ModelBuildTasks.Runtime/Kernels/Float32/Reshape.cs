namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// RESHAPE, SQUEEZE and EXPAND_DIMS: the bytes stay the same, only the shape (already static) changes, so the
/// kernel is a copy from the input buffer to the output buffer. Any element type.
/// </summary>
internal sealed unsafe class Reshape : Kernel
{
    private readonly long bytes;
    private readonly int input;
    private readonly int output;

    private Reshape(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        s.Require(x.ElementCount == y.ElementCount, $"input {x} and output {y} must have the same number of elements");
        bytes = y.ByteLength;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Reshape(s);

    public override void Run(RunContext context)
    {
        var src = context.B(input);
        var dst = context.B(output);
        if (src != dst)
        {
            Buffer.MemoryCopy(src, dst, bytes, bytes);
        }
    }
}
