namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// Run-time quantization of float activations to int8 for the hybrid (dynamic-range) kernels, as TFLite does it
/// per row or image: asymmetric to [−128, 127] over a range that includes 0, with a nudged zero point. Values are
/// written widened to int16 for <see cref="IntDot"/>.
/// </summary>
internal static unsafe class DynamicQuantization
{
    /// <summary>Asymmetric over a range that includes 0. Returns the scale; <paramref name="offset"/> is the zero point.</summary>
    public static float Asymmetric(float* values, int n, short* quantized, out int offset)
    {
        float min = 0, max = 0;
        for (var i = 0; i < n; i++)
        {
            min = Math.Min(min, values[i]);
            max = Math.Max(max, values[i]);
        }
        double rmin = min, rmax = max;
        if (rmin == rmax)
        {
            new Span<short>(quantized, n).Clear();
            offset = 0;
            return 1f;
        }
        const double qmin = -128, qmax = 127;
        var scale = (rmax - rmin) / (qmax - qmin);
        var fromMin = qmin - rmin / scale;
        var fromMax = qmax - rmax / scale;
        // Pick the zero point whose derivation loses less precision.
        var zero = Math.Abs(qmin) + Math.Abs(rmin / scale) < Math.Abs(qmax) + Math.Abs(rmax / scale) ? fromMin : fromMax;
        offset = zero <= qmin ? -128 : zero >= qmax ? 127 : (int)Math.Round(zero, MidpointRounding.AwayFromZero);
        var factor = (float)scale;
        var inverse = 1f / factor;
        for (var i = 0; i < n; i++)
        {
            var q = (int)MathF.Round(offset + values[i] * inverse, MidpointRounding.AwayFromZero);
            quantized[i] = (short)Math.Clamp(q, -128, 127);
        }
        return factor;
    }
    /// <summary>
    /// XNNPACK's per-row dynamic quantization, which LiteRT uses for hybrid 1×1 convolutions: inverse scale
    /// 255 / (max − min) in float32 over a range that includes 0, zero point from the end that loses less, values
    /// rounded to nearest even. Returns the scale; <paramref name="offset"/> is the zero point.
    /// </summary>
    public static float AsymmetricPerRow(float* values, int n, short* quantized, out int offset)
    {
        float min = 0, max = 0;
        for (var i = 0; i < n; i++)
        {
            min = Math.Min(min, values[i]);
            max = Math.Max(max, values[i]);
        }
        if (min == max)
        {
            new Span<short>(quantized, n).Clear();
            offset = 0;
            return 1f;
        }
        var inverse = 255f / (max - min);
        var minScaled = min * inverse;
        var maxScaled = max * inverse;
        var zero = -128f + minScaled + (127f + maxScaled) > 0 ? -128f - minScaled : 127f - maxScaled;
        offset = (int)MathF.Round(Math.Clamp(zero, -128f, 127f), MidpointRounding.ToEven);
        float lo = -128 - offset, hi = 127 - offset;
        for (var i = 0; i < n; i++)
        {
            quantized[i] = (short)((int)MathF.Round(Math.Clamp(values[i] * inverse, lo, hi), MidpointRounding.ToEven) + offset);
        }
        return 1f / inverse;
    }
}
