using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels;

/// <summary>
/// Checks a CONV_2D or DEPTHWISE_CONV_2D operator's shapes and options and derives its geometry, the same for the
/// float, integer and hybrid kernels: ranks, positive strides and dilations, filter against input channels, output
/// size and padding by TFLite's rules, and the output tensor against that size.
/// </summary>
internal static class ConvShapes
{
    /// <summary>CONV_2D: filter [out, kh, kw, in]; grouped convolutions are not supported.</summary>
    public static ConvGeometry Conv2D(KernelSetup s, RuntimeTensor x, RuntimeTensor f, RuntimeTensor y, Conv2DOptionsT o)
    {
        var g = Start(s, x, f, y, outChannelAxis: 0, o.StrideH, o.StrideW, o.DilationHFactor, o.DilationWFactor);
        s.Require(f.Dim(3) > 0 && g.InC % f.Dim(3) == 0, $"filter {f} does not match the channels of input {x}");
        if (f.Dim(3) != g.InC)
        {
            throw s.Unsupported($"grouped convolution (filter {f}, input {x}) is not supported");
        }
        return Finish(s, g, o.Padding, x, f, y);
    }

    /// <summary>DEPTHWISE_CONV_2D: filter [1, kh, kw, out], out a multiple of the input channels.</summary>
    public static ConvGeometry Depthwise(KernelSetup s, RuntimeTensor x, RuntimeTensor f, RuntimeTensor y, DepthwiseConv2DOptionsT o)
    {
        var g = Start(s, x, f, y, outChannelAxis: 3, o.StrideH, o.StrideW, o.DilationHFactor, o.DilationWFactor);
        s.Require(f.Dim(0) == 1 && g.InC > 0 && g.OutC % g.InC == 0, $"filter {f} does not fit input {x}");
        return Finish(s, g, o.Padding, x, f, y);
    }

    private static ConvGeometry Start(
        KernelSetup s, RuntimeTensor x, RuntimeTensor f, RuntimeTensor y, int outChannelAxis,
        int strideH, int strideW, int dilationH, int dilationW)
    {
        s.RequireRank(x, 4);
        s.RequireRank(f, 4);
        s.RequireRank(y, 4);
        s.Require(strideH > 0 && strideW > 0 && dilationH > 0 && dilationW > 0, "strides and dilations must be positive");
        return new ConvGeometry
        {
            Batch = x.Dim(0), InH = x.Dim(1), InW = x.Dim(2), InC = x.Dim(3),
            OutC = f.Dim(outChannelAxis), KH = f.Dim(1), KW = f.Dim(2),
            StrideH = strideH, StrideW = strideW, DilationH = dilationH, DilationW = dilationW,
        };
    }

    private static ConvGeometry Finish(KernelSetup s, ConvGeometry g, Padding padding, RuntimeTensor x, RuntimeTensor f, RuntimeTensor y)
    {
        g.OutH = ConvGeometry.OutputSize(padding, g.InH, g.KH, g.StrideH, g.DilationH);
        g.OutW = ConvGeometry.OutputSize(padding, g.InW, g.KW, g.StrideW, g.DilationW);
        g.PadTop = ConvGeometry.PaddingBefore(g.InH, g.KH, g.StrideH, g.DilationH, g.OutH);
        g.PadLeft = ConvGeometry.PaddingBefore(g.InW, g.KW, g.StrideW, g.DilationW, g.OutW);
        s.Require(y.Dim(0) == g.Batch && y.Dim(1) == g.OutH && y.Dim(2) == g.OutW && y.Dim(3) == g.OutC,
            $"output {y} does not match the convolution of {x} by {f} (expected [{g.Batch},{g.OutH},{g.OutW},{g.OutC}])");
        return g;
    }
}
