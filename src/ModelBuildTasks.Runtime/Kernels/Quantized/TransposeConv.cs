using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer TRANSPOSE_CONV (inputs output_shape, filter [out, kh, kw, in], input, optional bias): int8 with
/// per-channel weights, uint8, and 16x8 with int64 bias. As TFLite's reference kernel, every input pixel scatters
/// (x − zp)·w into int64 accumulators of one batch image, which are then biased and requantized per channel.
/// </summary>
internal sealed unsafe class TransposeConv : Kernel
{
    private readonly ConvGeometry g;
    private readonly short[] weights;
    private readonly ChannelRequantizer requantizer;
    private readonly TensorType type;
    private readonly int inputZero;
    private readonly int input;
    private readonly int output;

    private TransposeConv(KernelSetup s)
    {
        var f = s.Input(1);
        var x = s.Input(2);
        var b = s.OptionalInput(3);
        var y = s.Output(0);
        s.RequireRank(x, 4);
        s.RequireRank(f, 4);
        s.RequireRank(y, 4);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        var o = s.Options<TransposeConvOptionsT>();
        s.Require(o.StrideW > 0 && o.StrideH > 0, "strides must be positive");
        g = new ConvGeometry
        {
            Batch = x.Dim(0), InH = x.Dim(1), InW = x.Dim(2), InC = x.Dim(3),
            OutC = f.Dim(0), KH = f.Dim(1), KW = f.Dim(2), StrideH = o.StrideH, StrideW = o.StrideW, DilationH = 1, DilationW = 1,
            OutH = y.Dim(1), OutW = y.Dim(2),
        };
        s.Require(f.Dim(3) == g.InC && y.Dim(0) == g.Batch && y.Dim(3) == g.OutC, $"filter {f}, input {x} and output {y} do not fit");
        // The padding of the forward convolution that maps the output back onto the input.
        var fwdH = ConvGeometry.OutputSize(o.Padding, g.OutH, g.KH, g.StrideH, 1);
        var fwdW = ConvGeometry.OutputSize(o.Padding, g.OutW, g.KW, g.StrideW, 1);
        s.Require(fwdH == g.InH && fwdW == g.InW, $"output {y} does not match the transposed convolution of {x}");
        g.PadTop = ConvGeometry.PaddingBefore(g.OutH, g.KH, g.StrideH, 1, fwdH);
        g.PadLeft = ConvGeometry.PaddingBefore(g.OutW, g.KW, g.StrideW, 1, fwdW);
        weights = ChannelRequantizer.WidenedWeights(s, f, 0);
        // The zero point is subtracted per input value, so the bias needs no correction.
        requantizer = ChannelRequantizer.Create(s, x, f, b, y, o.FusedActivationFunction, weights, g.OutC, 0, weightSumOverride: _ => 0);
        type = x.Type;
        inputZero = QuantInfo.Of(s, x).ZeroPoint;
        ScratchBytesPerThread = (long)g.OutH * g.OutW * g.OutC * sizeof(long);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new TransposeConv(s);

    public override void Run(RunContext context)
    {
        var acc = (long*)context.Scratch(0);
        switch (type)
        {
            case TensorType.INT8: Scatter(context.P<sbyte>(input), context.P<sbyte>(output), acc); break;
            case TensorType.UINT8: Scatter(context.B(input), context.B(output), acc); break;
            default: Scatter(context.P<short>(input), context.P<short>(output), acc); break;
        }
    }

    private void Scatter<T>(T* src, T* dst, long* acc) where T : unmanaged, IBinaryInteger<T>
    {
        var rq = requantizer.View;
        var outImage = g.OutH * g.OutW * g.OutC;
        fixed (short* w = weights)
        {
            for (var b = 0; b < g.Batch; b++)
            {
                new Span<long>(acc, outImage).Clear();
                for (var iy = 0; iy < g.InH; iy++)
                {
                    for (var ix = 0; ix < g.InW; ix++)
                    {
                        var pixel = src + ((nint)((b * g.InH + iy) * g.InW) + ix) * g.InC;
                        for (var ky = 0; ky < g.KH; ky++)
                        {
                            var oy = iy * g.StrideH - g.PadTop + ky;
                            if ((uint)oy >= (uint)g.OutH)
                            {
                                continue;
                            }
                            for (var kx = 0; kx < g.KW; kx++)
                            {
                                var ox = ix * g.StrideW - g.PadLeft + kx;
                                if ((uint)ox >= (uint)g.OutW)
                                {
                                    continue;
                                }
                                var a = acc + ((nint)oy * g.OutW + ox) * g.OutC;
                                for (var oc = 0; oc < g.OutC; oc++)
                                {
                                    var wr = w + (((nint)oc * g.KH + ky) * g.KW + kx) * g.InC;
                                    long sum = 0;
                                    for (var ic = 0; ic < g.InC; ic++)
                                    {
                                        sum += (IntElements.Get(pixel, ic) - inputZero) * wr[ic];
                                    }
                                    a[oc] += sum;
                                }
                            }
                        }
                    }
                }
                var d = dst + (nint)b * outImage;
                for (var i = 0; i < outImage; i++)
                {
                    IntElements.Set(d, i, rq.Requantize(acc[i], i % g.OutC));
                }
            }
        }
    }
}
