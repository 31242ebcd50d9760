using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Runtime.Kernels;
using ModelBuildTasks.Runtime.Threading;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>An integer function of two quantized values (already read as int), returning the output value.</summary>
internal interface IQuantizedBinary
{
    int Apply(int a, int b);
}

/// <summary>
/// A binary function that can also run on eight int32 lanes at once, giving exactly the scalar results (already
/// clamped to the element type's range). <see cref="Vectorized"/> says whether this instance's arithmetic has a
/// vector form (some parameter ranges keep a scalar-only fallback).
/// </summary>
internal interface IVectorQuantizedBinary : IQuantizedBinary
{
    bool Vectorized { get; }

    Vector256<int> Apply(Vector256<int> a, Vector256<int> b);
}

/// <summary>
/// Numpy-style broadcasting of two operands to an output shape of rank ≤ 6: shapes are aligned from the right and
/// an operand that has size 1 along a dimension repeats (stride 0). Neighbouring dimensions that both operands walk
/// alike are merged, so same-shape operands are one flat row and a per-channel operand is rows of C. The innermost
/// (merged) dimension is a plain loop, the outer ones an odometer.
/// </summary>
internal sealed unsafe class Broadcast
{
    public const int MaxRank = 6;

    // Below this many elements a second thread costs more to wake than it saves.
    private const long ParallelThreshold = 32 * 1024;
    private const int BlockElements = 8 * 1024;

    // Merged geometry, pinned so that a parallel job can carry plain pointers to it.
    private readonly int[] shape;
    private readonly long[] strideA;
    private readonly long[] strideB;

    public Broadcast(KernelSetup s, RuntimeTensor a, RuntimeTensor b, RuntimeTensor output)
    {
        var rank = output.Rank;
        s.Require(rank <= MaxRank && a.Rank <= rank && b.Rank <= rank, $"shapes {a}, {b} -> {output} are not a supported broadcast");
        var fullShape = new int[Math.Max(1, rank)];
        var fullA = new long[fullShape.Length];
        var fullB = new long[fullShape.Length];
        fullShape[0] = 1;
        long sa = 1, sb = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            var da = d - (rank - a.Rank) >= 0 ? a.Shape[d - (rank - a.Rank)] : 1;
            var db = d - (rank - b.Rank) >= 0 ? b.Shape[d - (rank - b.Rank)] : 1;
            var size = output.Shape[d];
            s.Require((da == size || da == 1) && (db == size || db == 1), $"shapes {a} and {b} do not broadcast to {output}");
            fullShape[d] = size;
            fullA[d] = da == 1 ? 0 : sa;
            fullB[d] = db == 1 ? 0 : sb;
            sa *= da;
            sb *= db;
        }
        Count = output.ElementCount;

        // Drop size-1 dimensions (they move nothing), then merge dimension d into the group inside it when each
        // operand's stride along d is the group's stride times its size (both contiguous, or both repeated).
        var n = 0;
        var mergedShape = new int[fullShape.Length];
        var mergedA = new long[fullShape.Length];
        var mergedB = new long[fullShape.Length];
        for (var d = fullShape.Length - 1; d >= 0; d--)
        {
            if (fullShape[d] == 1)
            {
                continue;
            }
            var i = n - 1;
            if (n > 0 && fullA[d] == mergedA[i] * mergedShape[i] && fullB[d] == mergedB[i] * mergedShape[i])
            {
                mergedShape[i] *= fullShape[d];
                continue;
            }
            mergedShape[n] = fullShape[d];
            mergedA[n] = fullA[d];
            mergedB[n] = fullB[d];
            n++;
        }
        if (n == 0)
        {
            mergedShape[0] = 1;
            n = 1;
        }
        // Back to outermost-first order.
        shape = GC.AllocateArray<int>(n, pinned: true);
        strideA = GC.AllocateArray<long>(n, pinned: true);
        strideB = GC.AllocateArray<long>(n, pinned: true);
        for (var d = 0; d < n; d++)
        {
            shape[d] = mergedShape[n - 1 - d];
            strideA[d] = mergedA[n - 1 - d];
            strideB[d] = mergedB[n - 1 - d];
        }
    }

    public long Count { get; }

    /// <summary>Scalar loop for any binary function.</summary>
    public void Run<T, TOp>(T* a, T* b, T* output, ref TOp op)
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

    /// <summary>
    /// Sixteen elements per step (two 8-lane int32 vectors) where the CPU has AVX2 and the function a vector form, split over the session's threads
    /// when the output is large. Each output element is computed the same way whichever thread writes it.
    /// </summary>
    public void RunVectorized<T, TOp>(T* a, T* b, T* output, ref TOp op, WorkerPool pool)
        where T : unmanaged, IBinaryInteger<T>
        where TOp : unmanaged, IVectorQuantizedBinary
    {
        if (Count == 0)
        {
            return;
        }
        var rank = shape.Length;
        var inner = shape[rank - 1];
        var job = new Job<T, TOp>
        {
            A = a, B = b, Output = output, Op = op, Rank = rank, Inner = inner,
            Shape = (int*)Unsafe.AsPointer(ref shape[0]),
            StrideA = (long*)Unsafe.AsPointer(ref strideA[0]),
            StrideB = (long*)Unsafe.AsPointer(ref strideB[0]),
        };
        var rows = Count / inner;
        if (rows == 1)
        {
            // One flat row (same-shape operands, or a scalar against a tensor): split it into blocks.
            job.Block = BlockElements;
            var blocks = (int)((inner + BlockElements - 1) / BlockElements);
            var perChunk = Count >= ParallelThreshold ? 1 : blocks;
            pool.For(blocks, perChunk, &Body<T, TOp>, &job);
        }
        else
        {
            job.Block = 0;
            var rowsPerChunk = Count >= ParallelThreshold ? Math.Max(1, BlockElements / inner) : (int)rows;
            pool.For((int)rows, rowsPerChunk, &Body<T, TOp>, &job);
        }
    }

    private struct Job<T, TOp>
        where T : unmanaged
        where TOp : unmanaged
    {
        public T* A, B, Output;
        public TOp Op;
        public int Rank, Inner, Block;
        public int* Shape;
        public long* StrideA, StrideB;
    }

    private static void Body<T, TOp>(void* state, int begin, int end, int thread)
        where T : unmanaged, IBinaryInteger<T>
        where TOp : unmanaged, IVectorQuantizedBinary
    {
        ref var j = ref *(Job<T, TOp>*)state;
        var ia = j.StrideA[j.Rank - 1] != 0;
        var ib = j.StrideB[j.Rank - 1] != 0;
        if (j.Block > 0)
        {
            var start = (long)begin * j.Block;
            var stop = Math.Min((long)end * j.Block, j.Inner);
            Row(j.A + (ia ? start : 0), ia, j.B + (ib ? start : 0), ib, j.Output + start, (int)(stop - start), ref j.Op);
            return;
        }
        // Offsets of the first row from its multi-index over the outer dimensions; later rows advance an odometer.
        Span<int> index = stackalloc int[MaxRank];
        long offA = 0, offB = 0;
        var rest = begin;
        for (var d = j.Rank - 2; d >= 0; d--)
        {
            var size = j.Shape[d];
            index[d] = rest % size;
            rest /= size;
            offA += index[d] * j.StrideA[d];
            offB += index[d] * j.StrideB[d];
        }
        for (var r = begin; r < end; r++)
        {
            Row(j.A + offA, ia, j.B + offB, ib, j.Output + (long)r * j.Inner, j.Inner, ref j.Op);
            for (var d = j.Rank - 2; d >= 0; d--)
            {
                index[d]++;
                offA += j.StrideA[d];
                offB += j.StrideB[d];
                if (index[d] < j.Shape[d])
                {
                    break;
                }
                offA -= j.StrideA[d] * j.Shape[d];
                offB -= j.StrideB[d] * j.Shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>One row of n outputs; each operand either walks (step 1) or repeats its first element.</summary>
    private static void Row<T, TOp>(T* a, bool aWalks, T* b, bool bWalks, T* output, int n, ref TOp op)
        where T : unmanaged, IBinaryInteger<T>
        where TOp : unmanaged, IVectorQuantizedBinary
    {
        var i = 0;
        if (Avx2.IsSupported && op.Vectorized && n >= 16)
        {
            var repeatA = Vector256.Create(IntElements.Get(a, 0));
            var repeatB = Vector256.Create(IntElements.Get(b, 0));
            for (; i <= n - 16; i += 16)
            {
                var a0 = aWalks ? IntElements.Load8(a + i) : repeatA;
                var a1 = aWalks ? IntElements.Load8(a + i + 8) : repeatA;
                var b0 = bWalks ? IntElements.Load8(b + i) : repeatB;
                var b1 = bWalks ? IntElements.Load8(b + i + 8) : repeatB;
                IntElements.Store16(output + i, op.Apply(a0, b0), op.Apply(a1, b1));
            }
        }
        var sa = aWalks ? 1 : 0;
        var sb = bWalks ? 1 : 0;
        for (; i < n; i++)
        {
            IntElements.Set(output, i, op.Apply(IntElements.Get(a, i * sa), IntElements.Get(b, i * sb)));
        }
    }
}
