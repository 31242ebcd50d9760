using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// BATCH_MATMUL in float32: out[..., m, n] = Σ_k x[..., m, k]·y[..., k, n], where adj_x / adj_y mean the operand
/// is stored transposed in its last two dimensions and the batch dimensions broadcast. Without adj_y each output
/// row is a sum of scaled rows of y (vectorized over n); with adj_y each element is a dot product of two
/// contiguous rows.
/// </summary>
internal sealed unsafe class BatchMatMul : Kernel
{
    private readonly bool adjX, adjY;
    private readonly int m, n, k;
    private readonly int[] batchShape;
    private readonly long[] xBatchStrides, yBatchStrides;
    private readonly int x, y, output;

    private BatchMatMul(KernelSetup s)
    {
        var a = s.Input(0);
        var b = s.Input(1);
        var z = s.Output(0);
        s.RequireType(a, TensorType.FLOAT32);
        s.RequireType(b, TensorType.FLOAT32);
        s.RequireType(z, TensorType.FLOAT32);
        var g = MatMulShapes.BatchMatMul(s, a, b, z, s.Options<BatchMatMulOptionsT>());
        (adjX, adjY, m, k, n) = (g.AdjX, g.AdjY, g.M, g.K, g.N);
        (batchShape, xBatchStrides, yBatchStrides) = (g.BatchShape, g.XBatchStrides, g.YBatchStrides);
        MultiplyAccumulates = z.ElementCount * k;
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
            Multiply(context.F(x) + ox, context.F(y) + oy, context.F(output) + batch * m * n);
        }
    }

    private void Multiply(float* a, float* b, float* c)
    {
        for (var i = 0; i < m; i++)
        {
            var row = c + (long)i * n;
            if (!adjY)
            {
                new Span<float>(row, n).Clear();
                for (var p = 0; p < k; p++)
                {
                    var av = adjX ? a[(long)p * m + i] : a[(long)i * k + p];
                    var brow = b + (long)p * n;
                    var j = 0;
                    var vav = Vector256.Create(av);
                    for (; j <= n - 8; j += 8)
                    {
                        Vector256.Store(Gemm.MulAdd(vav, Vector256.Load(brow + j), Vector256.Load(row + j)), row + j);
                    }
                    for (; j < n; j++)
                    {
                        row[j] = MathF.FusedMultiplyAdd(av, brow[j], row[j]);
                    }
                }
            }
            else
            {
                for (var j = 0; j < n; j++)
                {
                    var brow = b + (long)j * k;
                    var sum = 0f;
                    for (var p = 0; p < k; p++)
                    {
                        var av = adjX ? a[(long)p * m + i] : a[(long)i * k + p];
                        sum = MathF.FusedMultiplyAdd(av, brow[p], sum);
                    }
                    row[j] = sum;
                }
            }
        }
    }
}
