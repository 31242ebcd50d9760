using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer RESIZE_BILINEAR (same quantization in and out). int16 follows TFLite's reference kernel in 10-bit fixed
/// point: source coordinates are value·scale with scale = round(2^10·in/out) (align_corners and
/// half_pixel_centers as the options say), the four neighbours are weighted by products of 10-bit fractions and
/// the 20-bit sum is rounded half away from zero. 8-bit tensors follow XNNPACK, which LiteRT runs for them:
/// coordinates in float32, fractions rounded to 11 bits, interpolated horizontally then vertically in one 22-bit
/// accumulator and rounded half up. The two differ by one step on a few percent of the outputs.
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

    // 8-bit (XNNPACK) sampling: per output row and column, the two source indices and the 11-bit fraction.
    private readonly Sample[] rows = [];
    private readonly Sample[] columns = [];

    private readonly record struct Sample(int Lower, int Upper, int Fraction);

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
        if (type is TensorType.INT8 or TensorType.UINT8)
        {
            rows = Samples(inH, outH, o.AlignCorners, o.HalfPixelCenters);
            columns = Samples(inW, outW, o.AlignCorners, o.HalfPixelCenters);
        }
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new ResizeBilinear(s);

    private static int Scale(int input, int output, bool alignCorners) =>
        alignCorners && output > 1
            ? ((1 << 10) * (input - 1) + (output - 1) / 2) / (output - 1)
            : ((1 << 10) * input + output / 2) / output;

    /// <summary>
    /// XNNPACK's source positions along one axis: the ratio and the position computed in float32 (TensorFlow's legacy
    /// mapping o·in/out unless half-pixel centers or aligned corners are asked for), clamped to the input for
    /// half-pixel centers, and the fraction rounded to nearest even in units of 2^-11.
    /// </summary>
    private static Sample[] Samples(int input, int output, bool alignCorners, bool halfPixel)
    {
        var adjust = alignCorners && output != 1 ? 1 : 0;
        var scale = (float)(input - adjust) / (output - adjust);
        var legacy = alignCorners || !halfPixel;
        var offset = 0.5f * scale - 0.5f;
        var samples = new Sample[output];
        for (var i = 0; i < output; i++)
        {
            var position = i * scale;
            if (!legacy)
            {
                position = Math.Clamp(position + offset, 0f, input - 1);
            }
            var lower = (int)position;
            var fraction = (int)MathF.Round((position - lower) * 2048f, MidpointRounding.ToEven);
            samples[i] = new Sample(lower, Math.Min(lower + 1, input - 1), fraction);
        }
        return samples;
    }

    /// <summary>Scaled source coordinate (10 fractional bits) and its lower and upper neighbours.</summary>
    private static (int Scaled, int Lower, int Upper) Source(int value, int scale, bool halfPixel, int size)
    {
        var scaled = halfPixel ? value * scale + scale / 2 - (1 << 9) : value * scale;
        return (scaled, Math.Max(scaled / (1 << 10), 0), Math.Min((scaled + (1 << 10) - 1) / (1 << 10), size - 1));
    }

    public override void Run(RunContext context)
    {
        if (type is TensorType.INT8 or TensorType.UINT8)
        {
            fixed (Sample* rowSamples = rows, columnSamples = columns)
            {
                var job = new Job
                {
                    Input = context.B(input), Output = context.B(output), Rows = rowSamples, Columns = columnSamples,
                    InH = inH, InW = inW, OutH = outH, OutW = outW, Channels = channels,
                };
                // Rows of output are independent; a chunk of rows should carry at least ~8 KB of output.
                var rowBytes = Math.Max(1, outW * channels);
                var perChunk = Math.Max(1, 8192 / rowBytes);
                if (type == TensorType.INT8)
                {
                    context.Pool.For(batch * outH, perChunk, &Rows8<sbyte>, &job);
                }
                else
                {
                    context.Pool.For(batch * outH, perChunk, &Rows8<byte>, &job);
                }
            }
            return;
        }
        Resize(context.P<short>(input), context.P<short>(output));
    }

    private struct Job
    {
        public byte* Input, Output;
        public Sample* Rows, Columns;
        public int InH, InW, OutH, OutW, Channels;
    }

    private static void Rows8<T>(void* state, int begin, int end, int thread) where T : unmanaged, IBinaryInteger<T>
    {
        const int Rounding = 1 << 21;
        ref var j = ref *(Job*)state;
        var src = (T*)j.Input;
        var channels = j.Channels;
        for (var r = begin; r < end; r++)
        {
            var b = r / j.OutH;
            var row = j.Rows[r % j.OutH];
            var top = src + (nint)(b * j.InH + row.Lower) * j.InW * channels;
            var bottom = src + (nint)(b * j.InH + row.Upper) * j.InW * channels;
            var d = (T*)j.Output + (nint)r * j.OutW * channels;
            var fy = Vector256.Create(row.Fraction);
            var rounding = Vector256.Create(Rounding);
            for (var x = 0; x < j.OutW; x++, d += channels)
            {
                var column = j.Columns[x];
                var tl = top + (nint)column.Lower * channels;
                var tr = top + (nint)column.Upper * channels;
                var bl = bottom + (nint)column.Lower * channels;
                var br = bottom + (nint)column.Upper * channels;
                var c = 0;
                if (Avx2.IsSupported)
                {
                    var fx = Vector256.Create(column.Fraction);
                    for (; c <= channels - 16; c += 16)
                    {
                        IntElements.Store16(d + c,
                            Interpolate(IntElements.Load8(tl + c), IntElements.Load8(tr + c), IntElements.Load8(bl + c), IntElements.Load8(br + c), fx, fy, rounding),
                            Interpolate(IntElements.Load8(tl + c + 8), IntElements.Load8(tr + c + 8), IntElements.Load8(bl + c + 8), IntElements.Load8(br + c + 8), fx, fy, rounding));
                    }
                    if (c <= channels - 8)
                    {
                        IntElements.Store8(d + c,
                            Interpolate(IntElements.Load8(tl + c), IntElements.Load8(tr + c), IntElements.Load8(bl + c), IntElements.Load8(br + c), fx, fy, rounding));
                        c += 8;
                    }
                }
                for (; c < channels; c++)
                {
                    // Horizontal then vertical, each with an 11-bit fraction: 22 fractional bits, one rounding.
                    var t = (IntElements.Get(tl, c) << 11) + (IntElements.Get(tr, c) - IntElements.Get(tl, c)) * column.Fraction;
                    var u = (IntElements.Get(bl, c) << 11) + (IntElements.Get(br, c) - IntElements.Get(bl, c)) * column.Fraction;
                    var sum = (t << 11) + (u - t) * row.Fraction;
                    IntElements.Set(d, c, (sum + Rounding) >> 22);
                }
            }
        }
    }

    /// <summary>The scalar arithmetic on eight channels (all intermediate values fit in int32 lanes, as in the scalar loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Interpolate(Vector256<int> tl, Vector256<int> tr, Vector256<int> bl, Vector256<int> br,
        Vector256<int> fx, Vector256<int> fy, Vector256<int> rounding)
    {
        var t = Vector256.ShiftLeft(tl, 11) + (tr - tl) * fx;
        var u = Vector256.ShiftLeft(bl, 11) + (br - bl) * fx;
        var sum = Vector256.ShiftLeft(t, 11) + (u - t) * fy;
        return Vector256.ShiftRightArithmetic(sum + rounding, 22);
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
