using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Hybrid (dynamic-range) BATCH_MATMUL: float32 left operand, constant int8 right operand (per-tensor, or per output
/// column), float32 output. Each left row of K values is quantized to int8 at run time (asymmetric, as for hybrid
/// FULLY_CONNECTED), multiplied in integers, and scaled back: out = (Σ q·w − offset·Σ w)·s_row·s_w[n].
/// adj_x / adj_y transpose the operands' last two dimensions; batch dimensions broadcast. Each right matrix is
/// packed for the 8-bit GEMMs (<see cref="HybridRows"/>: row blocks × column panels over the threads), with the
/// per-column loops' order of float operations, so the bits are theirs.
/// </summary>
internal sealed unsafe class HybridBatchMatMul : Kernel
{
    private readonly bool adjX;
    private readonly int m, n, k;
    private readonly int[] batchShape;
    private readonly long[] xBatchStrides, wBatchStrides;
    /// <summary>The weights per right batch as [n][k] rows widened to int16, with their row sums.</summary>
    private readonly short[] weights;
    private readonly long[] rowSums;
    private readonly float[] columnScales;
    /// <summary>Each right batch packed for the 8-bit GEMMs (null: the per-column reference loops).</summary>
    private readonly HybridWeights[]? packed;
    private readonly int x, output;

    private HybridBatchMatMul(KernelSetup s)
    {
        var a = s.Input(0);
        var b = s.Input(1);
        var z = s.Output(0);
        s.RequireType(a, TensorType.FLOAT32);
        s.RequireType(b, TensorType.INT8);
        s.RequireType(z, TensorType.FLOAT32);
        if (b.Constant is not { } data)
        {
            throw s.Unsupported($"hybrid BATCH_MATMUL needs a constant int8 right operand, not {b}");
        }
        var g = MatMulShapes.BatchMatMul(s, a, b, z, s.Options<BatchMatMulOptionsT>());
        (adjX, m, k, n) = (g.AdjX, g.M, g.K, g.N);
        var adjY = g.AdjY;
        (batchShape, xBatchStrides, wBatchStrides) = (g.BatchShape, g.XBatchStrides, g.YBatchStrides);

        var q = b.Quantization;
        s.Require(q is { Scale.Length: > 0 }, $"right operand {b} has no quantization scale");
        s.Require(q!.Scale.Length == 1 || q.Scale.Length == n, $"right operand {b} has {q.Scale.Length} scales; expected 1 or {n}");
        s.Require(q.ZeroPoint.All(zp => zp == 0), $"right operand {b} must be symmetric (zero point 0)");
        columnScales = new float[n];
        for (var c = 0; c < n; c++)
        {
            columnScales[c] = q.Scale[q.Scale.Length == 1 ? 0 : c];
        }
        // Lay each right batch out as n rows of k (transposing unless adj_y), widened for the int16 dot product.
        var matrices = checked((int)(b.ElementCount / ((long)k * n)));
        weights = new short[b.ElementCount];
        rowSums = new long[(long)matrices * n];
        for (var mat = 0; mat < matrices; mat++)
        {
            for (var c = 0; c < n; c++)
            {
                long sum = 0;
                for (var i = 0; i < k; i++)
                {
                    var v = (sbyte)data[(long)mat * k * n + (adjY ? (long)c * k + i : (long)i * n + c)];
                    weights[(long)mat * k * n + (long)c * k + i] = v;
                    sum += v;
                }
                rowSums[(long)mat * n + c] = sum;
            }
        }
        x = a.Index;
        output = z.Index;
        if (HybridPaths.PerChannel)
        {
            // The quantized row (int16) and, for adj_x, the gathered float row.
            ScratchBytesPerThread = (long)(k + 16) * sizeof(short) + (long)k * sizeof(float);
            return;
        }
        packed = new HybridWeights[matrices];
        for (var mat = 0; mat < matrices; mat++)
        {
            var rowSumsOfMatrix = rowSums.AsSpan(mat * n, n).ToArray();
            packed[mat] = new HybridWeights(weights.AsSpan(mat * k * n, k * n), n, k, columnScales, null, rowSumsOfMatrix);
        }
        // Thread 0: one batch's quantized rows with their scales and zero points, and a gathered float row (adj_x);
        // every thread: its panel sums.
        ScratchBytesPerThread = SharedBytes + 64 * sizeof(int) + 64;
    }

    private long SharedBytes => HybridFullyConnected.SharedBytes(m, k, Int8DotPath.Int16Pairs) + (long)k * sizeof(float) + 64;

    /// <summary>The 8-bit dot-product path this kernel was prepared for (null: the per-column reference loops).</summary>
    internal Int8DotPath? DotPath => packed?[0].DotPath;

    public static Kernel Create(KernelSetup s) => new HybridBatchMatMul(s);

    public override void Run(RunContext context)
    {
        if (packed is null)
        {
            RunPerColumn(context);
        }
        else if (packed[0].DotPath == Int8DotPath.Vnni)
        {
            RunPacked<byte>(context, packed);
        }
        else
        {
            RunPacked<short>(context, packed);
        }
    }

    /// <summary>Per batch: every left row quantized, then the rows times the batch's packed weights over the threads.</summary>
    private void RunPacked<T>(RunContext context, HybridWeights[] matrices) where T : unmanaged
    {
        long batches = 1;
        foreach (var d in batchShape)
        {
            batches *= d;
        }
        var stride = HybridWeights.RowStride(k);
        var quantized = (T*)context.Scratch(0);
        var scales = (float*)(quantized + (nint)m * stride);
        var offsets = (int*)(scales + m);
        var row = (float*)(offsets + m);
        var src = context.F(x);
        var dst = context.F(output);
        for (long batch = 0; batch < batches; batch++)
        {
            var (ox, ow) = Offsets(batch);
            var a = src + ox;
            for (var r = 0; r < m; r++)
            {
                var values = a + (long)r * k;
                if (adjX)
                {
                    // The row is a column of the stored matrix: gather it first.
                    for (var i = 0; i < k; i++)
                    {
                        row[i] = a[(long)i * m + r];
                    }
                    values = row;
                }
                var q = quantized + (nint)r * stride;
                scales[r] = DynamicQuantization.Asymmetric(values, k, q, out offsets[r]);
                new Span<T>(q + k, stride - k).Clear();
            }
            var weightsOfBatch = matrices[ow / ((long)k * n)].View;
            HybridRows.Multiply(context, weightsOfBatch, quantized, scales, offsets, m, k, dst + batch * m * n, SharedBytes);
        }
    }

    /// <summary>Element offsets of left and right operands for output batch <paramref name="batch"/> (broadcasting).</summary>
    private (long X, long W) Offsets(long batch)
    {
        long ox = 0, ow = 0;
        var rem = batch;
        for (var d = batchShape.Length - 1; d >= 0; d--)
        {
            var i = rem % batchShape[d];
            rem /= batchShape[d];
            ox += i * xBatchStrides[d];
            ow += i * wBatchStrides[d];
        }
        return (ox, ow);
    }

    /// <summary>The per-column reference: one output column's dot product at a time, on one thread.</summary>
    private void RunPerColumn(RunContext context)
    {
        long batches = 1;
        foreach (var d in batchShape)
        {
            batches *= d;
        }
        var quantized = (short*)context.Scratch(0);
        var row = (float*)(quantized + k + 16);
        var src = context.F(x);
        var dst = context.F(output);
        fixed (short* w = weights)
        {
            for (long batch = 0; batch < batches; batch++)
            {
                long ox = 0, ow = 0;
                var rem = batch;
                for (var d = batchShape.Length - 1; d >= 0; d--)
                {
                    var i = rem % batchShape[d];
                    rem /= batchShape[d];
                    ox += i * xBatchStrides[d];
                    ow += i * wBatchStrides[d];
                }
                var a = src + ox;
                var wb = w + ow;
                var sums = ow / ((long)k * n) * n;
                var z = dst + batch * m * n;
                for (var r = 0; r < m; r++)
                {
                    float* values = a + (long)r * k;
                    if (adjX)
                    {
                        // The row is a column of the stored matrix: gather it first.
                        for (var i = 0; i < k; i++)
                        {
                            row[i] = a[(long)i * m + r];
                        }
                        values = row;
                    }
                    var scale = DynamicQuantization.Asymmetric(values, k, quantized, out var offset);
                    for (var c = 0; c < n; c++)
                    {
                        var dot = IntDot.Dot(quantized, wb + (long)c * k, k) - offset * rowSums[sums + c];
                        z[(long)r * n + c] = dot * (scale * columnScales[c]);
                    }
                }
            }
        }
    }
}
