using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels;

/// <summary>
/// BATCH_MATMUL's geometry, the same for the float, integer and hybrid kernels: z[..., m, n] = x[..., m, k] · y[..., k, n]
/// (either operand transposed by adj_x / adj_y), batch dimensions broadcast NumPy-style. A broadcast batch dimension
/// gets stride 0, so the kernels walk every batch with one loop over <see cref="BatchShape"/>.
/// </summary>
internal sealed record MatMulGeometry(bool AdjX, bool AdjY, int M, int K, int N, int[] BatchShape, long[] XBatchStrides, long[] YBatchStrides);

/// <summary>Checks a BATCH_MATMUL operator's shapes and options and derives its <see cref="MatMulGeometry"/>.</summary>
internal static class MatMulShapes
{
    /// <summary>Batch dimensions the kernels support (besides the two matrix dimensions).</summary>
    public const int MaxBatchRank = 4;

    public static MatMulGeometry BatchMatMul(KernelSetup s, RuntimeTensor x, RuntimeTensor y, RuntimeTensor z, BatchMatMulOptionsT o)
    {
        s.Require(x.Rank >= 2 && y.Rank >= 2, "operands need at least two dimensions");
        var m = o.AdjX ? x.Dim(-1) : x.Dim(-2);
        var k = o.AdjX ? x.Dim(-2) : x.Dim(-1);
        var ky = o.AdjY ? y.Dim(-1) : y.Dim(-2);
        var n = o.AdjY ? y.Dim(-2) : y.Dim(-1);
        s.Require(k == ky, $"inner dimensions of {x} and {y} differ");
        var rank = Math.Max(x.Rank, y.Rank) - 2;
        s.Require(rank <= MaxBatchRank && z.Rank == rank + 2 && z.Dim(-2) == m && z.Dim(-1) == n, $"output {z} does not match");
        var batchShape = new int[rank];
        var xStrides = new long[rank];
        var yStrides = new long[rank];
        long sx = (long)m * k, sy = (long)k * n;
        for (var d = rank - 1; d >= 0; d--)
        {
            // Batch dimensions align from the right; a missing one counts as 1.
            var dx = d - (rank - (x.Rank - 2)) >= 0 ? x.Shape[d - (rank - (x.Rank - 2))] : 1;
            var dy = d - (rank - (y.Rank - 2)) >= 0 ? y.Shape[d - (rank - (y.Rank - 2))] : 1;
            var size = Math.Max(dx, dy);
            s.Require((dx == size || dx == 1) && (dy == size || dy == 1) && z.Shape[d] == size, $"batch dimensions of {x} and {y} do not broadcast to {z}");
            batchShape[d] = size;
            xStrides[d] = dx == 1 ? 0 : sx;
            yStrides[d] = dy == 1 ? 0 : sy;
            sx *= dx;
            sy *= dy;
        }
        return new MatMulGeometry(o.AdjX, o.AdjY, m, k, n, batchShape, xStrides, yStrides);
    }
}
