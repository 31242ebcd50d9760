using System.Runtime.Intrinsics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// MAX_POOL_2D and AVERAGE_POOL_2D over NHWC float32. Padding follows the convolution rules; padded cells are
/// ignored, so an average divides by the number of cells inside the image, as TFLite does. Vectorized across
/// channels; threads split output rows.
/// </summary>
internal sealed unsafe class Pool2D : Kernel
{
    private readonly ConvGeometry g;
    private readonly bool isMax;
    private readonly FusedActivation activation;
    private readonly int input;
    private readonly int output;

    private Pool2D(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        s.RequireRank(x, 4);
        s.RequireRank(y, 4);
        var o = s.Options<Pool2DOptionsT>();
        s.Require(o.StrideH > 0 && o.StrideW > 0 && o.FilterHeight > 0 && o.FilterWidth > 0, "strides and filter sizes must be positive");
        isMax = s.Op.Code.Builtin == BuiltinOperator.MAX_POOL_2D;
        g = new ConvGeometry
        {
            Batch = x.Dim(0), InH = x.Dim(1), InW = x.Dim(2), InC = x.Dim(3), OutC = x.Dim(3),
            KH = o.FilterHeight, KW = o.FilterWidth, StrideH = o.StrideH, StrideW = o.StrideW, DilationH = 1, DilationW = 1,
        };
        g.OutH = ConvGeometry.OutputSize(o.Padding, g.InH, g.KH, g.StrideH, 1);
        g.OutW = ConvGeometry.OutputSize(o.Padding, g.InW, g.KW, g.StrideW, 1);
        g.PadTop = ConvGeometry.PaddingBefore(g.InH, g.KH, g.StrideH, 1, g.OutH);
        g.PadLeft = ConvGeometry.PaddingBefore(g.InW, g.KW, g.StrideW, 1, g.OutW);
        s.Require(y.Dim(0) == g.Batch && y.Dim(1) == g.OutH && y.Dim(2) == g.OutW && y.Dim(3) == g.OutC,
            $"output {y} does not match (expected [{g.Batch},{g.OutH},{g.OutW},{g.OutC}])");
        activation = FusedActivation.From(o.FusedActivationFunction, s);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Pool2D(s);

    public override void Run(RunContext context)
    {
        var job = new Job { G = g, Input = context.F(input), Output = context.F(output), IsMax = isMax, Min = activation.Min, Max = activation.Max };
        var rows = g.Batch * g.OutH;
        context.Pool.For(rows, Math.Max(1, rows / (4 * context.ThreadCount)), &Body, &job);
        if (activation.IsTanh)
        {
            activation.Apply(job.Output, (long)g.OutputPixels * g.OutC);
        }
    }

    private struct Job
    {
        public ConvGeometry G;
        public float* Input;
        public float* Output;
        public bool IsMax;
        public float Min;
        public float Max;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        ref var g = ref j.G;
        var c = g.InC;
        var lo = Vector256.Create(j.Min);
        var hi = Vector256.Create(j.Max);
        for (var row = begin; row < end; row++)
        {
            var b = row / g.OutH;
            var oy = row % g.OutH;
            var iy0 = oy * g.StrideH - g.PadTop;
            var yBegin = Math.Max(0, iy0);
            var yEnd = Math.Min(g.InH, iy0 + g.KH);
            for (var ox = 0; ox < g.OutW; ox++)
            {
                var ix0 = ox * g.StrideW - g.PadLeft;
                var xBegin = Math.Max(0, ix0);
                var xEnd = Math.Min(g.InW, ix0 + g.KW);
                var dst = j.Output + ((nint)row * g.OutW + ox) * c;
                float cells = Math.Max(1, (yEnd - yBegin) * (xEnd - xBegin));
                var ch = 0;
                for (; ch <= c - 8; ch += 8)
                {
                    var acc = j.IsMax ? Vector256.Create(float.NegativeInfinity) : Vector256<float>.Zero;
                    for (var iy = yBegin; iy < yEnd; iy++)
                    {
                        var src = j.Input + (((nint)b * g.InH + iy) * g.InW) * c + ch;
                        for (var ix = xBegin; ix < xEnd; ix++)
                        {
                            var v = Vector256.Load(src + (nint)ix * c);
                            acc = j.IsMax ? Vector256.Max(acc, v) : acc + v;
                        }
                    }
                    if (!j.IsMax)
                    {
                        acc /= Vector256.Create(cells);
                    }
                    Vector256.Store(Vector256.Min(Vector256.Max(acc, lo), hi), dst + ch);
                }
                for (; ch < c; ch++)
                {
                    var acc = j.IsMax ? float.NegativeInfinity : 0f;
                    for (var iy = yBegin; iy < yEnd; iy++)
                    {
                        var src = j.Input + (((nint)b * g.InH + iy) * g.InW) * c + ch;
                        for (var ix = xBegin; ix < xEnd; ix++)
                        {
                            acc = j.IsMax ? Math.Max(acc, src[(nint)ix * c]) : acc + src[(nint)ix * c];
                        }
                    }
                    if (!j.IsMax)
                    {
                        acc /= cells;
                    }
                    dst[ch] = Math.Min(Math.Max(acc, j.Min), j.Max);
                }
            }
        }
    }
}
