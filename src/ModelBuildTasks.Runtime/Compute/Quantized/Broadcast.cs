using System.Numerics;
using ModelBuildTasks.Runtime.Kernels;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>An integer function of two quantized values (already read as int), returning the output value.</summary>
internal interface IQuantizedBinary
{
    int Apply(int a, int b);
}

/// <summary>
/// Numpy-style broadcasting of two operands to an output shape of rank ≤ 6: shapes are aligned from the right and
/// an operand that has size 1 along a dimension repeats (stride 0). The innermost dimension is a plain loop, the
/// outer ones an odometer.
/// </summary>
internal sealed class Broadcast
{
    public const int MaxRank = 6;

    private readonly int[] shape;
    private readonly long[] strideA;
    private readonly long[] strideB;

    public Broadcast(KernelSetup s, RuntimeTensor a, RuntimeTensor b, RuntimeTensor output)
    {
        var rank = output.Rank;
        s.Require(rank <= MaxRank && a.Rank <= rank && b.Rank <= rank, $"shapes {a}, {b} -> {output} are not a supported broadcast");
        shape = new int[Math.Max(1, rank)];
        strideA = new long[shape.Length];
        strideB = new long[shape.Length];
        shape[0] = 1;
        long sa = 1, sb = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            var da = d - (rank - a.Rank) >= 0 ? a.Shape[d - (rank - a.Rank)] : 1;
            var db = d - (rank - b.Rank) >= 0 ? b.Shape[d - (rank - b.Rank)] : 1;
            var size = output.Shape[d];
            s.Require((da == size || da == 1) && (db == size || db == 1), $"shapes {a} and {b} do not broadcast to {output}");
            shape[d] = size;
            strideA[d] = da == 1 ? 0 : sa;
            strideB[d] = db == 1 ? 0 : sb;
            sa *= da;
            sb *= db;
        }
        Count = output.ElementCount;
    }

    public long Count { get; }

    public unsafe void Run<T, TOp>(T* a, T* b, T* output, ref TOp op)
        where T : unmanaged, IBinaryInteger<T>
        where TOp : struct, IQuantizedBinary
    {
        var rank = shape.Length;
        var inner = shape[rank - 1];
        var ia = strideA[rank - 1];
        var ib = strideB[rank - 1];
        Span<int> index = stackalloc int[MaxRank];
        long offA = 0, offB = 0, o = 0;
        while (o < Count)
        {
            for (var i = 0; i < inner; i++)
            {
                IntElements.Set(output, (nint)(o + i), op.Apply(IntElements.Get(a, (nint)(offA + i * ia)), IntElements.Get(b, (nint)(offB + i * ib))));
            }
            o += inner;
            // Advance the odometer over the outer dimensions.
            for (var d = rank - 2; d >= 0; d--)
            {
                index[d]++;
                offA += strideA[d];
                offB += strideB[d];
                if (index[d] < shape[d])
                {
                    break;
                }
                offA -= strideA[d] * shape[d];
                offB -= strideB[d] * shape[d];
                index[d] = 0;
            }
        }
    }
}
