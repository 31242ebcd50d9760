using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// int8 BATCH_MATMUL: out[..., m, n] = requantize(Σ_k (x[..., m, k] − zp_x)·(y[..., k, n] − zp_y)) with one
/// multiplier s_x·s_y/s_out, adj_x / adj_y transposing the operands' last two dimensions and batch dimensions
/// broadcasting, as TFLite's integer kernel computes it.
/// </summary>
internal sealed unsafe class BatchMatMul : Kernel
{
    private const int MaxBatchRank = 4;

    private readonly bool adjX, adjY;
    private readonly int m, n, k;
    private readonly int[] batchShape;
    private readonly long[] xBatchStrides, yBatchStrides;
    private readonly QuantInfo qx, qy, qz;
    private readonly int multiplier, shift;
    private readonly int x, y, output;

    private BatchMatMul(KernelSetup s)
    {
        var a = s.Input(0);
        var b = s.Input(1);
        var z = s.Output(0);
        s.RequireType(a, TensorType.INT8);
        s.RequireType(b, TensorType.INT8);
        s.RequireType(z, TensorType.INT8);
        s.Require(a.Rank >= 2 && b.Rank >= 2, "operands need at least two dimensions");
        qx = QuantInfo.Of(s, a);
        qy = QuantInfo.Of(s, b);
        qz = QuantInfo.Of(s, z);
        (multiplier, shift) = FixedPoint.Quantize((double)qx.Scale * qy.Scale / qz.Scale);
        var o = s.Options<BatchMatMulOptionsT>();
        (adjX, adjY) = (o.AdjX, o.AdjY);
        m = adjX ? a.Dim(-1) : a.Dim(-2);
        k = adjX ? a.Dim(-2) : a.Dim(-1);
        var kb = adjY ? b.Dim(-1) : b.Dim(-2);
        n = adjY ? b.Dim(-2) : b.Dim(-1);
        s.Require(k == kb, $"inner dimensions of {a} and {b} differ");
        var rank = Math.Max(a.Rank, b.Rank) - 2;
        s.Require(rank <= MaxBatchRank && z.Rank == rank + 2 && z.Dim(-2) == m && z.Dim(-1) == n, $"output {z} does not match");
        batchShape = new int[rank];
        xBatchStrides = new long[rank];
        yBatchStrides = new long[rank];
        long sa = (long)m * k, sb = (long)k * n;
        for (var d = rank - 1; d >= 0; d--)
        {
            var da = d - (rank - (a.Rank - 2)) >= 0 ? a.Shape[d - (rank - (a.Rank - 2))] : 1;
            var db = d - (rank - (b.Rank - 2)) >= 0 ? b.Shape[d - (rank - (b.Rank - 2))] : 1;
            var size = Math.Max(da, db);
            s.Require((da == size || da == 1) && (db == size || db == 1) && z.Shape[d] == size, $"batch dimensions of {a} and {b} do not broadcast to {z}");
            batchShape[d] = size;
            xBatchStrides[d] = da == 1 ? 0 : sa;
            yBatchStrides[d] = db == 1 ? 0 : sb;
            sa *= da;
            sb *= db;
        }
        x = a.Index;
        y = b.Index;
        output = z.Index;
    }

    public static Kernel Create(KernelSetup s) => new BatchMatMul(s);

    public override void Run(RunContext context)
    {
        long batches = 1;
        foreach (var d in batchShape)
        {
            batches *= d;
        }
        var dst = context.P<sbyte>(output);
        for (long batch = 0; batch < batches; batch++)
        {
            long ox = 0, oy = 0;
            var rem = batch;
            for (var d = batchShape.Length - 1; d >= 0; d--)
            {
                var i = rem % batchShape[d];
                rem /= batchShape[d];
                ox += i * xBatchStrides[d];
                oy += i * yBatchStrides[d];
            }
            var a = context.P<sbyte>(x) + ox;
            var b = context.P<sbyte>(y) + oy;
            var z = dst + batch * m * n;
            for (var row = 0; row < m; row++)
            {
                for (var col = 0; col < n; col++)
                {
                    var total = 0;
                    for (var i = 0; i < k; i++)
                    {
                        int av = adjX ? a[(long)i * m + row] : a[(long)row * k + i];
                        int bv = adjY ? b[(long)col * k + i] : b[(long)i * n + col];
                        total += (av - qx.ZeroPoint) * (bv - qy.ZeroPoint);
                    }
                    var scaled = FixedPoint.MultiplyByQuantizedMultiplier(total, multiplier, shift) + qz.ZeroPoint;
                    z[(long)row * n + col] = (sbyte)Math.Clamp(scaled, qz.Min, qz.Max);
                }
            }
        }
    }
}
