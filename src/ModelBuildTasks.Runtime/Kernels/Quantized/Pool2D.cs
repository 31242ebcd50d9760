using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer MAX_POOL_2D and AVERAGE_POOL_2D (input and output share one quantization, as TFLite requires). Cells
/// outside the image are ignored; the average divides the int32 sum by the number of cells inside, rounding half
/// away from zero; both clamp to the fused activation's range in the quantized domain.
/// </summary>
internal sealed unsafe class Pool2D : Kernel
{
    private readonly ConvGeometry g;
    private readonly bool isMax;
    private readonly TensorType type;
    private readonly int min;
    private readonly int max;
    private readonly int input;
    private readonly int output;

    private Pool2D(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.RequireRank(x, 4);
        s.RequireRank(y, 4);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        var qx = QuantInfo.Of(s, x);
        var qy = QuantInfo.Of(s, y);
        s.Require(qx.Scale == qy.Scale && qx.ZeroPoint == qy.ZeroPoint, $"input {x} and output {y} must share one quantization");
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
        (min, max) = qy.ActivationRange(o.FusedActivationFunction, s);
        type = x.Type;
        ScratchBytesPerThread = (long)(g.InC + 8) * sizeof(int);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Pool2D(s);

    public override void Run(RunContext context)
    {
        var acc = (int*)context.Scratch(0);
        switch (type)
        {
            case TensorType.INT8: Pool(context.P<sbyte>(input), context.P<sbyte>(output), acc); break;
            case TensorType.UINT8: Pool(context.B(input), context.B(output), acc); break;
            default: Pool(context.P<short>(input), context.P<short>(output), acc); break;
        }
    }

    private void Pool<T>(T* src, T* dst, int* acc) where T : unmanaged, IBinaryInteger<T>
    {
        var c = g.InC;
        for (var b = 0; b < g.Batch; b++)
        {
            for (var oy = 0; oy < g.OutH; oy++)
            {
                var y0 = Math.Max(0, oy * g.StrideH - g.PadTop);
                var y1 = Math.Min(g.InH, oy * g.StrideH - g.PadTop + g.KH);
                for (var ox = 0; ox < g.OutW; ox++)
                {
                    var x0 = Math.Max(0, ox * g.StrideW - g.PadLeft);
                    var x1 = Math.Min(g.InW, ox * g.StrideW - g.PadLeft + g.KW);
                    new Span<int>(acc, c).Fill(isMax ? int.MinValue : 0);
                    for (var iy = y0; iy < y1; iy++)
                    {
                        for (var ix = x0; ix < x1; ix++)
                        {
                            var p = src + ((nint)((b * g.InH + iy) * g.InW) + ix) * c;
                            for (var ch = 0; ch < c; ch++)
                            {
                                var v = IntElements.Get(p, ch);
                                acc[ch] = isMax ? Math.Max(acc[ch], v) : acc[ch] + v;
                            }
                        }
                    }
                    var count = (y1 - y0) * (x1 - x0);
                    var d = dst + ((nint)((b * g.OutH + oy) * g.OutW) + ox) * c;
                    for (var ch = 0; ch < c; ch++)
                    {
                        var v = acc[ch];
                        if (!isMax)
                        {
                            // Round half away from zero, as the reference kernel does.
                            v = count == 0 ? 0 : v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
                        }
                        IntElements.Set(d, ch, Math.Clamp(v, min, max));
                    }
                }
            }
        }
    }
}
