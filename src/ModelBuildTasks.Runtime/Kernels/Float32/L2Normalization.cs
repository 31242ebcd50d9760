using System.Numerics.Tensors;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>L2_NORMALIZATION along the last axis: x / max(‖x‖₂, 1e-6), TFLite's epsilon, then the fused activation.</summary>
internal sealed unsafe class L2Normalization : Kernel
{
    private const float Epsilon = 1e-6f;

    private readonly int rows;
    private readonly int depth;
    private readonly FusedActivation activation;
    private readonly int input;
    private readonly int output;

    private L2Normalization(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        s.Require(x.ElementCount == y.ElementCount && x.Rank >= 1, $"input {x} and output {y} must match");
        activation = FusedActivation.From(s.Options<L2NormOptionsT>().FusedActivationFunction, s);
        depth = Math.Max(1, x.Dim(-1));
        rows = checked((int)(x.ElementCount / depth));
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new L2Normalization(s);

    public override void Run(RunContext context)
    {
        for (var r = 0; r < rows; r++)
        {
            var x = new ReadOnlySpan<float>(context.F(input) + (long)r * depth, depth);
            var y = new Span<float>(context.F(output) + (long)r * depth, depth);
            var norm = MathF.Max(MathF.Sqrt(TensorPrimitives.SumOfSquares(x)), Epsilon);
            TensorPrimitives.Divide(x, norm, y);
        }
        activation.Apply(context.F(output), (long)rows * depth);
    }
}
