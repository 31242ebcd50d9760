using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Kernels;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// Turns a convolution-like integer accumulator into an output value, per output channel: add the bias (already
/// corrected for the input zero point), scale by input_scale·filter_scale[c]/output_scale as a fixed-point
/// multiplier, add the output zero point and clamp to the fused activation's range. 16-bit activations keep the
/// accumulator and bias in int64 and use TFLite's int64 multiplier, as its 16x8 convolutions do; its 16x8
/// FULLY_CONNECTED (<c>wideRequantize: false</c>) instead rounds the int64 product with the full 31-bit multiplier
/// once (<see cref="FixedPoint.MultiplyByQuantizedMultiplierSingleRounding"/>).
/// 8-bit activations are rescaled in float32 and rounded to nearest even, as XNNPACK does for LiteRT's int8
/// convolutions: TFLite's double-rounding fixed-point multiplier differs from it by one step on a few outputs per
/// layer, and those steps compound through a deep network (docs/quantized-agreement.md).
/// </summary>
internal sealed class ChannelRequantizer
{
    private ChannelRequantizer(int channels)
    {
        // Pinned, so unmanaged job structs can point at them (see View).
        Multiplier = GC.AllocateArray<int>(channels, pinned: true);
        Shift = GC.AllocateArray<int>(channels, pinned: true);
        Bias = GC.AllocateArray<long>(channels, pinned: true);
        Bias32 = GC.AllocateArray<int>(channels, pinned: true);
        FloatScale = GC.AllocateArray<float>(channels, pinned: true);
    }

    /// <summary>input_scale·filter_scale[c]/output_scale in float32, for 8-bit activations.</summary>
    public float[] FloatScale { get; }

    /// <summary>Rescale in float32 with round-to-nearest-even (8-bit activations) instead of the fixed-point multiplier.</summary>
    public bool FloatRounding { get; private init; }

    /// <summary>The bias as int32, for the vectorized 8-bit path (filled when every value fits).</summary>
    public int[] Bias32 { get; }

    /// <summary>Unmanaged view for parallel job structs (valid while this object lives).</summary>
    public unsafe RequantizerView View => new()
    {
        Multiplier = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Multiplier)),
        Shift = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Shift)),
        Bias = (long*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Bias)),
        Bias32 = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Bias32)),
        FloatScale = FloatRounding ? (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(FloatScale)) : null,
        SingleRounding = SingleRounding,
        CanVectorize = !Wide && !SingleRounding && Array.TrueForAll(Bias, b => b >= int.MinValue && b <= int.MaxValue),
        Wide = Wide,
        OutputZero = OutputZero,
        ActivationMin = ActivationMin,
        ActivationMax = ActivationMax,
    };

    public int[] Multiplier { get; }

    public int[] Shift { get; }

    /// <summary>bias[c] − input_zero_point·Σ weights[c] (the zero-point correction folded into the bias).</summary>
    public long[] Bias { get; }

    /// <summary>Requantize with the int64 multiplier (16x8 convolutions) rather than the int32 one.</summary>
    public bool Wide { get; private init; }

    /// <summary>Requantize with one rounding of the int64 product (16x8 FULLY_CONNECTED).</summary>
    public bool SingleRounding { get; private set; }

    public int OutputZero { get; private init; }

    public int ActivationMin { get; private init; }

    public int ActivationMax { get; private init; }


    /// <summary>
    /// Builds the requantizer of a convolution whose weights (already minus their zero point, as int16, one row
    /// of <paramref name="rowLength"/> per output channel in <paramref name="weightRows"/>) produce
    /// <paramref name="channels"/> outputs. <paramref name="filterScales"/> is one scale or one per channel.
    /// </summary>
    public static ChannelRequantizer Create(KernelSetup s, RuntimeTensor input, RuntimeTensor filter, RuntimeTensor? bias,
        RuntimeTensor output, ActivationFunctionType activation, ReadOnlySpan<short> weightRows, int channels, int rowLength,
        bool wideRequantize = true, Func<int, long>? weightSumOverride = null)
    {
        var x = QuantInfo.Of(s, input);
        var y = QuantInfo.Of(s, output);
        s.Require(x.Type == y.Type, $"input {input} and output {output} must have the same type");
        var filterScales = FilterScales(s, filter, channels);
        var (lo, hi) = y.ActivationRange(activation, s);
        var r = new ChannelRequantizer(channels)
        {
            Wide = x.Type == TensorType.INT16 && wideRequantize,
            FloatRounding = x.Type is TensorType.INT8 or TensorType.UINT8,
            OutputZero = y.ZeroPoint,
            ActivationMin = lo,
            ActivationMax = hi,
        };
        var singleRounding = x.Type == TensorType.INT16 && !wideRequantize;
        var biasValues = BiasValues(s, bias, channels);
        for (var c = 0; c < channels; c++)
        {
            (r.Multiplier[c], r.Shift[c]) = FixedPoint.Quantize((double)x.Scale * filterScales[c] / y.Scale);
            r.FloatScale[c] = (float)x.Scale * (float)filterScales[c] / (float)y.Scale;
            long sum = 0;
            if (weightSumOverride is not null)
            {
                sum = weightSumOverride(c);
            }
            else
            {
                foreach (var w in weightRows.Slice(c * rowLength, rowLength))
                {
                    sum += w;
                }
            }
            r.Bias[c] = biasValues[c] - (long)x.ZeroPoint * sum;
            r.Bias32[c] = unchecked((int)r.Bias[c]);
            singleRounding &= r.Shift[c] <= 30;
        }
        r.SingleRounding = singleRounding;
        return r;
    }

    /// <summary>The filter's scales as doubles, one per output channel.</summary>
    public static double[] FilterScales(KernelSetup s, RuntimeTensor filter, int channels)
    {
        var q = filter.Quantization;
        if (q is null || q.Scale.Length == 0)
        {
            throw s.Invalid($"filter {filter} has no quantization scale");
        }
        s.Require(q.Scale.Length == 1 || q.Scale.Length == channels,
            $"filter {filter} has {q.Scale.Length} scales; expected 1 or {channels}");
        var scales = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            scales[c] = q.Scale[q.Scale.Length == 1 ? 0 : c];
            s.Require(scales[c] > 0 && !double.IsInfinity(scales[c]), $"filter {filter} has a non-positive scale");
        }
        return scales;
    }

    /// <summary>Constant int32 or int64 bias values (zeros when there is no bias).</summary>
    public static long[] BiasValues(KernelSetup s, RuntimeTensor? bias, int channels)
    {
        var values = new long[channels];
        if (bias is null)
        {
            return values;
        }
        s.Require(bias.ElementCount == channels, $"bias {bias} must have {channels} elements");
        if (bias.Constant is not { } data)
        {
            throw s.Unsupported($"bias {bias} must be constant");
        }
        switch (bias.Type)
        {
            case TensorType.INT32:
                var ints = MemoryMarshal.Cast<byte, int>(data.AsSpan(0, channels * 4));
                for (var c = 0; c < channels; c++)
                {
                    values[c] = ints[c];
                }
                break;
            case TensorType.INT64:
                MemoryMarshal.Cast<byte, long>(data.AsSpan(0, channels * 8)).CopyTo(values);
                break;
            default:
                throw s.Unsupported($"bias {bias} must be int32 or int64");
        }
        return values;
    }

    /// <summary>
    /// Constant int8 or uint8 weights minus their zero point, widened to int16 (the layout is kept). uint8 weights
    /// carry a per-tensor zero point; int8 ones are symmetric (any zero point is honoured all the same).
    /// </summary>
    public static short[] WidenedWeights(KernelSetup s, RuntimeTensor filter, int channelAxis)
    {
        if (filter.Constant is not { } data)
        {
            throw s.Unsupported($"filter {filter} must be constant");
        }
        if (filter.Type is not (TensorType.INT8 or TensorType.UINT8))
        {
            throw s.Unsupported($"filter {filter} must be int8 or uint8");
        }
        var q = filter.Quantization;
        var zeros = q?.ZeroPoint ?? [];
        var n = checked((int)filter.ElementCount);
        long inner = 1;
        for (var d = channelAxis + 1; d < filter.Rank; d++)
        {
            inner *= filter.Shape[d];
        }
        var channels = filter.Shape[channelAxis];
        s.Require(zeros.Length <= 1 || zeros.Length == channels,
            $"filter {filter} has {zeros.Length} zero points; expected 1 or {channels}");
        s.Require(q is null || q.Scale.Length <= 1 || q.Scale.Length == channels,
            $"filter {filter} has {q?.Scale.Length} scales; expected 1 or {channels}");
        var result = GC.AllocateArray<short>(n + 16, pinned: true);
        for (var i = 0; i < n; i++)
        {
            var zero = zeros.Length == 0 ? 0 : zeros.Length == 1 ? zeros[0] : zeros[(int)(i / inner % channels)];
            int raw = filter.Type == TensorType.INT8 ? (sbyte)data[i] : data[i];
            result[i] = (short)(raw - zero);
        }
        return result;
    }
}

/// <summary>Pointers into a <see cref="ChannelRequantizer"/>'s pinned arrays.</summary>
internal unsafe struct RequantizerView
{
    public int* Multiplier;
    public int* Shift;
    public long* Bias;
    public int* Bias32;
    /// <summary>Per-channel float32 scales when 8-bit outputs are rounded as XNNPACK does; null for fixed point.</summary>
    public float* FloatScale;
    public bool Wide;
    public bool SingleRounding;
    public bool CanVectorize;
    public int OutputZero;
    public int ActivationMin;
    public int ActivationMax;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Requantize(long accumulator, int channel)
    {
        var total = accumulator + Bias[channel];
        if (FloatScale != null)
        {
            var rescaled = Math.Clamp(unchecked((int)total) * FloatScale[channel], ActivationMin - OutputZero, ActivationMax - OutputZero);
            return (int)MathF.Round(rescaled, MidpointRounding.ToEven) + OutputZero;
        }
        var scaled = Wide ? FixedPoint.MultiplyByQuantizedMultiplier(total, Multiplier[channel], Shift[channel])
            : SingleRounding ? FixedPoint.MultiplyByQuantizedMultiplierSingleRounding(total, Multiplier[channel], Shift[channel])
            : FixedPoint.MultiplyByQuantizedMultiplier(unchecked((int)total), Multiplier[channel], Shift[channel]);
        return Math.Clamp(scaled + OutputZero, ActivationMin, ActivationMax);
    }

    /// <summary>
    /// Requantizes one GEMM panel's int32 sums (<paramref name="count"/> rows × 16 channels from <paramref name="c0"/>,
    /// rows 16 apart in <paramref name="sums"/>, overwritten) and writes them to rows <paramref name="firstRow"/>… of
    /// <paramref name="output"/>, which has <paramref name="channels"/> per row. Whole blocks of 8 channels go through
    /// vectors; the last few channels of a partial panel one by one.
    /// </summary>
    public readonly void StorePanel<T>(T* output, int* sums, int firstRow, int count, int c0, int channels)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        const int Columns = PackedInt8Weights.Columns;
        var c1 = Math.Min(channels, c0 + Columns);
        var vectorEnd = CanVectorize ? c0 + (c1 - c0) / 8 * 8 : c0;
        for (var r = 0; r < count; r++)
        {
            var dst = output + (nint)(firstRow + r) * channels;
            var rowSums = sums + r * Columns;
            if (vectorEnd - c0 == Columns)
            {
                Requantize8(rowSums, c0);
                Requantize8(rowSums + 8, c0 + 8);
                VnniInt8Gemm.Store16(rowSums, dst + c0);
                continue;
            }
            var c = c0;
            for (; c < vectorEnd; c += 8)
            {
                Requantize8(rowSums + (c - c0), c);
            }
            for (; c < c1; c++)
            {
                rowSums[c - c0] = Requantize(rowSums[c - c0], c);
            }
            for (c = c0; c < c1; c++)
            {
                IntElements.Set(dst, c, rowSums[c - c0]);
            }
        }
    }

    /// <summary>
    /// Requantizes 8 int32 sums of channels [c, c+8) in place with AVX2, bit-exact with <see cref="Requantize"/>
    /// (int32 path): 64-bit products on even and odd lanes, truncating division by 2^31, rounding right shift.
    /// </summary>
    public readonly void Requantize8(int* sums, int c)
    {
        if (!Avx2.IsSupported)
        {
            for (var i = 0; i < 8; i++)
            {
                sums[i] = Requantize(sums[i], c + i);
            }
            return;
        }
        var acc = Avx.LoadVector256(sums) + Avx.LoadVector256(Bias32 + c);
        if (FloatScale != null)
        {
            var rescaled = Avx.Multiply(Avx.ConvertToVector256Single(acc), Avx.LoadVector256(FloatScale + c));
            rescaled = Avx.Min(Avx.Max(rescaled, Vector256.Create((float)(ActivationMin - OutputZero))), Vector256.Create((float)(ActivationMax - OutputZero)));
            // Converts with the default rounding mode: to nearest, ties to even.
            (Avx.ConvertToVector256Int32(rescaled) + Vector256.Create(OutputZero)).Store(sums);
            return;
        }
        var shift = Avx.LoadVector256(Shift + c);
        var multiplier = Avx.LoadVector256(Multiplier + c);
        var zero = Vector256<int>.Zero;
        var left = Avx2.Max(shift, zero);
        var right = Avx2.Max(-shift, zero);
        var x = Avx2.ShiftLeftLogicalVariable(acc.AsUInt32(), left.AsUInt32()).AsInt32();
        var high = HighMul(x, multiplier);
        // Rounding divide by 2^right, ties away from zero.
        var mask = Avx2.ShiftLeftLogicalVariable(Vector256.Create(1u), right.AsUInt32()).AsInt32() - Vector256.Create(1);
        var remainder = high & mask;
        var threshold = Avx2.ShiftRightArithmetic(mask, 1) - Avx2.CompareGreaterThan(zero, high); // +1 where negative
        var result = Avx2.ShiftRightArithmeticVariable(high, right.AsUInt32()) - Avx2.CompareGreaterThan(remainder, threshold);
        result = Avx2.Min(Avx2.Max(result + Vector256.Create(OutputZero), Vector256.Create(ActivationMin)), Vector256.Create(ActivationMax));
        result.Store(sums);
    }

    /// <summary>Lane-wise SaturatingRoundingDoublingHighMul (the multiplier is never int.MinValue).</summary>
    private static Vector256<int> HighMul(Vector256<int> a, Vector256<int> b)
    {
        var even = Avx2.Multiply(a, b);
        var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), Avx2.ShiftRightLogical(b.AsInt64(), 32).AsInt32());
        var evenQ = DivideBy2Pow31(even);
        var oddQ = DivideBy2Pow31(odd);
        // Low 32 bits of each quotient: even lanes in place, odd ones moved up.
        return Avx2.Blend(evenQ.AsInt32(), Avx2.ShiftLeftLogical(oddQ, 32).AsInt32(), 0b10101010);
    }

    /// <summary>(p + nudge) / 2^31 truncated toward zero, valid in the low 32 bits (the quotient fits in int32).</summary>
    private static Vector256<long> DivideBy2Pow31(Vector256<long> p)
    {
        var negative = Avx2.CompareGreaterThan(Vector256<long>.Zero, p);
        var nudge = Avx2.BlendVariable(Vector256.Create(1L << 30), Vector256.Create(1 - (1L << 30)), negative);
        var v = p + nudge;
        var vNegative = Avx2.CompareGreaterThan(Vector256<long>.Zero, v);
        v += vNegative & Vector256.Create((1L << 31) - 1);
        return Avx2.ShiftRightLogical(v, 31);
    }
}
