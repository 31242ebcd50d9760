using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// QUANTIZE from float32 to int8, uint8 or int16: q = clamp(round(x / scale) + zero_point), rounding half away
/// from zero with the division in double precision as TFLite's kernel does. Integer inputs are requantized by
/// <see cref="LookupTable"/>.
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
            case TensorType.INT8: context.Pool.For(blocks, perChunk, &Body<sbyte>, &job); break;
            case TensorType.UINT8: context.Pool.For(blocks, perChunk, &Body<byte>, &job); break;
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
