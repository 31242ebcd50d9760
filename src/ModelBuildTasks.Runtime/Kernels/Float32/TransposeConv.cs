using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// Transposed convolution over NHWC float32 with filter [out, kh, kw, in]: TFLite's TRANSPOSE_CONV (inputs
/// output_shape, filter, input, optional bias) and MediaPipe's custom Convolution2DTransposeBias (input, filter,
/// bias; options = padding, stride_w, stride_h as three int32). Conceptually every input pixel scatters
/// filter·value into the output at (iy·stride − pad + ky, ix·stride − pad + kx). The kernel computes the same sum
/// as a gather — each output pixel collects the taps whose input coordinate is whole and inside the image — so
/// threads can own output rows without write conflicts.
/// </summary>
internal sealed unsafe class TransposeConv : Kernel
{
    private readonly ConvGeometry g;
    private readonly float[] filter;
    private readonly float[] bias;
    private readonly FusedActivation activation;
    private readonly int input;
    private readonly int output;

    private TransposeConv(KernelSetup s, bool mediapipe)
    {
        RuntimeTensor x, f, y;
        RuntimeTensor? b;
        Padding padding;
        int strideW, strideH;
        if (mediapipe)
        {
            (x, f, b) = (s.Input(0), s.Input(1), s.OptionalInput(2));
            var options = s.Op.CustomOptions.Span;
            s.Require(options.Length >= 12, "custom options must hold padding, stride_w and stride_h");
            var code = BinaryPrimitives.ReadInt32LittleEndian(options);
            strideW = BinaryPrimitives.ReadInt32LittleEndian(options[4..]);
            strideH = BinaryPrimitives.ReadInt32LittleEndian(options[8..]);
            // TfLitePadding: 1 = SAME, 2 = VALID.
            s.Require(code is 1 or 2, $"padding code {code} is not SAME (1) or VALID (2)");
            padding = code == 1 ? Padding.SAME : Padding.VALID;
            activation = FusedActivation.None;
        }
        else
        {
            (f, x, b) = (s.Input(1), s.Input(2), s.OptionalInput(3));
            var o = s.Options<TransposeConvOptionsT>();
            (padding, strideW, strideH) = (o.Padding, o.StrideW, o.StrideH);
            activation = FusedActivation.From(o.FusedActivationFunction, s);
        }
        y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(f, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        s.RequireRank(x, 4);
        s.RequireRank(f, 4);
        s.RequireRank(y, 4);
        s.Require(strideW > 0 && strideH > 0, "strides must be positive");
        g = new ConvGeometry
        {
            Batch = x.Dim(0), InH = x.Dim(1), InW = x.Dim(2), InC = x.Dim(3),
            OutC = f.Dim(0), KH = f.Dim(1), KW = f.Dim(2), StrideH = strideH, StrideW = strideW, DilationH = 1, DilationW = 1,
            OutH = y.Dim(1), OutW = y.Dim(2),
        };
        s.Require(f.Dim(3) == g.InC && y.Dim(0) == g.Batch && y.Dim(3) == g.OutC, $"filter {f}, input {x} and output {y} do not fit");
        MultiplyAccumulates = (long)g.Batch * g.InH * g.InW * g.InC * g.KH * g.KW * g.OutC;
        if (mediapipe)
        {
            // MediaPipe derives the output size from the input: stride·(in − 1) + filter − total padding.
            var totalH = padding == Padding.SAME ? Math.Max(0, g.KH - (g.InH - 1) % strideH - 1) : 0;
            var totalW = padding == Padding.SAME ? Math.Max(0, g.KW - (g.InW - 1) % strideW - 1) : 0;
            s.Require(g.OutH == strideH * (g.InH - 1) + g.KH - totalH && g.OutW == strideW * (g.InW - 1) + g.KW - totalW,
                $"output {y} does not match the transposed convolution of {x}");
            (g.PadTop, g.PadLeft) = (totalH / 2, totalW / 2);
        }
        else
        {
            // TFLite: the padding of the forward convolution that maps the output back onto the input.
            var fwdH = ConvGeometry.OutputSize(padding, g.OutH, g.KH, strideH, 1);
            var fwdW = ConvGeometry.OutputSize(padding, g.OutW, g.KW, strideW, 1);
            s.Require(fwdH == g.InH && fwdW == g.InW, $"output {y} does not match the transposed convolution of {x}");
            g.PadTop = ConvGeometry.PaddingBefore(g.OutH, g.KH, strideH, 1, fwdH);
            g.PadLeft = ConvGeometry.PaddingBefore(g.OutW, g.KW, strideW, 1, fwdW);
        }
        filter = GC.AllocateArray<float>(checked(g.OutC * g.KH * g.KW * g.InC + 8), pinned: true);
        s.ConstFloats(f).CopyTo(filter);
        bias = GC.AllocateArray<float>(g.OutC + 8, pinned: true);
        if (b is not null)
        {
            s.Require(b.ElementCount == g.OutC, $"bias {b} must have {g.OutC} elements");
            s.ConstFloats(b).CopyTo(bias);
        }
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new TransposeConv(s, mediapipe: false);

    public static Kernel CreateMediaPipe(KernelSetup s) => new TransposeConv(s, mediapipe: true);

    public override void Run(RunContext context)
    {
        fixed (float* w = filter, bs = bias)
        {
            var job = new Job { G = g, Input = context.F(input), Output = context.F(output), Filter = w, Bias = bs, Min = activation.Min, Max = activation.Max };
            var rows = g.Batch * g.OutH;
            context.Pool.For(rows, Math.Max(1, rows / (4 * context.ThreadCount)), &Body, &job);
            if (activation.IsTanh)
            {
                activation.Apply(job.Output, (long)rows * g.OutW * g.OutC);
            }
        }
    }

    private struct Job
    {
        public ConvGeometry G;
        public float* Input;
        public float* Output;
        public float* Filter;
        public float* Bias;
        public float Min;
        public float Max;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        ref var g = ref j.G;
        var c = g.InC;
        for (var row = begin; row < end; row++)
        {
            var b = row / g.OutH;
            var oy = row % g.OutH;
            for (var ox = 0; ox < g.OutW; ox++)
            {
                var dst = j.Output + ((nint)row * g.OutW + ox) * g.OutC;
                for (var oc = 0; oc < g.OutC; oc++)
                {
                    dst[oc] = j.Bias[oc];
                }
                // Only taps with (o + pad − k) divisible by the stride reach an input pixel: start at the
                // first such k and step by the stride (ascending k, so the sum order is unchanged).
                for (var ky = (oy + g.PadTop) % g.StrideH; ky < g.KH; ky += g.StrideH)
                {
                    var ty = oy + g.PadTop - ky;
                    if (ty < 0)
                    {
                        break;
                    }
                    var iy = ty / g.StrideH;
                    if (iy >= g.InH)
                    {
                        continue;
                    }
                    for (var kx = (ox + g.PadLeft) % g.StrideW; kx < g.KW; kx += g.StrideW)
                    {
                        var tx = ox + g.PadLeft - kx;
                        if (tx < 0)
                        {
                            break;
                        }
                        var ix = tx / g.StrideW;
                        if (ix >= g.InW)
                        {
                            continue;
                        }
                        var src = j.Input + (((nint)b * g.InH + iy) * g.InW + ix) * c;
                        for (var oc = 0; oc < g.OutC; oc++)
                        {
                            dst[oc] += Dot(src, j.Filter + (((nint)oc * g.KH + ky) * g.KW + kx) * c, c);
                        }
                    }
                }
                for (var oc = 0; oc < g.OutC; oc++)
                {
                    dst[oc] = Math.Min(Math.Max(dst[oc], j.Min), j.Max);
                }
            }
        }
    }

    private static float Dot(float* a, float* b, int n)
    {
        var i = 0;
        var acc = Vector256<float>.Zero;
        for (; i <= n - 8; i += 8)
        {
            acc = Gemm.MulAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
        }
        var sum = Vector256.Sum(acc);
        for (; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        }
        return sum;
    }
}
