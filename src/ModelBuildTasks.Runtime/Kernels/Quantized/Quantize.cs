using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// QUANTIZE from float32 to int8, uint8 or int16. 8-bit outputs follow XNNPACK, which LiteRT runs for them:
/// x·(1/scale) in float32, clamped, rounded half to even, plus the zero point. int16 follows TFLite's kernel:
/// q = clamp(round(x / scale) + zero_point) with the division in double precision, rounding half away from zero.
/// NaN maps to the zero point. Integer inputs are requantized by <see cref="LookupTable"/>.
/// </summary>
internal sealed unsafe class Quantize : Kernel
{
    private readonly QuantInfo q;
    private readonly long count;
    private readonly int input;
    private readonly int output;

    private Quantize(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.Require(x.ElementCount == y.ElementCount, $"input {x} and output {y} must have the same size");
        s.Require(y.Quantization is not { Scale.Length: > 1 }, $"per-channel QUANTIZE of activations ({y}) is not supported");
        q = QuantInfo.Of(s, y);
        count = x.ElementCount;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) =>
        s.Input(0).Type == TensorType.FLOAT32 ? new Quantize(s) : LookupTable.Create(s);

    public override void Run(RunContext context)
    {
        var job = new Job { Source = context.F(input), Output = context.B(output), Count = count, Scale = q.Scale, ZeroPoint = q.ZeroPoint, Min = q.Min, Max = q.Max };
        var blocks = (int)((count + BlockElements - 1) / BlockElements);
        // Small tensors stay on the calling thread (one chunk).
        var perChunk = count >= 4 * BlockElements ? 1 : Math.Max(1, blocks);
        switch (q.Type)
        {
            case TensorType.INT8: context.Pool.For(blocks, perChunk, &Body8<sbyte>, &job); break;
            case TensorType.UINT8: context.Pool.For(blocks, perChunk, &Body8<byte>, &job); break;
            default: context.Pool.For(blocks, perChunk, &Body<short>, &job); break;
        }
    }

    private const int BlockElements = 16 * 1024;

    private struct Job
    {
        public float* Source;
        public byte* Output;
        public long Count;
        public double Scale;
        public int ZeroPoint, Min, Max;
    }

    private static void Body8<T>(void* state, int begin, int end, int thread) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        ref var j = ref *(Job*)state;
        var start = (long)begin * BlockElements;
        var stop = Math.Min((long)end * BlockElements, j.Count);
        Store8(j.Source + start, (T*)j.Output + start, (int)(stop - start), 1f / (float)j.Scale, j.ZeroPoint, j.Min, j.Max);
    }

    private static void Store8<T>(float* src, T* dst, int n, float inverseScale, int zeroPoint, int min, int max)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        // Clamp before rounding, in the zero-point-free domain, as XNNPACK does.
        float lo = min - zeroPoint, hi = max - zeroPoint;
        var i = 0;
        if (Avx2.IsSupported)
        {
            var vScale = Vector256.Create(inverseScale);
            var vLo = Vector256.Create(lo);
            var vHi = Vector256.Create(hi);
            var vZero = Vector256.Create(zeroPoint);
            for (; i <= n - 16; i += 16)
            {
                IntElements.Store16(dst + i, Quantize8(Avx.LoadVector256(src + i), vScale, vLo, vHi, vZero),
                    Quantize8(Avx.LoadVector256(src + i + 8), vScale, vLo, vHi, vZero));
            }
        }
        for (; i < n; i++)
        {
            var v = src[i] * inverseScale;
            var q = float.IsNaN(v) ? zeroPoint : (int)MathF.Round(Math.Clamp(v, lo, hi), MidpointRounding.ToEven) + zeroPoint;
            IntElements.Set(dst, i, q);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quantize8(Vector256<float> x, Vector256<float> inverseScale, Vector256<float> lo, Vector256<float> hi, Vector256<int> zeroPoint)
    {
        var v = Avx.Multiply(x, inverseScale);
        // NaN lanes become 0, i.e. the zero point.
        v = Avx.And(v, Avx.CompareOrdered(v, v));
        // The conversion rounds to nearest even (the default rounding mode); the clamp keeps it in range.
        return Avx.ConvertToVector256Int32(Avx.Min(Avx.Max(v, lo), hi)) + zeroPoint;
    }

    private static void Body<T>(void* state, int begin, int end, int thread) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        ref var j = ref *(Job*)state;
        var start = (long)begin * BlockElements;
        var stop = Math.Min((long)end * BlockElements, j.Count);
        Store(j.Source + start, (T*)j.Output + start, (int)(stop - start), j.Scale, j.ZeroPoint, j.Min, j.Max);
    }

    private static void Store<T>(float* src, T* dst, int n, double scale, int zeroPoint, int min, int max)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var i = 0;
        if (Avx2.IsSupported)
        {
            var vScale = Vector256.Create(scale);
            for (; i <= n - 16; i += 16)
            {
                var low = Vector256.Create(Quantize4(src + i, vScale, zeroPoint, min, max), Quantize4(src + i + 4, vScale, zeroPoint, min, max));
                var high = Vector256.Create(Quantize4(src + i + 8, vScale, zeroPoint, min, max), Quantize4(src + i + 12, vScale, zeroPoint, min, max));
                IntElements.Store16(dst + i, low, high);
            }
        }
        for (; i < n; i++)
        {
            var v = Math.Round(src[i] / scale, MidpointRounding.AwayFromZero) + zeroPoint;
            // NaN stays NaN through Round; map it to the zero point rather than an undefined cast.
            var clamped = double.IsNaN(v) ? zeroPoint : (int)Math.Clamp(v, min, max);
            IntElements.Set(dst, i, clamped);
        }
    }

    /// <summary>Four elements exactly as the scalar loop: double division, round half away from zero, clamp, NaN to the zero point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Quantize4(float* src, Vector256<double> scale, int zeroPoint, int min, int max)
    {
        var v = Avx.Divide(Avx.ConvertToVector256Double(Sse.LoadVector128(src)), scale);
        // NaN lanes become 0, which lands on the zero point.
        v = Avx.And(v, Avx.CompareOrdered(v, v));
        // Round half away from zero: truncate, then step away from zero when the (exact) fraction is at least one half.
        var truncated = Avx.RoundToZero(v);
        var fraction = Vector256.Abs(v - truncated);
        var awayFromZero = Avx.Or(Avx.And(v, Vector256.Create(-0.0)), Vector256.Create(1.0));
        var step = Avx.And(Avx.CompareGreaterThanOrEqual(fraction, Vector256.Create(0.5)), awayFromZero);
        var rounded = truncated + step + Vector256.Create((double)zeroPoint);
        var clamped = Avx.Min(Avx.Max(rounded, Vector256.Create((double)min)), Vector256.Create((double)max));
        return Avx.ConvertToVector128Int32WithTruncation(clamped);
    }
}
