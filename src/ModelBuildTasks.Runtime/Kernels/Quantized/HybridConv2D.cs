using System.Runtime.CompilerServices;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Hybrid (dynamic-range) CONV_2D: float32 activations, int8 weights (per-tensor or per-channel), float bias.
/// Each batch image is quantized to int8 at run time (symmetric, or asymmetric when
/// <c>asymmetric_quantize_inputs</c> is set); every output is (Σ w·(q − offset))·s_w[c]·s_image + bias[c] over
/// the taps inside the image, then the fused activation — TFLite's hybrid convolution. Patches are gathered
/// with the offset in padded positions, so the integer dot product minus offset·Σ w is exact.
/// </summary>
internal sealed unsafe class HybridConv2D : Kernel
{
    private readonly ConvGeometry g;
    private readonly short[] weights;
    private readonly float[] filterScales;
    private readonly long[] rowSums;
    private readonly float[] bias;
    private readonly FusedActivation activation;
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
        // One quantized image plus one patch row.
        ScratchBytesPerThread = ((long)g.InH * g.InW * g.InC + k + 32) * sizeof(short);
        MultiplyAccumulates = (long)g.Batch * g.OutH * g.OutW * g.OutC * k;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new HybridConv2D(s);

    public override void Run(RunContext context)
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
    private static void Patch(ref ConvGeometry g, short* image, int m, short pad, short* dst)
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
                    new Span<short>(dst, c).Fill(pad);
                }
                else
                {
                    Buffer.MemoryCopy(image + ((nint)iy * g.InW + ix) * c, dst, c * sizeof(short), c * sizeof(short));
                }
                dst += c;
            }
        }
    }
}
