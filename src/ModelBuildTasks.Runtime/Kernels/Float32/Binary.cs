using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// Elementwise float32 ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM and PRELU with numpy-style broadcasting and the
/// fused activation of the first four. At load the two shapes are aligned from the right and adjacent
/// dimensions that broadcast alike are merged, so at run time the loop is at most a few outer dimensions around
/// one contiguous inner run in which each operand either advances or repeats a single value.
/// </summary>
internal sealed unsafe class Binary : Kernel
{
    private const int MaxRank = 6;
    private const int ChunkElements = 16 * 1024;

    private readonly BuiltinOperator op;
    private readonly int[] outShape;
    private readonly long[] strideA;
    private readonly long[] strideB;
    private readonly FusedActivation activation;
    private readonly int a;
    private readonly int b;
    private readonly int output;

    private Binary(KernelSetup s)
    {
        op = s.Op.Code.Builtin;
        var x = s.Input(0);
        var y = s.Input(1);
        var z = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        s.RequireType(z, TensorType.FLOAT32);
        activation = op switch
        {
            BuiltinOperator.ADD => FusedActivation.From(s.Options<AddOptionsT>().FusedActivationFunction, s),
            BuiltinOperator.SUB => FusedActivation.From(s.Options<SubOptionsT>().FusedActivationFunction, s),
            BuiltinOperator.MUL => FusedActivation.From(s.Options<MulOptionsT>().FusedActivationFunction, s),
            BuiltinOperator.DIV => FusedActivation.From(s.Options<DivOptionsT>().FusedActivationFunction, s),
            _ => FusedActivation.None,
        };
        var rank = Math.Max(x.Rank, y.Rank);
        s.Require(rank <= MaxRank && z.Rank == rank, $"shapes {x}, {y} -> {z} are not a supported broadcast");
        // Align from the right; stride 0 where an operand repeats along a dimension.
        var dims = new List<(int Size, long Sa, long Sb)>();
        long sa = 1, sb = 1;
        var full = new (int Size, long Sa, long Sb)[rank];
        for (var d = rank - 1; d >= 0; d--)
        {
            var dx = d - (rank - x.Rank) >= 0 ? x.Shape[d - (rank - x.Rank)] : 1;
            var dy = d - (rank - y.Rank) >= 0 ? y.Shape[d - (rank - y.Rank)] : 1;
            var size = Math.Max(dx, dy);
            s.Require((dx == size || dx == 1) && (dy == size || dy == 1) && z.Shape[d] == size,
                $"shapes {x} and {y} do not broadcast to {z}");
            full[d] = (size, dx == 1 ? 0 : sa, dy == 1 ? 0 : sb);
            sa *= dx;
            sb *= dy;
        }
        // Merge a dimension into the one inside it when both operands continue contiguously (or both repeat).
        foreach (var dim in full)
        {
            if (dim.Size == 1)
            {
                continue;
            }
            dims.Add(dim);
        }
        for (var i = dims.Count - 1; i > 0; i--)
        {
            var (outer, inner) = (dims[i - 1], dims[i]);
            bool Joins(long so, long si) => (so == 0 && si == 0) || (si != 0 && so == si * inner.Size);
            if (Joins(outer.Sa, inner.Sa) && Joins(outer.Sb, inner.Sb))
            {
                dims[i - 1] = (outer.Size * inner.Size, inner.Sa, inner.Sb);
                dims.RemoveAt(i);
            }
        }
        if (dims.Count == 0)
        {
            dims.Add((1, 1, 1));
        }
        outShape = dims.Select(d => d.Size).ToArray();
        strideA = dims.Select(d => d.Sa).ToArray();
        strideB = dims.Select(d => d.Sb).ToArray();
        a = x.Index;
        b = y.Index;
        output = z.Index;
    }

    public static Kernel Create(KernelSetup s) => new Binary(s);

    public override void Run(RunContext context)
    {
        switch (op)
        {
            case BuiltinOperator.ADD: Run<AddOp>(context); break;
            case BuiltinOperator.SUB: Run<SubOp>(context); break;
            case BuiltinOperator.MUL: Run<MulOp>(context); break;
            case BuiltinOperator.DIV: Run<DivOp>(context); break;
            case BuiltinOperator.MAXIMUM: Run<MaxOp>(context); break;
            case BuiltinOperator.MINIMUM: Run<MinOp>(context); break;
            default: Run<PreluOp>(context); break;
        }
    }

    private void Run<TOp>(RunContext context) where TOp : struct, IBinaryOp
    {
        var job = new Job
        {
            A = context.F(a),
            B = context.F(b),
            Out = context.F(output),
            Rank = outShape.Length,
            Min = activation.Min,
            Max = activation.Max,
        };
        for (var d = 0; d < outShape.Length; d++)
        {
            job.Shape[d] = outShape[d];
            job.Sa[d] = strideA[d];
            job.Sb[d] = strideB[d];
        }
        var inner = outShape[^1];
        long total = 1;
        foreach (var d in outShape)
        {
            total *= d;
        }
        if (outShape.Length == 1)
        {
            // One contiguous run: split it into chunks.
            job.Chunked = true;
            var chunks = (int)((total + ChunkElements - 1) / ChunkElements);
            context.Pool.For(chunks, 1, &Body<TOp>, &job);
        }
        else
        {
            var rows = (int)(total / inner);
            context.Pool.For(rows, Math.Max(1, ChunkElements / Math.Max(1, inner)), &Body<TOp>, &job);
        }
        if (activation.IsTanh)
        {
            activation.Apply(job.Out, total);
        }
    }

    private struct Job
    {
        public float* A;
        public float* B;
        public float* Out;
        public int Rank;
        public bool Chunked;
        public float Min;
        public float Max;
        public fixed int Shape[MaxRank];
        public fixed long Sa[MaxRank];
        public fixed long Sb[MaxRank];
    }

    private static void Body<TOp>(void* state, int begin, int end, int thread) where TOp : struct, IBinaryOp
    {
        ref var j = ref *(Job*)state;
        var inner = j.Shape[j.Rank - 1];
        var ia = j.Sa[j.Rank - 1];
        var ib = j.Sb[j.Rank - 1];
        if (j.Chunked)
        {
            long start = (long)begin * ChunkElements;
            var stop = Math.Min((long)end * ChunkElements, inner);
            Inner<TOp>(j.A + start * ia, ia != 0, j.B + start * ib, ib != 0, j.Out + start, stop - start, j.Min, j.Max);
            return;
        }
        for (var row = begin; row < end; row++)
        {
            // Offsets of this row from its multi-index over the outer dimensions.
            long oa = 0, ob = 0;
            var rem = row;
            for (var d = j.Rank - 2; d >= 0; d--)
            {
                var i = rem % j.Shape[d];
                rem /= j.Shape[d];
                oa += i * j.Sa[d];
                ob += i * j.Sb[d];
            }
            Inner<TOp>(j.A + oa, ia != 0, j.B + ob, ib != 0, j.Out + (long)row * inner, inner, j.Min, j.Max);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Inner<TOp>(float* x, bool xMoves, float* y, bool yMoves, float* z, long n, float min, float max)
        where TOp : struct, IBinaryOp
    {
        var lo = Vector256.Create(min);
        var hi = Vector256.Create(max);
        long i = 0;
        if (xMoves && yMoves)
        {
            for (; i <= n - 8; i += 8)
            {
                var v = TOp.Apply(Vector256.Load(x + i), Vector256.Load(y + i));
                Vector256.Store(Vector256.Min(Vector256.Max(v, lo), hi), z + i);
            }
        }
        else if (xMoves)
        {
            var vy = Vector256.Create(*y);
            for (; i <= n - 8; i += 8)
            {
                var v = TOp.Apply(Vector256.Load(x + i), vy);
                Vector256.Store(Vector256.Min(Vector256.Max(v, lo), hi), z + i);
            }
        }
        else if (yMoves)
        {
            var vx = Vector256.Create(*x);
            for (; i <= n - 8; i += 8)
            {
                var v = TOp.Apply(vx, Vector256.Load(y + i));
                Vector256.Store(Vector256.Min(Vector256.Max(v, lo), hi), z + i);
            }
        }
        for (; i < n; i++)
        {
            var v = TOp.Apply(x[xMoves ? i : 0], y[yMoves ? i : 0]);
            z[i] = Math.Min(Math.Max(v, min), max);
        }
    }

    private interface IBinaryOp
    {
        static abstract Vector256<float> Apply(Vector256<float> x, Vector256<float> y);

        static abstract float Apply(float x, float y);
    }

    private struct AddOp : IBinaryOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y) => x + y;

        public static float Apply(float x, float y) => x + y;
    }

    private struct SubOp : IBinaryOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y) => x - y;

        public static float Apply(float x, float y) => x - y;
    }

    private struct MulOp : IBinaryOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y) => x * y;

        public static float Apply(float x, float y) => x * y;
    }

    private struct DivOp : IBinaryOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y) => x / y;

        public static float Apply(float x, float y) => x / y;
    }

    private struct MaxOp : IBinaryOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);

        public static float Apply(float x, float y) => Math.Max(x, y);
    }

    private struct MinOp : IBinaryOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y) => Vector256.Min(x, y);

        public static float Apply(float x, float y) => Math.Min(x, y);
    }

    /// <summary>PRELU: x where x ≥ 0, else x·alpha.</summary>
    private struct PreluOp : IBinaryOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y) =>
            Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, x * y);

        public static float Apply(float x, float y) => x >= 0 ? x : x * y;
    }
}
