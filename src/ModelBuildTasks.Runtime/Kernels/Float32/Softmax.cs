using System.Numerics.Tensors;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// SOFTMAX (exp(β·(x − max)) / Σ, along the last axis) and LOG_SOFTMAX ((x − max) − log Σ exp(x − max)) in
/// float32. Subtracting the row maximum keeps exp in range without changing the result.
/// </summary>
internal sealed unsafe class Softmax : Kernel
{
    private readonly bool log;
    private readonly float beta;
    private readonly int rows;
    private readonly int depth;
    private readonly int input;
    private readonly int output;

    private Softmax(KernelSetup s)
    {
        log = s.Op.Code.Builtin == BuiltinOperator.LOG_SOFTMAX;
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        s.Require(x.ElementCount == y.ElementCount && x.Rank >= 1, $"input {x} and output {y} must match");
        beta = log ? 1f : s.Options<SoftmaxOptionsT>().Beta;
        depth = Math.Max(1, x.Dim(-1));
        rows = checked((int)(x.ElementCount / depth));
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Softmax(s);

    public override void Run(RunContext context)
    {
        for (var r = 0; r < rows; r++)
        {
            var x = new ReadOnlySpan<float>(context.F(input) + (long)r * depth, depth);
            var y = new Span<float>(context.F(output) + (long)r * depth, depth);
            var max = TensorPrimitives.Max(x);
            if (log)
            {
                TensorPrimitives.Subtract(x, max, y);
                var sum = 0f;
                foreach (var v in y)
                {
                    sum += MathF.Exp(v);
                }
                TensorPrimitives.Subtract(y, MathF.Log(sum), y);
            }
            else
            {
                TensorPrimitives.Subtract(x, max, y);
                TensorPrimitives.Multiply(y, beta, y);
                TensorPrimitives.Exp(y, y);
                TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
            }
        }
    }
}
