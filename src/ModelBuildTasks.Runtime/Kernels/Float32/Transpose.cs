using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>TRANSPOSE with a constant permutation: output dimension d walks input dimension perm[d]. Any element type.</summary>
internal sealed unsafe class Transpose : Kernel
{
    private readonly int[] outShape;
    private readonly long[] srcStrides;
    private readonly long[] dstStrides;
    private readonly int elementSize;
    private readonly int input;
    private readonly int output;

    private Transpose(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        var perm = s.ConstInts(s.Input(1));
        s.Require(x.Type == y.Type && x.Rank == y.Rank && perm.Length == x.Rank && x.Rank <= StridedCopy.MaxRank, $"input {x}, permutation and output {y} do not match");
        var inStrides = StridedCopy.ContiguousStrides(x.Shape);
        srcStrides = new long[x.Rank];
        for (var d = 0; d < x.Rank; d++)
        {
            var p = perm[d] < 0 ? perm[d] + x.Rank : perm[d];
            s.Require(p >= 0 && p < x.Rank && perm.Count(v => (v < 0 ? v + x.Rank : v) == p) == 1, "permutation is not a permutation");
            s.Require(y.Shape[d] == x.Shape[p], $"output {y} is not input {x} permuted");
            srcStrides[d] = inStrides[p];
        }
        outShape = y.Shape;
        dstStrides = StridedCopy.ContiguousStrides(y.Shape);
        elementSize = x.ElementSize;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Transpose(s);

    public override void Run(RunContext context) =>
        StridedCopy.Copy(context.B(input), srcStrides, context.B(output), dstStrides, outShape, elementSize);
}
