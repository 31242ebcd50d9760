using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer DEPTHWISE_CONV_2D (int8, uint8, 16x8; per-channel weights on axis 3; any depth multiplier). For each
/// output pixel the int32 accumulators of all output channels are built tap by tap — the input pixel minus its
/// zero point, times the tap's weights, eight channels per vector — skipping taps outside the image as the
/// reference kernel does, then requantized per channel. Threads split output rows.
/// </summary>
internal sealed unsafe class DepthwiseConv2D : Kernel
{
    private readonly ConvGeometry g;
    private readonly int multiplier;
    private readonly int[] weights;
    private readonly ChannelRequantizer requantizer;
    private readonly TensorType type;
    private readonly int inputZero;
    private readonly int input;
    private readonly int output;

    private DepthwiseConv2D(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var bias = s.OptionalInput(2);
        var y = s.Output(0);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        var o = s.Options<DepthwiseConv2DOptionsT>();
        g = ConvShapes.Depthwise(s, x, f, y, o);
        multiplier = g.OutC / g.InC;
        var widened = ChannelRequantizer.WidenedWeights(s, f, 3);
        weights = GC.AllocateArray<int>(widened.Length, pinned: true);
        for (var i = 0; i < widened.Length; i++)
        {
            weights[i] = widened[i];
        }
        // The kernel subtracts the input zero point itself, so the bias needs no correction (weight sum 0).
        requantizer = ChannelRequantizer.Create(s, x, f, bias, y, o.FusedActivationFunction, widened, g.OutC, 0,
            weightSumOverride: _ => 0);
        var info = QuantInfo.Of(s, x);
        // 16-bit products reach 2^22; int32 sums stay exact up to 256 taps.
        s.Require(x.Type != TensorType.INT16 || g.KH * g.KW <= 256, $"16x8 depthwise filter {f} has more than 256 taps");
        type = x.Type;
        inputZero = info.ZeroPoint;
        // Per thread: accumulators and one widened input pixel (×multiplier), each OutC ints.
        ScratchBytesPerThread = 2L * (g.OutC + 8) * sizeof(int);
        MultiplyAccumulates = (long)g.Batch * g.OutH * g.OutW * g.OutC * g.KH * g.KW;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new DepthwiseConv2D(s);

    public override void Run(RunContext context)
    {
        var job = new Job
        {
            G = g,
            Multiplier = multiplier,
            W = (int*)Unsafe.AsPointer(ref weights[0]),
            Rq = requantizer.View,
            Type = type,
            InputZero = inputZero,
            Input = context.B(input),
            Output = context.B(output),
            Scratch = context.ScratchTable,
        };
        context.Pool.For(g.Batch * g.OutH, 1, &Body, &job);
    }

    private struct Job
    {
        public ConvGeometry G;
        public int Multiplier;
        public int* W;
        public RequantizerView Rq;
        public TensorType Type;
        public int InputZero;
        public byte* Input;
        public byte* Output;
        public nint* Scratch;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        switch (j.Type)
        {
            case TensorType.INT8: Rows<sbyte>(ref j, begin, end, thread); break;
            case TensorType.UINT8: Rows<byte>(ref j, begin, end, thread); break;
            default: Rows<short>(ref j, begin, end, thread); break;
        }
    }

    private static void Rows<T>(ref Job j, int begin, int end, int thread) where T : unmanaged, IBinaryInteger<T>
    {
        ref var g = ref j.G;
        var acc = (int*)j.Scratch[thread];
        var pixel = acc + g.OutC + 8;
        var input = (T*)j.Input;
        var output = (T*)j.Output;
        for (var row = begin; row < end; row++)
        {
            var b = row / g.OutH;
            var oy = row % g.OutH;
            for (var ox = 0; ox < g.OutW; ox++)
            {
                new Span<int>(acc, g.OutC).Clear();
                for (var ky = 0; ky < g.KH; ky++)
                {
                    var iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                    if ((uint)iy >= (uint)g.InH)
                    {
                        continue;
                    }
                    for (var kx = 0; kx < g.KW; kx++)
                    {
                        var ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                        if ((uint)ix >= (uint)g.InW)
                        {
                            continue;
                        }
                        var src = input + ((nint)((b * g.InH + iy) * g.InW) + ix) * g.InC;
                        var tap = j.W + (nint)(ky * g.KW + kx) * g.OutC;
                        if (j.Multiplier == 1)
                        {
                            MultiplyAddPixel(acc, src, j.InputZero, tap, g.OutC);
                            continue;
                        }
                        // The input pixel minus its zero point, repeated per depth multiplier to line up with outputs.
                        for (var c = 0; c < g.InC; c++)
                        {
                            var v = IntElements.Get(src, c) - j.InputZero;
                            for (var m = 0; m < j.Multiplier; m++)
                            {
                                pixel[c * j.Multiplier + m] = v;
                            }
                        }
                        MultiplyAdd(acc, pixel, tap, g.OutC);
                    }
                }
                var dst = output + ((nint)(row * g.OutW) + ox) * g.OutC;
                var oc = 0;
                if (j.Rq.CanVectorize && System.Runtime.Intrinsics.X86.Avx2.IsSupported)
                {
                    for (; oc <= g.OutC - 8; oc += 8)
                    {
                        j.Rq.Requantize8(acc + oc, oc);
                        for (var i = oc; i < oc + 8; i++)
                        {
                            IntElements.Set(dst, i, acc[i]);
                        }
                    }
                }
                for (; oc < g.OutC; oc++)
                {
                    IntElements.Set(dst, oc, j.Rq.Requantize(acc[oc], oc));
                }
            }
        }
    }

    /// <summary>acc[c] += (x[c] − zero)·w[c], widening 8 input bytes per step on AVX2.</summary>
    private static void MultiplyAddPixel<T>(int* acc, T* x, int zero, int* w, int n) where T : unmanaged, IBinaryInteger<T>
    {
        var c = 0;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && (typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte)))
        {
            var z = Vector256.Create(zero);
            for (; c <= n - 8; c += 8)
            {
                var v = typeof(T) == typeof(sbyte)
                    ? System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32((sbyte*)x + c)
                    : System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32((byte*)x + c);
                Vector256.Store(Vector256.Load(acc + c) + (v - z) * Vector256.Load(w + c), acc + c);
            }
        }
        for (; c < n; c++)
        {
            acc[c] += (IntElements.Get(x, c) - zero) * w[c];
        }
    }

    /// <summary>acc[i] += x[i]·w[i].</summary>
    private static void MultiplyAdd(int* acc, int* x, int* w, int n)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                Vector256.Store(Vector256.Load(acc + i) + Vector256.Load(x + i) * Vector256.Load(w + i), acc + i);
            }
        }
        for (; i < n; i++)
        {
            acc[i] += x[i] * w[i];
        }
    }
}
