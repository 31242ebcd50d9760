using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer RESIZE_BILINEAR (same quantization in and out) in TFLite's 10-bit fixed point: source coordinates are
/// value·scale with scale = round(2^10·in/out) (align_corners and half_pixel_centers as the options say), the
/// four neighbours are weighted by products of 10-bit fractions and the 20-bit sum is rounded half away from zero.
/// </summary>
internal sealed unsafe class ResizeBilinear : Kernel
{
    private readonly int batch;
    private readonly int inH;
    private readonly int inW;
    private readonly int channels;
    private readonly int outH;
    private readonly int outW;
    private readonly int scaleH;
    private readonly int scaleW;
    private readonly bool halfPixel;
    private readonly TensorType type;
    private readonly int input;
    private readonly int output;

    private ResizeBilinear(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireRank(x, 4);
        s.RequireRank(y, 4);
        s.Require(x.Type == y.Type && x.Dim(0) == y.Dim(0) && x.Dim(3) == y.Dim(3), $"input {x} and output {y} do not match");
        var qx = QuantInfo.Of(s, x);
        var qy = QuantInfo.Of(s, y);
        s.Require(qx.Scale == qy.Scale && qx.ZeroPoint == qy.ZeroPoint, $"input {x} and output {y} must share one quantization");
        var o = s.Options<ResizeBilinearOptionsT>();
        (batch, inH, inW, channels) = (x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3));
        (outH, outW) = (y.Dim(1), y.Dim(2));
        s.Require(outH > 0 && outW > 0 && inH > 0 && inW > 0, $"output {y} must not be empty");
        scaleH = Scale(inH, outH, o.AlignCorners);
        scaleW = Scale(inW, outW, o.AlignCorners);
        halfPixel = o.HalfPixelCenters;
        type = x.Type;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new ResizeBilinear(s);

    private static int Scale(int input, int output, bool alignCorners) =>
        alignCorners && output > 1
            ? ((1 << 10) * (input - 1) + (output - 1) / 2) / (output - 1)
            : ((1 << 10) * input + output / 2) / output;

    /// <summary>Scaled source coordinate (10 fractional bits) and its lower and upper neighbours.</summary>
    private static (int Scaled, int Lower, int Upper) Source(int value, int scale, bool halfPixel, int size)
    {
        var scaled = halfPixel ? value * scale + scale / 2 - (1 << 9) : value * scale;
        return (scaled, Math.Max(scaled / (1 << 10), 0), Math.Min((scaled + (1 << 10) - 1) / (1 << 10), size - 1));
    }

    public override void Run(RunContext context)
    {
        switch (type)
        {
            case TensorType.INT8: Resize(context.P<sbyte>(input), context.P<sbyte>(output)); break;
            case TensorType.UINT8: Resize(context.B(input), context.B(output)); break;
            default: Resize(context.P<short>(input), context.P<short>(output)); break;
        }
    }

    private void Resize<T>(T* src, T* dst) where T : unmanaged, IBinaryInteger<T>
    {
        const long One = 1 << 10;
        for (var b = 0; b < batch; b++)
        {
            for (var y = 0; y < outH; y++)
            {
                var (sy, y0, y1) = Source(y, scaleH, halfPixel, inH);
                var fy = sy - One * y0;
                for (var x = 0; x < outW; x++)
                {
                    var (sx, x0, x1) = Source(x, scaleW, halfPixel, inW);
                    var fx = sx - One * x0;
                    var p00 = src + ((nint)((b * inH + y0) * inW) + x0) * channels;
                    var p10 = src + ((nint)((b * inH + y1) * inW) + x0) * channels;
                    var p01 = src + ((nint)((b * inH + y0) * inW) + x1) * channels;
                    var p11 = src + ((nint)((b * inH + y1) * inW) + x1) * channels;
                    var d = dst + ((nint)((b * outH + y) * outW) + x) * channels;
                    for (var c = 0; c < channels; c++)
                    {
                        var sum = IntElements.Get(p00, c) * (One - fy) * (One - fx)
                                  + IntElements.Get(p10, c) * fy * (One - fx)
                                  + IntElements.Get(p01, c) * (One - fy) * fx
                                  + IntElements.Get(p11, c) * fy * fx;
                        var round = sum > 0 ? 1L << 19 : -(1L << 19);
                        IntElements.Set(d, c, (int)((sum + round) / (1L << 20)));
                    }
                }
            }
        }
    }
}
