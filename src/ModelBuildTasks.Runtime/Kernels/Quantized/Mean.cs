using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer MEAN and SUM over constant axes (keep_dims or not): exact integer sums per output, then rescaled.
/// 8-bit: in float, mean·(s_in/s_out) − zp_in·(s_in/s_out) (for SUM: sum·(s_in/s_out) − zp_in·(s_in/s_out)·n),
/// rounded half away from zero, plus zp_out, clamped. int16 follows TFLite's reference kernel, which LiteRT runs
/// for it, in fixed point (<see cref="Rescale16"/>).
/// </summary>
internal sealed unsafe class Mean : Kernel
{
    private readonly bool isSum;
    private readonly int[] shape;
    private readonly long[] outStrides;
    private readonly long outCount;
    private readonly long inCount;
    private readonly float count;
    private readonly QuantInfo inInfo;
    private readonly QuantInfo outInfo;
    private readonly int input;
    private readonly int output;

    // int16: the fixed-point rescale of TFLite's reference kernel (see Rescale16).
    private readonly int multiplier;
    private readonly int shift;
    private readonly long reducedElements;

    private Mean(KernelSetup s)
    {
        isSum = s.Op.Code.Builtin == BuiltinOperator.SUM;
        var x = s.Input(0);
        var y = s.Output(0);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        inInfo = QuantInfo.Of(s, x);
        outInfo = QuantInfo.Of(s, y);
        var reduced = new bool[x.Rank];
        foreach (var a in s.ConstInts(s.Input(1)))
        {
            var axis = a < 0 ? a + x.Rank : a;
            s.Require(axis >= 0 && axis < x.Rank, $"axis {a} is out of range for {x}");
            reduced[axis] = true;
        }
        shape = x.Rank == 0 ? [1] : x.Shape;
        outStrides = new long[shape.Length];
        long stride = 1;
        long reducedCount = 1;
        for (var d = x.Rank - 1; d >= 0; d--)
        {
            if (reduced[d])
            {
                reducedCount *= shape[d];
            }
            else
            {
                outStrides[d] = stride;
                stride *= shape[d];
            }
        }
        outCount = stride;
        inCount = x.ElementCount;
        count = reducedCount;
        reducedElements = reducedCount;
        s.Require(y.ElementCount == outCount, $"output {y} must hold {outCount} values");
        ScratchBytesPerThread = outCount * sizeof(long);
        if (x.Type == TensorType.INT16)
        {
            (multiplier, shift) = FixedPoint.Quantize((double)inInfo.Scale / outInfo.Scale);
            if (!isSum && reducedCount > 0)
            {
                // Fold 1/n into the multiplier: scale it up by 2^k (k = floor(log2 n), limited so that the shift stays
                // within what the fixed-point multiply allows), divide by n, truncating.
                var k = Math.Min(Math.Min(63 - BitOperations.LeadingZeroCount((ulong)reducedCount), 32), 31 + shift);
                multiplier = (int)(((long)multiplier << k) / reducedCount);
                shift -= k;
            }
        }
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Mean(s);

    public override void Run(RunContext context)
    {
        var sums = (long*)context.Scratch(0);
        switch (inInfo.Type)
        {
            case TensorType.INT8: Reduce(context.P<sbyte>(input), context.P<sbyte>(output), sums); break;
            case TensorType.UINT8: Reduce(context.B(input), context.B(output), sums); break;
            default: Reduce(context.P<short>(input), context.P<short>(output), sums); break;
        }
    }

    private void Reduce<T>(T* src, T* dst, long* sums) where T : unmanaged, IBinaryInteger<T>
    {
        new Span<long>(sums, (int)outCount).Clear();
        var rank = shape.Length;
        Span<int> index = stackalloc int[rank];
        long o = 0;
        for (long i = 0; i < inCount; i++)
        {
            sums[o] += IntElements.Get(src, (nint)i);
            // Odometer: step the innermost dimension, carrying outward.
            for (var d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                o += outStrides[d];
                if (index[d] < shape[d])
                {
                    break;
                }
                o -= outStrides[d] * shape[d];
                index[d] = 0;
            }
        }
        if (inInfo.Type == TensorType.INT16)
        {
            Rescale16(sums, dst);
            return;
        }
        var scale = inInfo.Scale / outInfo.Scale;
        var bias = -inInfo.ZeroPoint * scale * (isSum ? count : 1);
        for (long i = 0; i < outCount; i++)
        {
            var value = isSum ? sums[i] : sums[i] / count;
            var result = MathF.Round(value * scale + bias, MidpointRounding.AwayFromZero) + outInfo.ZeroPoint;
            IntElements.Set(dst, (nint)i, (int)Math.Clamp(result, outInfo.Min, outInfo.Max));
        }
    }

    /// <summary>
    /// TFLite's int16 MEAN/SUM (QuantizedMeanOrSum), which LiteRT uses for every axis combination: the int32 sum
    /// times one fixed-point multiplier of s_in/s_out (with 1/n folded in for MEAN), double rounding.
    /// </summary>
    private void Rescale16<T>(long* sums, T* dst) where T : unmanaged, IBinaryInteger<T>
    {
        for (long i = 0; i < outCount; i++)
        {
            // TFLite accumulates int16 sums in int32.
            var sum = unchecked((int)(sums[i] - inInfo.ZeroPoint * reducedElements));
            var value = FixedPoint.MultiplyByQuantizedMultiplier(sum, multiplier, shift) + outInfo.ZeroPoint;
            IntElements.Set(dst, (nint)i, Math.Clamp(value, outInfo.Min, outInfo.Max));
        }
    }
}
