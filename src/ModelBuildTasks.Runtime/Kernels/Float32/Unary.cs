using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// Elementwise float32 activations and math: RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, LEAKY_RELU, LOGISTIC, TANH,
/// HARD_SWISH (x·relu6(x+3)/6, in XNNPACK's form), and EXP, LOG, ABS, NEG, SQRT, RSQRT, SQUARE, FLOOR, CEIL. Vectorized through
/// TensorPrimitives where it has the function; large tensors are split into chunks across threads.
/// </summary>
internal sealed unsafe class Unary : Kernel
{
    private const int ChunkElements = 16 * 1024;

    private readonly BuiltinOperator op;
    private readonly float alpha;
    private readonly long count;
    private readonly int input;
    private readonly int output;

    private Unary(KernelSetup s)
    {
        op = s.Op.Code.Builtin;
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        s.Require(x.ElementCount == y.ElementCount, $"input {x} and output {y} must have the same size");
        alpha = op == BuiltinOperator.LEAKY_RELU ? s.Options<LeakyReluOptionsT>().Alpha : 0f;
        count = x.ElementCount;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Unary(s);

    public static readonly BuiltinOperator[] Operators =
    [
        BuiltinOperator.RELU, BuiltinOperator.RELU6, BuiltinOperator.RELU_N1_TO_1, BuiltinOperator.RELU_0_TO_1,
        BuiltinOperator.LEAKY_RELU, BuiltinOperator.LOGISTIC, BuiltinOperator.TANH, BuiltinOperator.HARD_SWISH,
        BuiltinOperator.EXP, BuiltinOperator.LOG, BuiltinOperator.ABS, BuiltinOperator.NEG, BuiltinOperator.SQRT,
        BuiltinOperator.RSQRT, BuiltinOperator.SQUARE, BuiltinOperator.FLOOR, BuiltinOperator.CEIL,
    ];

    public override void Run(RunContext context)
    {
        var job = new Job { X = context.F(input), Y = context.F(output), Count = count, Op = op, Alpha = alpha };
        var chunks = (int)((count + ChunkElements - 1) / ChunkElements);
        context.Pool.For(chunks, 1, &Body, &job);
    }

    private struct Job
    {
        public float* X;
        public float* Y;
        public long Count;
        public BuiltinOperator Op;
        public float Alpha;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        var start = (long)begin * ChunkElements;
        var n = (int)(Math.Min((long)end * ChunkElements, j.Count) - start);
        var x = j.X + start;
        var y = j.Y + start;
        var src = new ReadOnlySpan<float>(x, n);
        var dst = new Span<float>(y, n);
        switch (j.Op)
        {
            case BuiltinOperator.RELU: FusedActivationCopy(x, y, n, 0f, float.PositiveInfinity); break;
            case BuiltinOperator.RELU6: FusedActivationCopy(x, y, n, 0f, 6f); break;
            case BuiltinOperator.RELU_N1_TO_1: FusedActivationCopy(x, y, n, -1f, 1f); break;
            case BuiltinOperator.RELU_0_TO_1: FusedActivationCopy(x, y, n, 0f, 1f); break;
            case BuiltinOperator.LEAKY_RELU: LeakyRelu(x, y, n, j.Alpha); break;
            case BuiltinOperator.LOGISTIC: Sigmoid(x, y, n); break;
            case BuiltinOperator.TANH: TensorPrimitives.Tanh(src, dst); break;
            case BuiltinOperator.HARD_SWISH: HardSwish(x, y, n); break;
            case BuiltinOperator.EXP: TensorPrimitives.Exp(src, dst); break;
            case BuiltinOperator.LOG: TensorPrimitives.Log(src, dst); break;
            case BuiltinOperator.ABS: TensorPrimitives.Abs(src, dst); break;
            case BuiltinOperator.NEG: TensorPrimitives.Negate(src, dst); break;
            case BuiltinOperator.SQRT: TensorPrimitives.Sqrt(src, dst); break;
            case BuiltinOperator.RSQRT:
                TensorPrimitives.Sqrt(src, dst);
                TensorPrimitives.Divide(1f, dst, dst);
                break;
            case BuiltinOperator.SQUARE: TensorPrimitives.Multiply(src, src, dst); break;
            case BuiltinOperator.FLOOR: TensorPrimitives.Floor(src, dst); break;
            default: TensorPrimitives.Ceiling(src, dst); break;
        }
    }

    private static void FusedActivationCopy(float* x, float* y, int n, float min, float max)
    {
        var i = 0;
        var lo = Vector256.Create(min);
        var hi = Vector256.Create(max);
        for (; i <= n - 8; i += 8)
        {
            Vector256.Store(Vector256.Min(Vector256.Max(Vector256.Load(x + i), lo), hi), y + i);
        }
        for (; i < n; i++)
        {
            y[i] = Math.Min(Math.Max(x[i], min), max);
        }
    }

    private static void LeakyRelu(float* x, float* y, int n, float alpha)
    {
        var i = 0;
        var a = Vector256.Create(alpha);
        for (; i <= n - 8; i += 8)
        {
            var v = Vector256.Load(x + i);
            Vector256.Store(Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * a), y + i);
        }
        for (; i < n; i++)
        {
            y[i] = x[i] > 0 ? x[i] : x[i] * alpha;
        }
    }

    /// <summary>
    /// LOGISTIC as XNNPACK's WebAssembly kernel computes it, so results match LiteRT bit for bit: on z = |x|,
    /// e = exp(−z) from a magic-bias split into 2^n (placed into the exponent bits) and a degree-5 polynomial of the
    /// remainder (ln 2 in two parts), f = e / (e + 1), zero beyond the denormal cutoff, and 1 − f for x ≥ 0.
    /// Plain multiplies and adds in this order (no fused multiply-add).
    /// </summary>
    private static void Sigmoid(float* x, float* y, int n)
    {
        var i = 0;
        var magicBias = Vector256.Create(SigmoidMagicBias);
        var minusLog2e = Vector256.Create(SigmoidMinusLog2e);
        var ln2Hi = Vector256.Create(SigmoidLn2Hi);
        var ln2Lo = Vector256.Create(SigmoidLn2Lo);
        var c5 = Vector256.Create(SigmoidC5);
        var c4 = Vector256.Create(SigmoidC4);
        var c3 = Vector256.Create(SigmoidC3);
        var c2 = Vector256.Create(SigmoidC2);
        var c1 = Vector256.Create(SigmoidC1);
        var one = Vector256.Create(1f);
        var cutoff = Vector256.Create(SigmoidDenormCutoff);
        for (; i <= n - 8; i += 8)
        {
            var v = Vector256.Load(x + i);
            var z = Vector256.Abs(v);
            var nn = z * minusLog2e + magicBias;
            var scale = Vector256.ShiftLeft(nn.AsInt32(), 23).AsSingle();
            nn -= magicBias;
            var t = nn * ln2Hi + z;
            t = nn * ln2Lo + t;
            var p = t * c5 + c4;
            p = t * p + c3;
            p = t * p + c2;
            p = t * p + c1;
            t *= scale;
            var e = t * p + scale;
            var f = e / (e + one);
            f = Vector256.AndNot(f, Vector256.GreaterThan(z, cutoff));
            f = Vector256.ConditionalSelect(Vector256.LessThan(v.AsInt32(), Vector256<int>.Zero).AsSingle(), f, one - f);
            Vector256.Store(f, y + i);
        }
        for (; i < n; i++)
        {
            y[i] = Sigmoid(x[i]);
        }
    }

    private static float Sigmoid(float x)
    {
        var z = Math.Abs(x);
        var nn = z * SigmoidMinusLog2e + SigmoidMagicBias;
        var scale = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(nn) << 23);
        nn -= SigmoidMagicBias;
        var t = nn * SigmoidLn2Hi + z;
        t = nn * SigmoidLn2Lo + t;
        var p = t * SigmoidC5 + SigmoidC4;
        p = t * p + SigmoidC3;
        p = t * p + SigmoidC2;
        p = t * p + SigmoidC1;
        t *= scale;
        var e = t * p + scale;
        var f = z > SigmoidDenormCutoff ? 0f : e / (e + 1f);
        return BitConverter.SingleToInt32Bits(x) < 0 ? f : 1f - f;
    }

    // XNNPACK's rr2_p5 sigmoid constants (bit patterns of its float32 values).
    private static readonly float SigmoidMagicBias = BitConverter.UInt32BitsToSingle(0x4B40007F);
    private static readonly float SigmoidMinusLog2e = BitConverter.UInt32BitsToSingle(0xBFB8AA3B);
    private static readonly float SigmoidLn2Hi = BitConverter.UInt32BitsToSingle(0x3F317200);
    private static readonly float SigmoidLn2Lo = BitConverter.UInt32BitsToSingle(0x35BFBE8E);
    private static readonly float SigmoidC5 = BitConverter.UInt32BitsToSingle(0xBC07CFCE);
    private static readonly float SigmoidC4 = BitConverter.UInt32BitsToSingle(0x3D2B9D0D);
    private static readonly float SigmoidC3 = BitConverter.UInt32BitsToSingle(0xBE2AAD40);
    private static readonly float SigmoidC2 = BitConverter.UInt32BitsToSingle(0x3EFFFEE3);
    private static readonly float SigmoidC1 = BitConverter.UInt32BitsToSingle(0xBF7FFFFB);
    private static readonly float SigmoidDenormCutoff = BitConverter.UInt32BitsToSingle(0x42AEAC4F);

    private static void HardSwish(float* x, float* y, int n)
    {
        var i = 0;
        // XNNPACK's form, which LiteRT runs: x·clamp(x·(1/6) + 1/2, 0, 1), bit for bit (no fused multiply-add).
        const float Sixth = 1f / 6f;
        var sixth = Vector256.Create(Sixth);
        var half = Vector256.Create(0.5f);
        var one = Vector256.Create(1f);
        for (; i <= n - 8; i += 8)
        {
            var v = Vector256.Load(x + i);
            var gate = Vector256.Min(Vector256.Max(v * sixth + half, Vector256<float>.Zero), one);
            Vector256.Store(gate * v, y + i);
        }
        for (; i < n; i++)
        {
            var gate = Math.Min(Math.Max(x[i] * Sixth + 0.5f, 0f), 1f);
            y[i] = gate * x[i];
        }
    }
}
