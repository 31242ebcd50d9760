using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Compute;

/// <summary>
/// Sizes of a 2-D convolution-like operator over NHWC data, with TFLite's padding rules: SAME gives
/// ceil(in / stride) outputs, VALID (in − effective_filter + stride) / stride, where effective_filter =
/// (filter − 1)·dilation + 1; the padding before is half the total padding, rounded down (the extra goes after).
/// </summary>
internal struct ConvGeometry
{
    public int Batch, InH, InW, InC, OutH, OutW, OutC, KH, KW, StrideH, StrideW, DilationH, DilationW, PadTop, PadLeft;

    public static int OutputSize(Padding padding, int input, int filter, int stride, int dilation)
    {
        var effective = (filter - 1) * dilation + 1;
        return padding == Padding.SAME ? (input + stride - 1) / stride : (input + stride - effective) / stride;
    }

    public static int PaddingBefore(int input, int filter, int stride, int dilation, int output)
    {
        var effective = (filter - 1) * dilation + 1;
        return Math.Max(0, (output - 1) * stride + effective - input) / 2;
    }

    /// <summary>Rows of the output matrix (one per output pixel).</summary>
    public readonly int OutputPixels => Batch * OutH * OutW;
}
