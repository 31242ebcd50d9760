using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// RESIZE_BILINEAR (float32) and RESIZE_NEAREST_NEIGHBOR (any element type) over NHWC, with TFLite's coordinate
/// rules. Scale is in/out, or (in−1)/(out−1) with align_corners. Bilinear: source = (dst + ½)·scale − ½ with
/// half_pixel_centers, else dst·scale; the two neighbours are floor and ceil clamped into the image, weighted by
/// the distance from the (unclamped) floor. Nearest: floor((dst + ½·half_pixel)·scale), or round-half-away with
/// align_corners, clamped. Source positions and weights are computed once at load; the run is four
/// multiply-adds per channel vector.
/// </summary>
internal sealed unsafe class Resize : Kernel
{
    private readonly bool bilinear;
    private readonly int batch, inH, inW, outH, outW, channels, elementSize;
    private readonly int[] y0, y1, x0, x1;
    private readonly float[] dy, dx;
    private readonly int input;
    private readonly int output;

    private Resize(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        bilinear = s.Op.Code.Builtin == BuiltinOperator.RESIZE_BILINEAR;
        bool alignCorners, halfPixel;
        if (bilinear)
        {
            var o = s.Options<ResizeBilinearOptionsT>();
            (alignCorners, halfPixel) = (o.AlignCorners, o.HalfPixelCenters);
            s.RequireType(x, TensorType.FLOAT32);
        }
        else
        {
            var o = s.Options<ResizeNearestNeighborOptionsT>();
            (alignCorners, halfPixel) = (o.AlignCorners, o.HalfPixelCenters);
        }
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        s.RequireRank(x, 4);
        s.RequireRank(y, 4);
        var size = s.ConstInts(s.Input(1));
        s.Require(size.Length == 2 && size[0] == y.Dim(1) && size[1] == y.Dim(2) && y.Dim(0) == x.Dim(0) && y.Dim(3) == x.Dim(3),
            $"output {y} does not match size [{string.Join(",", size)}] of {x}");
        (batch, inH, inW, channels) = (x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3));
        (outH, outW) = (y.Dim(1), y.Dim(2));
        elementSize = x.ElementSize;
        (y0, y1, dy) = Axis(inH, outH, alignCorners, halfPixel, bilinear);
        (x0, x1, dx) = Axis(inW, outW, alignCorners, halfPixel, bilinear);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Resize(s);

    private static (int[] Lower, int[] Upper, float[] Weight) Axis(int inSize, int outSize, bool alignCorners, bool halfPixel, bool bilinear)
    {
        var scale = alignCorners && outSize > 1 ? (inSize - 1) / (float)(outSize - 1) : inSize / (float)outSize;
        var lower = new int[outSize];
        var upper = new int[outSize];
        var weight = new float[outSize];
        for (var i = 0; i < outSize; i++)
        {
            if (bilinear)
            {
                var v = halfPixel ? (i + 0.5f) * scale - 0.5f : i * scale;
                var floor = MathF.Floor(v);
                lower[i] = Math.Max((int)floor, 0);
                upper[i] = Math.Min((int)MathF.Ceiling(v), inSize - 1);
                weight[i] = v - floor;
            }
            else
            {
                var offset = halfPixel ? 0.5f : 0f;
                var v = alignCorners ? (int)MathF.Round((i + offset) * scale, MidpointRounding.AwayFromZero) : (int)MathF.Floor((i + offset) * scale);
                v = Math.Min(v, inSize - 1);
                lower[i] = halfPixel ? Math.Max(0, v) : v;
            }
        }
        return (lower, upper, weight);
    }

    public override void Run(RunContext context)
    {
        fixed (int* py0 = y0, py1 = y1, px0 = x0, px1 = x1)
        fixed (float* pdy = dy, pdx = dx)
        {
            var job = new Job
            {
                Input = context.B(input), Output = context.B(output), Y0 = py0, Y1 = py1, X0 = px0, X1 = px1, Dy = pdy, Dx = pdx,
                InH = inH, InW = inW, OutH = outH, OutW = outW, Channels = channels, ElementSize = elementSize, Bilinear = bilinear,
            };
            var rows = batch * outH;
            context.Pool.For(rows, Math.Max(1, rows / (4 * context.ThreadCount)), &Body, &job);
        }
    }

    private struct Job
    {
        public byte* Input;
        public byte* Output;
        public int* Y0, Y1, X0, X1;
        public float* Dy, Dx;
        public int InH, InW, OutH, OutW, Channels, ElementSize;
        public bool Bilinear;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        var c = j.Channels;
        for (var row = begin; row < end; row++)
        {
            var b = row / j.OutH;
            var oy = row % j.OutH;
            if (!j.Bilinear)
            {
                var rowBytes = (long)c * j.ElementSize;
                var srcRow = j.Input + ((long)b * j.InH + j.Y0[oy]) * j.InW * rowBytes;
                var dstRow = j.Output + (long)row * j.OutW * rowBytes;
                for (var ox = 0; ox < j.OutW; ox++)
                {
                    Buffer.MemoryCopy(srcRow + j.X0[ox] * rowBytes, dstRow + ox * rowBytes, rowBytes, rowBytes);
                }
                continue;
            }
            var input = (float*)j.Input;
            var top = input + ((long)b * j.InH + j.Y0[oy]) * j.InW * c;
            var bottom = input + ((long)b * j.InH + j.Y1[oy]) * j.InW * c;
            var wy = j.Dy[oy];
            var dst = (float*)j.Output + (long)row * j.OutW * c;
            for (var ox = 0; ox < j.OutW; ox++, dst += c)
            {
                var wx = j.Dx[ox];
                // TFLite's weights: (1−dy)(1−dx), dy(1−dx), (1−dy)dx, dy·dx for top-left, bottom-left, top-right, bottom-right.
                float w00 = (1 - wy) * (1 - wx), w10 = wy * (1 - wx), w01 = (1 - wy) * wx, w11 = wy * wx;
                var tl = top + (long)j.X0[ox] * c;
                var tr = top + (long)j.X1[ox] * c;
                var bl = bottom + (long)j.X0[ox] * c;
                var br = bottom + (long)j.X1[ox] * c;
                var ch = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var v00 = Vector256.Create(w00);
                    var v10 = Vector256.Create(w10);
                    var v01 = Vector256.Create(w01);
                    var v11 = Vector256.Create(w11);
                    for (; ch <= c - 8; ch += 8)
                    {
                        var acc = Vector256.Load(tl + ch) * v00 + Vector256.Load(bl + ch) * v10
                                  + Vector256.Load(tr + ch) * v01 + Vector256.Load(br + ch) * v11;
                        Vector256.Store(acc, dst + ch);
                    }
                }
                for (; ch < c; ch++)
                {
                    dst[ch] = tl[ch] * w00 + bl[ch] * w10 + tr[ch] * w01 + br[ch] * w11;
                }
            }
        }
    }
}
