using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Elementwise integer functions of one input — RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, LOGISTIC, TANH,
/// HARD_SWISH and requantizing QUANTIZE — as a lookup table built at load: 256 entries for 8-bit inputs, 65 536
/// for int16. Each entry is computed with the op's own TFLite arithmetic (fixed-point rescaling for the ReLU
/// family and requantization, float evaluation rounded to the output scale for 8-bit LOGISTIC/TANH, the sigmoid
/// table or gemmlowp's fixed point for int16 LOGISTIC/TANH, 16-bit fixed point for HARD_SWISH), so running the op
/// is a single load per element.
/// </summary>
internal sealed unsafe class LookupTable : Kernel
{
    private readonly int[] table;
    private readonly int offset;
    private readonly TensorType inType;
    private readonly TensorType outType;
    private readonly long count;
    private readonly int input;

    // 8-bit in and out: the table as 256 bytes indexed by the input's bit pattern (pinned: parallel bodies read it).
    private readonly byte[]? byteTable;
    private readonly int output;

    private LookupTable(KernelSetup s, Func<int, int> function)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.Require(x.ElementCount == y.ElementCount, $"input {x} and output {y} must have the same size");
        var qx = QuantInfo.Of(s, x);
        QuantInfo.Of(s, y);
        inType = x.Type;
        outType = y.Type;
        offset = -qx.Min;
        table = new int[qx.Max - qx.Min + 1];
        for (var q = qx.Min; q <= qx.Max; q++)
        {
            table[q + offset] = function(q);
        }
        count = x.ElementCount;
        input = x.Index;
        output = y.Index;
        if (x.Type is TensorType.INT8 or TensorType.UINT8 && y.Type is TensorType.INT8 or TensorType.UINT8)
        {
            byteTable = GC.AllocateArray<byte>(256, pinned: true);
            for (var bits = 0; bits < 256; bits++)
            {
                var q = x.Type == TensorType.INT8 ? (sbyte)bits : bits;
                byteTable[bits] = unchecked((byte)table[q + offset]);
            }
        }
    }

    public static Kernel Create(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        var qx = QuantInfo.Of(s, x);
        var qy = QuantInfo.Of(s, y);
        var op = s.Op.Code.Builtin;
        if (op != BuiltinOperator.QUANTIZE)
        {
            s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        }
        if (x.Type == TensorType.INT16 && op is BuiltinOperator.LOGISTIC or BuiltinOperator.TANH)
        {
            return Int16LogisticOrTanh(s, qx, qy, op == BuiltinOperator.TANH);
        }
        return op switch
        {
            BuiltinOperator.RELU => Relu(s, qx, qy, 0f, float.PositiveInfinity),
            BuiltinOperator.RELU6 => Relu(s, qx, qy, 0f, 6f),
            BuiltinOperator.RELU_N1_TO_1 => Relu(s, qx, qy, -1f, 1f),
            BuiltinOperator.LEAKY_RELU => LeakyRelu(s, qx, qy, s.Options<LeakyReluOptionsT>().Alpha),
            BuiltinOperator.LOGISTIC => FromFloat(s, qx, qy, v => 1f / (1f + MathF.Exp(-v))),
            BuiltinOperator.TANH => FromFloat(s, qx, qy, MathF.Tanh),
            BuiltinOperator.HARD_SWISH => HardSwish(s, qx, qy),
            BuiltinOperator.QUANTIZE => Requantize(s, qx, qy),
            _ => throw s.Unsupported($"{op} has no integer lookup kernel"),
        };
    }

    /// <summary>out = zp_out + (q − zp_in)·(s_in/s_out), clamped to [min, max] of the activation in the output domain.</summary>
    private static LookupTable Relu(KernelSetup s, QuantInfo x, QuantInfo y, float min, float max)
    {
        var (m, sh) = FixedPoint.Quantize(x.Scale / y.Scale);
        var lo = Math.Max(y.Min, y.QuantizeUnclamped(min));
        var hi = float.IsPositiveInfinity(max) ? y.Max : Math.Min(y.Max, y.QuantizeUnclamped(max));
        return new LookupTable(s, q => Math.Clamp(y.ZeroPoint + FixedPoint.MultiplyByQuantizedMultiplier(q - x.ZeroPoint, m, sh), lo, hi));
    }

    private static LookupTable LeakyRelu(KernelSetup s, QuantInfo x, QuantInfo y, float alpha)
    {
        var (mi, si) = FixedPoint.Quantize(x.Scale / y.Scale);
        var (ma, sa) = FixedPoint.Quantize(x.Scale * alpha / y.Scale);
        return new LookupTable(s, q =>
        {
            var v = q - x.ZeroPoint;
            var scaled = v >= 0 ? FixedPoint.MultiplyByQuantizedMultiplier(v, mi, si) : FixedPoint.MultiplyByQuantizedMultiplier(v, ma, sa);
            return Math.Clamp(y.ZeroPoint + scaled, y.Min, y.Max);
        });
    }

    /// <summary>Dequantize, apply f in float, round half away from zero to the output scale.</summary>
    private static LookupTable FromFloat(KernelSetup s, QuantInfo x, QuantInfo y, Func<float, float> f)
    {
        var inverse = 1f / y.Scale;
        return new LookupTable(s, q =>
        {
            var real = x.Scale * (q - x.ZeroPoint);
            var rescaled = MathF.Round(f(real) * inverse, MidpointRounding.AwayFromZero);
            return (int)Math.Clamp(rescaled + y.ZeroPoint, y.Min, y.Max);
        });
    }

    /// <summary>
    /// int16 LOGISTIC/TANH with TFLite's table-and-interpolation arithmetic (<see cref="Int16Sigmoid"/>).
    /// As LiteRT, it needs zero points 0 and the output scale 2^-15.
    /// </summary>
    private static LookupTable Int16LogisticOrTanh(KernelSetup s, QuantInfo x, QuantInfo y, bool tanh)
    {
        var name = tanh ? "TANH" : "LOGISTIC";
        s.Require(x.ZeroPoint == 0 && y.ZeroPoint == 0, $"int16 {name} needs zero point 0 on input and output");
        s.Require(Log2(y.Scale) is { } outLog2 && outLog2 == -15 && (tanh || y.Scale == 1f / 32768),
            $"int16 {name} needs the output scale 1/32768, not {y.Scale}");
        // A power-of-two input scale (2^-12, or 2^-11 for tanh) sends LiteRT to gemmlowp's fixed-point functions
        // instead of the table (they differ by up to 12 steps).
        if (Log2(x.Scale) is -12)
        {
            return tanh
                ? new LookupTable(s, GemmlowpInt16.Tanh)
                : new LookupTable(s, GemmlowpInt16.Logistic);
        }
        if (tanh && Log2(x.Scale) is -11)
        {
            return new LookupTable(s, q => GemmlowpInt16.Tanh(GemmlowpInt16.Double(q)));
        }
        var (multiplier, shift) = Int16Sigmoid.InputRescale(x.Scale);
        return tanh
            ? new LookupTable(s, q => Int16Sigmoid.Tanh(q, multiplier, shift))
            : new LookupTable(s, q => Int16Sigmoid.Logistic(q, multiplier, shift));
    }

    /// <summary>log2 of a scale when it is a power of two (within TFLite's 1e-3 tolerance), else null.</summary>
    private static int? Log2(float scale)
    {
        var log2 = MathF.Log(scale) * (1f / MathF.Log(2f));
        var rounded = MathF.Round(log2, MidpointRounding.AwayFromZero);
        return MathF.Abs(log2 - rounded) < 1e-3f ? (int)rounded : null;
    }

    /// <summary>8-bit HARD_SWISH in TFLite's 16-bit fixed-point arithmetic (<see cref="QuantizedHardSwish"/>).</summary>
    private static LookupTable HardSwish(KernelSetup s, QuantInfo x, QuantInfo y)
    {
        var hardSwish = new QuantizedHardSwish(x.Scale, x.ZeroPoint, y.Scale, y.ZeroPoint);
        s.Require(hardSwish.OutputShiftIsValid, $"HARD_SWISH needs an output scale at least 1/128 of the input's ({x.Scale} -> {y.Scale})");
        return new LookupTable(s, q => hardSwish.Apply(q, y.Min, y.Max));
    }

    /// <summary>Integer to integer QUANTIZE: out = zp_out + (q − zp_in)·(s_in/s_out) in fixed point.</summary>
    private static LookupTable Requantize(KernelSetup s, QuantInfo x, QuantInfo y)
    {
        var (m, sh) = FixedPoint.Quantize((double)x.Scale / y.Scale);
        return new LookupTable(s, q => Math.Clamp(y.ZeroPoint + FixedPoint.MultiplyByQuantizedMultiplier(q - x.ZeroPoint, m, sh), y.Min, y.Max));
    }

    public override void Run(RunContext context)
    {
        if (byteTable is not null)
        {
            var job = new ByteJob
            {
                Input = context.B(input), Output = context.B(output), Count = count,
                Table = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref byteTable[0]),
            };
            var blocks = (int)((count + BlockBytes - 1) / BlockBytes);
            context.Pool.For(blocks, count >= 4 * BlockBytes ? 1 : Math.Max(1, blocks), &MapBytes, &job);
            return;
        }
        var src = context.B(input);
        var dst = context.B(output);
        fixed (int* t = table)
        {
            var lut = t + offset;
            switch (inType, outType)
            {
                case (TensorType.INT8, TensorType.INT8): Map((sbyte*)src, (sbyte*)dst, lut); break;
                case (TensorType.INT8, TensorType.UINT8): Map((sbyte*)src, dst, lut); break;
                case (TensorType.INT8, _): Map((sbyte*)src, (short*)dst, lut); break;
                case (TensorType.UINT8, TensorType.INT8): Map(src, (sbyte*)dst, lut); break;
                case (TensorType.UINT8, TensorType.UINT8): Map(src, dst, lut); break;
                case (TensorType.UINT8, _): Map(src, (short*)dst, lut); break;
                case (_, TensorType.INT8): Map((short*)src, (sbyte*)dst, lut); break;
                case (_, TensorType.UINT8): Map((short*)src, dst, lut); break;
                default: Map((short*)src, (short*)dst, lut); break;
            }
        }
    }

    private const int BlockBytes = 32 * 1024;

    private struct ByteJob
    {
        public byte* Input, Output, Table;
        public long Count;
    }

    private static void MapBytes(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(ByteJob*)state;
        var start = (long)begin * BlockBytes;
        var stop = Math.Min((long)end * BlockBytes, j.Count);
        var src = j.Input + start;
        var dst = j.Output + start;
        var n = stop - start;
        var t = j.Table;
        long i = 0;
        if (Avx512Vbmi.IsSupported)
        {
            // Two 128-byte table halves, each looked up with one two-register byte permute (low 7 index bits); the
            // index's top bit picks the half.
            var t0 = Vector512.Load(t);
            var t1 = Vector512.Load(t + 64);
            var t2 = Vector512.Load(t + 128);
            var t3 = Vector512.Load(t + 192);
            for (; i <= n - 64; i += 64)
            {
                var index = Vector512.Load(src + i);
                var low = Avx512Vbmi.PermuteVar64x8x2(t0, index, t1);
                var high = Avx512Vbmi.PermuteVar64x8x2(t2, index, t3);
                Avx512BW.BlendVariable(low, high, index).Store(dst + i);
            }
        }
        for (; i < n; i++)
        {
            dst[i] = t[src[i]];
        }
    }

    private void Map<TIn, TOut>(TIn* src, TOut* dst, int* lut)
        where TIn : unmanaged, System.Numerics.IBinaryInteger<TIn>
        where TOut : unmanaged, System.Numerics.IBinaryInteger<TOut>
    {
        for (nint i = 0; i < count; i++)
        {
            IntElements.Set(dst, i, lut[IntElements.Get(src, i)]);
        }
    }
}
