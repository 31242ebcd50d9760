using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// MEAN, SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_PROD over constant axes of a float32 tensor, keep_dims or not
/// (only the element count matters for the output buffer). Adjacent dimensions that are all reduced or all kept
/// are merged; the input is then streamed once in order, each row either folded into one output value (last
/// dimension reduced) or combined lane by lane into an output row (last dimension kept).
/// </summary>
internal sealed unsafe class Reduce : Kernel
{
    private readonly BuiltinOperator op;
    private readonly int[] shape;
    private readonly long[] outStrides;
    private readonly bool lastReduced;
    private readonly long outCount;
    private readonly float divisor;
    private readonly int input;
    private readonly int output;

    private Reduce(KernelSetup s)
    {
        op = s.Op.Code.Builtin;
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        var reduced = new bool[x.Rank];
        foreach (var a in s.ConstInts(s.Input(1)))
        {
            var axis = a < 0 ? a + x.Rank : a;
            s.Require(axis >= 0 && axis < x.Rank, $"axis {a} is out of range for {x}");
            reduced[axis] = true;
        }
        // Merge runs of dimensions with the same role; drop size-1 dimensions.
        var dims = new List<(int Size, bool Reduced)>();
        for (var d = 0; d < x.Rank; d++)
        {
            if (x.Shape[d] == 1)
            {
                continue;
            }
            if (dims.Count > 0 && dims[^1].Reduced == reduced[d])
            {
                dims[^1] = (dims[^1].Size * x.Shape[d], reduced[d]);
            }
            else
            {
                dims.Add((x.Shape[d], reduced[d]));
            }
        }
        if (dims.Count == 0)
        {
            dims.Add((1, false));
        }
        shape = dims.Select(d => d.Size).ToArray();
        lastReduced = dims[^1].Reduced;
        outStrides = new long[dims.Count];
        long stride = 1;
        long reducedCount = 1;
        for (var d = dims.Count - 1; d >= 0; d--)
        {
            if (dims[d].Reduced)
            {
                reducedCount *= dims[d].Size;
            }
            else
            {
                outStrides[d] = stride;
                stride *= dims[d].Size;
            }
        }
        outCount = stride;
        s.Require(y.ElementCount == outCount, $"output {y} must hold {outCount} values");
        divisor = reducedCount;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Reduce(s);

    public override void Run(RunContext context)
    {
        var x = context.F(input);
        var y = context.F(output);
        var init = op switch
        {
            BuiltinOperator.REDUCE_MAX => float.NegativeInfinity,
            BuiltinOperator.REDUCE_MIN => float.PositiveInfinity,
            BuiltinOperator.REDUCE_PROD => 1f,
            _ => 0f,
        };
        new Span<float>(y, (int)outCount).Fill(init);
        var rank = shape.Length;
        var inner = shape[rank - 1];
        long rows = 1;
        for (var d = 0; d < rank - 1; d++)
        {
            rows *= shape[d];
        }
        for (long row = 0; row < rows; row++)
        {
            long o = 0;
            var rem = row;
            for (var d = rank - 2; d >= 0; d--)
            {
                o += rem % shape[d] * outStrides[d];
                rem /= shape[d];
            }
            var src = x + row * inner;
            if (lastReduced)
            {
                var acc = y[o];
                for (var i = 0; i < inner; i++)
                {
                    acc = Combine(acc, src[i]);
                }
                y[o] = acc;
            }
            else
            {
                CombineRow(y + o, src, inner);
            }
        }
        if (op == BuiltinOperator.MEAN)
        {
            for (long i = 0; i < outCount; i++)
            {
                y[i] /= divisor;
            }
        }
    }

    private float Combine(float acc, float v) => op switch
    {
        BuiltinOperator.REDUCE_MAX => Math.Max(acc, v),
        BuiltinOperator.REDUCE_MIN => Math.Min(acc, v),
        BuiltinOperator.REDUCE_PROD => acc * v,
        _ => acc + v,
    };

    private void CombineRow(float* acc, float* src, int n)
    {
        var i = 0;
        for (; i <= n - 8; i += 8)
        {
            var a = Vector256.Load(acc + i);
            var v = Vector256.Load(src + i);
            a = op switch
            {
                BuiltinOperator.REDUCE_MAX => Vector256.Max(a, v),
                BuiltinOperator.REDUCE_MIN => Vector256.Min(a, v),
                BuiltinOperator.REDUCE_PROD => a * v,
                _ => a + v,
            };
            Vector256.Store(a, acc + i);
        }
        for (; i < n; i++)
        {
            acc[i] = Combine(acc[i], src[i]);
        }
    }
}
