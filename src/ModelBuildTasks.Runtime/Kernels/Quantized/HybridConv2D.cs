using System.Runtime.CompilerServices;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Hybrid (dynamic-range) CONV_2D: float32 activations, int8 weights (per-tensor or per-channel), float bias.
/// Each batch image (1×1 kernels: each pixel) is quantized to int8 at run time, asymmetrically; every output is
/// (Σ w·(q − offset))·s_w[c]·s_image + bias[c] over the taps inside the image, then the fused activation —
/// TFLite's hybrid convolution. Patches are gathered with the offset in padded positions, so the integer dot
/// product minus offset·Σ w is exact. The products run on the packed 8-bit GEMMs (<see cref="HybridWeights"/>:
/// 4 pixels × 16 channels per panel, VNNI or int16 pairs) with output pixels split over the threads; the float
/// rescale keeps the per-channel loops' order of operations, so the bits are theirs (those loops remain as the
/// tests' reference, <see cref="HybridPaths"/>).
/// </summary>
internal sealed unsafe class HybridConv2D : Kernel
{
    private const int PixelsPerItem = 8;

    private readonly ConvGeometry g;
    private readonly short[] weights;
    private readonly float[] filterScales;
    private readonly long[] rowSums;
    private readonly float[] bias;
    private readonly FusedActivation activation;
    private readonly HybridWeights? packed;
    private readonly long imageBytes;
    private readonly int k;
    private readonly int input;
    private readonly int output;

    private HybridConv2D(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var b = s.OptionalInput(2);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(f, TensorType.INT8);
        s.RequireType(y, TensorType.FLOAT32);
        var o = s.Options<Conv2DOptionsT>();
        g = ConvShapes.Conv2D(s, x, f, y, o);
        k = g.KH * g.KW * g.InC;
        weights = ChannelRequantizer.WidenedWeights(s, f, 0);
        filterScales = ChannelRequantizer.FilterScales(s, f, g.OutC).Select(v => (float)v).ToArray();
        rowSums = HybridFullyConnected.RowSums(weights, g.OutC, k);
        bias = b is null ? new float[g.OutC] : s.ConstFloats(b).ToArray();
        s.Require(bias.Length == g.OutC, $"bias {b} must have {g.OutC} elements");
        activation = FusedActivation.From(o.FusedActivationFunction, s);
        MultiplyAccumulates = (long)g.Batch * g.OutH * g.OutW * g.OutC * k;
        input = x.Index;
        output = y.Index;
        if (HybridPaths.PerChannel)
        {
            // One quantized image plus one patch row.
            ScratchBytesPerThread = ((long)g.InH * g.InW * g.InC + k + 32) * sizeof(short);
            return;
        }
        packed = new HybridWeights(weights, g.OutC, k, filterScales, bias, rowSums);
        // The quantized image (shared by the threads, in thread 0's scratch; 1×1 kernels quantize per pixel
        // instead), then each thread's four patch rows, panel sums and per-row scales and zero points.
        var element = packed.DotPath == Int8DotPath.Vnni ? sizeof(byte) : sizeof(short);
        imageBytes = Pointwise ? 0 : ((long)g.InH * g.InW * g.InC * element + 63) / 64 * 64;
        ScratchBytesPerThread = imageBytes + Rows * (long)HybridWeights.RowStride(k) * element + 64 * sizeof(int) + 64;
    }

    private const int Rows = VnniInt8Gemm.Rows;

    private bool Pointwise => g.KH == 1 && g.KW == 1;

    /// <summary>1×1 kernels quantize each pixel on its own (see <see cref="RunPointwise"/>).</summary>
    internal bool IsPointwise => Pointwise;

    /// <summary>The 8-bit dot-product path this kernel was prepared for (null: the per-channel reference loops).</summary>
    internal Int8DotPath? DotPath => packed?.DotPath;

    public static Kernel Create(KernelSetup s) => new HybridConv2D(s);

    public override void Run(RunContext context)
    {
        if (packed is null)
        {
            RunPerChannel(context);
        }
        else if (packed.DotPath == Int8DotPath.Vnni)
        {
            RunPacked<byte>(context, packed);
        }
        else
        {
            RunPacked<short>(context, packed);
        }
    }

    private struct Job
    {
        public ConvGeometry G;
        public HybridPanels W;
        public FusedActivation Activation;
        public float* Input;
        public float* Output;
        public nint* Scratch;
        public long ImageBytes;
        public int Batch;
        public float Scale;
        public int Offset;
    }

    private void RunPacked<T>(RunContext context, HybridWeights weightsPacked) where T : unmanaged
    {
        var job = new Job
        {
            G = g,
            W = weightsPacked.View,
            Activation = activation,
            Input = context.F(input),
            Output = context.F(output),
            Scratch = context.ScratchTable,
            ImageBytes = imageBytes,
        };
        if (Pointwise)
        {
            var all = (g.OutputPixels + PixelsPerItem - 1) / PixelsPerItem;
            context.Pool.For(all, 1, &PointwiseBody<T>, &job);
        }
        else
        {
            var imageSize = g.InH * g.InW * g.InC;
            var items = (g.OutH * g.OutW + PixelsPerItem - 1) / PixelsPerItem;
            for (var b = 0; b < g.Batch; b++)
            {
                job.Batch = b;
                job.Scale = DynamicQuantization.Asymmetric(job.Input + (nint)b * imageSize, imageSize, (T*)context.Scratch(0), out job.Offset);
                context.Pool.For(items, 1, &Body<T>, &job);
            }
        }
        if (activation.IsTanh)
        {
            // Tanh over the whole output, as the per-channel loops applied it.
            activation.Apply(context.F(output), (long)g.OutputPixels * g.OutC);
        }
    }

    /// <summary>Output pixels of one image: four patches of the quantized image at a time against every panel.</summary>
    private static void Body<T>(void* state, int begin, int end, int thread) where T : unmanaged
    {
        ref var j = ref *(Job*)state;
        ref var g = ref j.G;
        var k = g.KH * g.KW * g.InC;
        var stride = HybridWeights.RowStride(k);
        var image = (T*)j.Scratch[0];
        var rows = (T*)((byte*)j.Scratch[thread] + j.ImageBytes);
        var sums = (int*)(rows + Rows * stride);
        var pixels = g.OutH * g.OutW;
        var m0 = begin * PixelsPerItem;
        var m1 = Math.Min(pixels, end * PixelsPerItem);
        var pad = default(T);
        DynamicQuantization.Set(&pad, 0, j.Offset);
        for (var r = 0; r < Rows; r++)
        {
            new Span<T>(rows + r * stride + k, stride - k).Clear();
        }
        var output = j.Output + (nint)j.Batch * pixels * g.OutC;
        for (var m = m0; m < m1; m += Rows)
        {
            var count = Math.Min(Rows, m1 - m);
            for (var r = 0; r < count; r++)
            {
                Patch(ref g, image, m + r, pad, rows + r * stride);
            }
            var a1 = rows + (count > 1 ? stride : 0);
            var a2 = rows + (count > 2 ? 2 * stride : 0);
            var a3 = rows + (count > 3 ? 3 * stride : 0);
            for (var p = 0; p < j.W.Panels; p++)
            {
                var c0 = p * PackedInt8Weights.Columns;
                j.W.Panel(rows, a1, a2, a3, p, sums);
                for (var r = 0; r < count; r++)
                {
                    j.W.Store(sums + r * PackedInt8Weights.Columns, j.Offset, j.Scale, c0, output + (nint)(m + r) * g.OutC + c0, false);
                }
            }
        }
        if (j.Activation.IsClamp)
        {
            FusedActivation.Clamp(output + (nint)m0 * g.OutC, (long)(m1 - m0) * g.OutC, j.Activation.Min, j.Activation.Max);
        }
    }

    /// <summary>
    /// 1×1 output pixels (all images): each in-image pixel quantized on its own (see <see cref="RunPerChannel"/>
    /// for why), four at a time against every panel; pixels in the padding get the bias.
    /// </summary>
    private static void PointwiseBody<T>(void* state, int begin, int end, int thread) where T : unmanaged
    {
        ref var j = ref *(Job*)state;
        ref var g = ref j.G;
        var k = g.InC;
        var stride = HybridWeights.RowStride(k);
        var rows = (T*)((byte*)j.Scratch[thread] + j.ImageBytes);
        var sums = (int*)(rows + Rows * stride);
        var m0 = begin * PixelsPerItem;
        var m1 = Math.Min(g.OutputPixels, end * PixelsPerItem);
        var pixels = g.OutH * g.OutW;
        var scales = stackalloc float[Rows];
        var offsets = stackalloc int[Rows];
        var at = stackalloc int[Rows];
        for (var r = 0; r < Rows; r++)
        {
            new Span<T>(rows + r * stride + k, stride - k).Clear();
        }
        // Stride 1 without padding: output pixel m reads input pixel m, no position arithmetic needed.
        var direct = g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.InH == g.OutH && g.InW == g.OutW;
        var m = m0;
        while (m < m1)
        {
            // Gather up to four in-image pixels; padding pixels on the way just take the bias.
            var count = 0;
            for (; direct && m < m1 && count < Rows; m++)
            {
                scales[count] = DynamicQuantization.AsymmetricPerRow(j.Input + (nint)m * k, k, rows + count * stride, out offsets[count]);
                at[count++] = m;
            }
            for (; m < m1 && count < Rows; m++)
            {
                var b = m / pixels;
                var inImage = m - b * pixels;
                var iy = inImage / g.OutW * g.StrideH - g.PadTop;
                var ix = inImage % g.OutW * g.StrideW - g.PadLeft;
                if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW)
                {
                    Buffer.MemoryCopy(j.W.Bias, j.Output + (nint)m * g.OutC, g.OutC * sizeof(float), g.OutC * sizeof(float));
                    continue;
                }
                var src = j.Input + (((nint)b * g.InH + iy) * g.InW + ix) * k;
                scales[count] = DynamicQuantization.AsymmetricPerRow(src, k, rows + count * stride, out offsets[count]);
                at[count++] = m;
            }
            if (count == 0)
            {
                continue;
            }
            var a1 = rows + (count > 1 ? stride : 0);
            var a2 = rows + (count > 2 ? 2 * stride : 0);
            var a3 = rows + (count > 3 ? 3 * stride : 0);
            for (var p = 0; p < j.W.Panels; p++)
            {
                var c0 = p * PackedInt8Weights.Columns;
                j.W.Panel(rows, a1, a2, a3, p, sums);
                for (var r = 0; r < count; r++)
                {
                    j.W.Store(sums + r * PackedInt8Weights.Columns, offsets[r], scales[r], c0, j.Output + (nint)at[r] * g.OutC + c0, false);
                }
            }
        }
        if (j.Activation.IsClamp)
        {
            FusedActivation.Clamp(j.Output + (nint)m0 * g.OutC, (long)(m1 - m0) * g.OutC, j.Activation.Min, j.Activation.Max);
        }
    }

    /// <summary>The per-channel reference: one output channel's dot product at a time, on one thread.</summary>
    private void RunPerChannel(RunContext context)
    {
        var image = (short*)context.Scratch(0);
        var patch = image + (nint)g.InH * g.InW * g.InC + 16;
        var w = (short*)Unsafe.AsPointer(ref weights[0]);
        var imageSize = g.InH * g.InW * g.InC;
        var geometry = g;
        if (g.KH == 1 && g.KW == 1)
        {
            RunPointwise(context, w);
            return;
        }
        for (var b = 0; b < g.Batch; b++)
        {
            var src = context.F(input) + (nint)b * imageSize;
            var imageScale = DynamicQuantization.Asymmetric(src, imageSize, image, out var offset);
            var pixels = g.OutH * g.OutW;
            for (var m = 0; m < pixels; m++)
            {
                Patch(ref geometry, image, m, (short)offset, patch);
                var y = context.F(output) + ((nint)b * pixels + m) * g.OutC;
                for (var c = 0; c < g.OutC; c++)
                {
                    var dot = IntDot.Dot(patch, w + (nint)c * k, k) - offset * rowSums[c];
                    y[c] = dot * filterScales[c] * imageScale + bias[c];
                }
            }
        }
        activation.Apply(context.F(output), (long)g.OutputPixels * g.OutC);
    }

    /// <summary>
    /// 1×1 convolutions quantize each input pixel on its own with XNNPACK's arithmetic, as LiteRT runs them (its
    /// dynamically quantized path, one set of parameters per row). Measured against LiteRT.js alone on LiteRT's
    /// inputs: face_detection_short_range conv2d_4 per image 2.5e-2 of the output's magnitude, per pixel with
    /// TFLite's rounding 1.5e-7; face_detection_full_range conv2d_15 per pixel with TFLite's rounding 1.4e-3, with
    /// XNNPACK's 7e-8. Larger kernels keep TFLite's per-image quantization, which LiteRT matches there.
    /// </summary>
    private void RunPointwise(RunContext context, short* w)
    {
        var pixel = (short*)context.Scratch(0);
        var pixels = g.OutH * g.OutW;
        for (var b = 0; b < g.Batch; b++)
        {
            for (var m = 0; m < pixels; m++)
            {
                var iy = m / g.OutW * g.StrideH - g.PadTop;
                var ix = m % g.OutW * g.StrideW - g.PadLeft;
                var y = context.F(output) + ((nint)b * pixels + m) * g.OutC;
                if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW)
                {
                    // Outside the image (only with padding): every tap reads zero.
                    for (var c = 0; c < g.OutC; c++)
                    {
                        y[c] = bias[c];
                    }
                    continue;
                }
                var src = context.F(input) + (((nint)b * g.InH + iy) * g.InW + ix) * g.InC;
                var scale = DynamicQuantization.AsymmetricPerRow(src, g.InC, pixel, out var offset);
                for (var c = 0; c < g.OutC; c++)
                {
                    var dot = IntDot.Dot(pixel, w + (nint)c * k, k) - offset * rowSums[c];
                    y[c] = dot * filterScales[c] * scale + bias[c];
                }
            }
        }
        activation.Apply(context.F(output), (long)g.OutputPixels * g.OutC);
    }

    /// <summary>The (ky, kx, c) patch of pixel m of one quantized image, <paramref name="pad"/> outside it.</summary>
    private static void Patch<T>(ref ConvGeometry g, T* image, int m, T pad, T* dst) where T : unmanaged
    {
        var c = g.InC;
        var ox = m % g.OutW;
        var oy = m / g.OutW;
        for (var ky = 0; ky < g.KH; ky++)
        {
            var iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
            for (var kx = 0; kx < g.KW; kx++)
            {
                var ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW)
                {
                    new Span<T>(dst, c).Fill(pad);
                }
                else
                {
                    Buffer.MemoryCopy(image + ((nint)iy * g.InW + ix) * c, dst, c * sizeof(T), c * sizeof(T));
                }
                dst += c;
            }
        }
    }
}
