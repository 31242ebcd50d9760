using System.Numerics;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer BATCH_MATMUL: out[..., m, n] = requantize(Σ_k (x[..., m, k] − zp_x)·(y[..., k, n] − zp_y)) with one
/// multiplier s_x·s_y/s_out, adj_x / adj_y transposing the operands' last two dimensions and batch dimensions
/// broadcasting, as TFLite's integer kernels compute it. int8 × int8 → int8 accumulates in int32 and rescales with
/// the 32-bit multiplier; int16 × int16 and int16 × int8 → int16 (zero points 0) accumulate in int64 and rescale
/// with TFLite's 16-bit-mantissa int64 path; int8 × int8 → int32 writes the raw sums of raw products (no zero points).
/// </summary>
internal sealed unsafe class BatchMatMul : Kernel
{
    private readonly bool adjX, adjY;
    private readonly int m, n, k;
    private readonly int[] batchShape;
    private readonly long[] xBatchStrides, yBatchStrides;
    private readonly QuantInfo qx, qy, qz;
    private readonly int multiplier, shift;
    private readonly TensorType aType, bType, outType;
    /// <summary>XNNPACK's float32 rescale factor, or 0 for TFLite's fixed-point one.</summary>
    private readonly float floatScale;
    private readonly int x, y, output;

    private BatchMatMul(KernelSetup s)
    {
        var a = s.Input(0);
        var b = s.Input(1);
        var z = s.Output(0);
        (aType, bType, outType) = (a.Type, b.Type, z.Type);
        var supported = (aType, bType, outType) is (TensorType.INT8, TensorType.INT8, TensorType.INT8 or TensorType.INT32)
            or (TensorType.INT16, TensorType.INT16 or TensorType.INT8, TensorType.INT16);
        if (!supported)
        {
            throw s.Unsupported($"BATCH_MATMUL {TensorTypes.Name(aType)} x {TensorTypes.Name(bType)} -> {TensorTypes.Name(outType)} has no integer kernel");
        }
        qx = QuantInfo.Of(s, a);
        qy = QuantInfo.Of(s, b);
        if (b.Quantization is { Scale.Length: > 1 })
        {
            throw s.Unsupported($"integer BATCH_MATMUL with a per-channel right operand {b} is not supported");
        }
        if (outType == TensorType.INT32)
        {
            qz = new QuantInfo(TensorType.INT32, 1, 0);
        }
        else
        {
            qz = QuantInfo.Of(s, z);
            (multiplier, shift) = FixedPoint.Quantize((double)qx.Scale * qy.Scale / qz.Scale);
        }
        // LiteRT hands int8 BATCH_MATMUL with a constant symmetric right operand to XNNPACK, which rescales the int32
        // sum in float32 and rounds half to even (a step off the fixed-point path on ~2 % of outputs).
        if (aType == TensorType.INT8 && outType == TensorType.INT8 && b.IsConstant && qy.ZeroPoint == 0)
        {
            floatScale = qx.Scale * qy.Scale / qz.Scale;
        }
        if (aType == TensorType.INT16)
        {
            s.Require(qx.ZeroPoint == 0 && qy.ZeroPoint == 0 && qz.ZeroPoint == 0, "int16 BATCH_MATMUL needs zero points 0");
        }
        var g = MatMulShapes.BatchMatMul(s, a, b, z, s.Options<BatchMatMulOptionsT>());
        (adjX, adjY, m, k, n) = (g.AdjX, g.AdjY, g.M, g.K, g.N);
        (batchShape, xBatchStrides, yBatchStrides) = (g.BatchShape, g.XBatchStrides, g.YBatchStrides);
        x = a.Index;
        y = b.Index;
        output = z.Index;
    }

    public static Kernel Create(KernelSetup s) => new BatchMatMul(s);

    public override void Run(RunContext context)
    {
        switch (aType, bType, outType)
        {
            case (TensorType.INT8, _, TensorType.INT8): Run(context, context.P<sbyte>(x), context.P<sbyte>(y), context.P<sbyte>(output)); break;
            case (TensorType.INT8, _, _): Run(context, context.P<sbyte>(x), context.P<sbyte>(y), context.P<int>(output)); break;
            case (_, TensorType.INT16, _): Run(context, context.P<short>(x), context.P<short>(y), context.P<short>(output)); break;
            default: Run(context, context.P<short>(x), context.P<sbyte>(y), context.P<short>(output)); break;
        }
    }

    private void Run<TA, TB, TZ>(RunContext context, TA* left, TB* right, TZ* dst)
        where TA : unmanaged, IBinaryInteger<TA>
        where TB : unmanaged, IBinaryInteger<TB>
        where TZ : unmanaged, IBinaryInteger<TZ>
    {
        long batches = 1;
        foreach (var d in batchShape)
        {
            batches *= d;
        }
        var wide = aType == TensorType.INT16;
        var raw = outType == TensorType.INT32;
        // The int32 form multiplies raw values: TFLite applies no zero points there.
        var zeroX = raw ? 0 : qx.ZeroPoint;
        var zeroY = raw ? 0 : qy.ZeroPoint;
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
            var a = left + ox;
            var b = right + oy;
            var z = dst + batch * m * n;
            for (var row = 0; row < m; row++)
            {
                for (var col = 0; col < n; col++)
                {
                    long total = 0;
                    for (var i = 0; i < k; i++)
                    {
                        var av = IntElements.Get(a, (nint)(adjX ? (long)i * m + row : (long)row * k + i));
                        var bv = IntElements.Get(b, (nint)(adjY ? (long)col * k + i : (long)i * n + col));
                        total += (long)(av - zeroX) * (bv - zeroY);
                    }
                    int value;
                    if (raw)
                    {
                        value = unchecked((int)total);
                    }
                    else if (floatScale != 0)
                    {
                        var rescaled = Math.Clamp(unchecked((int)total) * floatScale, qz.Min - qz.ZeroPoint, qz.Max - qz.ZeroPoint);
                        value = (int)MathF.Round(rescaled, MidpointRounding.ToEven) + qz.ZeroPoint;
                    }
                    else
                    {
                        // int8 accumulates in (wrapping) int32 like TFLite; int16 in int64 with the 16-bit-mantissa rescale.
                        var scaled = wide
                            ? FixedPoint.MultiplyByQuantizedMultiplier(total, multiplier, shift)
                            : FixedPoint.MultiplyByQuantizedMultiplier(unchecked((int)total), multiplier, shift);
                        value = Math.Clamp(scaled + qz.ZeroPoint, qz.Min, qz.Max);
                    }
                    IntElements.Set(z, (nint)((long)row * n + col), value);
                }
            }
        }
    }
}
