using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// DEPTH_TO_SPACE and SPACE_TO_DEPTH over NHWC (TFLite's DCR order): output (y, x, c) of DEPTH_TO_SPACE reads
/// input (y / b, x / b, ((y % b)·b + x % b)·C_out + c); SPACE_TO_DEPTH is the inverse. Each run of C_out
/// channels is contiguous on both sides, so the kernel copies blocks. Any element type.
/// </summary>
internal sealed unsafe class DepthToSpace : Kernel
{
    private readonly bool toSpace;
    private readonly int block, batch, smallH, smallW, smallC, elementSize;
    private readonly int input;
    private readonly int output;

    private DepthToSpace(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        toSpace = s.Op.Code.Builtin == BuiltinOperator.DEPTH_TO_SPACE;
        block = toSpace ? s.Options<DepthToSpaceOptionsT>().BlockSize : s.Options<SpaceToDepthOptionsT>().BlockSize;
        s.RequireRank(x, 4);
        s.RequireRank(y, 4);
        s.Require(block > 0 && x.Type == y.Type, "block size must be positive and types must match");
        // "Small" is the spatially small, deep side: the input of DEPTH_TO_SPACE, the output of SPACE_TO_DEPTH.
        var deep = toSpace ? x : y;
        var wide = toSpace ? y : x;
        (batch, smallH, smallW) = (deep.Dim(0), deep.Dim(1), deep.Dim(2));
        smallC = wide.Dim(3);
        s.Require(wide.Dim(0) == batch && wide.Dim(1) == smallH * block && wide.Dim(2) == smallW * block && deep.Dim(3) == smallC * block * block,
            $"input {x} and output {y} do not match block size {block}");
        elementSize = x.ElementSize;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new DepthToSpace(s);

    public override void Run(RunContext context)
    {
        var deep = toSpace ? context.B(input) : context.B(output);
        var wide = toSpace ? context.B(output) : context.B(input);
        var run = (long)smallC * elementSize;
        for (var b = 0; b < batch; b++)
        {
            for (var y = 0; y < smallH * block; y++)
            {
                for (var x = 0; x < smallW * block; x++)
                {
                    var w = wide + (((long)b * smallH * block + y) * smallW * block + x) * run;
                    var d = deep + (((long)b * smallH + y / block) * smallW + x / block) * run * block * block
                            + ((y % block) * block + x % block) * run;
                    if (toSpace)
                    {
                        Buffer.MemoryCopy(d, w, run, run);
                    }
                    else
                    {
                        Buffer.MemoryCopy(w, d, run, run);
                    }
                }
            }
        }
    }
}
