using System.Numerics.Tensors;

namespace ModelBuildTasks.Optimization.Calibration;

/// <summary>
/// What calibration keeps for one tensor, in constant memory whatever the number of samples: the global min/max, an
/// exponential moving average of each sample's min/max, and (second pass, when the method needs it) a histogram over
/// the global range.
/// </summary>
internal sealed class RangeStatistics
{
    public const int Bins = 2048;

    public float Min = float.PositiveInfinity;
    public float Max = float.NegativeInfinity;
    public double AverageMin;
    public double AverageMax;
    public int Samples;
    public long[]? Histogram;

    public bool HasValues => Samples > 0 && Min <= Max;

    /// <summary>Adds one sample's values (first pass).</summary>
    public void Observe(ReadOnlySpan<float> values, double momentum)
    {
        if (values.IsEmpty)
        {
            return;
        }
        var min = TensorPrimitives.Min(values);
        var max = TensorPrimitives.Max(values);
        if (float.IsNaN(min) || float.IsNaN(max))
        {
            (min, max) = FiniteMinMax(values);
        }
        Min = MathF.Min(Min, min);
        Max = MathF.Max(Max, max);
        AverageMin = Samples == 0 ? min : momentum * AverageMin + (1 - momentum) * min;
        AverageMax = Samples == 0 ? max : momentum * AverageMax + (1 - momentum) * max;
        Samples++;
    }

    /// <summary>Counts one sample's values into the histogram over [Min, Max] (second pass).</summary>
    public void Count(ReadOnlySpan<float> values)
    {
        if (!HasValues)
        {
            return;
        }
        var histogram = Histogram ??= new long[Bins];
        var width = (Max - Min) / Bins;
        if (width <= 0)
        {
            histogram[0] += values.Length;
            return;
        }
        var inverse = 1 / width;
        var min = Min;
        foreach (var v in values)
        {
            var bin = (int)((v - min) * inverse);
            histogram[bin < 0 ? 0 : bin >= Bins ? Bins - 1 : bin]++;
        }
    }

    /// <summary>The range for <paramref name="method"/>; <paramref name="symmetric"/> for int16 (zero point 0) schemes.</summary>
    public TensorRange Range(CalibrationMethod method, double percentile, bool symmetric) => method switch
    {
        CalibrationMethod.MovingAverage => new((float)AverageMin, (float)AverageMax),
        CalibrationMethod.Percentile when Histogram is not null => PercentileRange(percentile),
        CalibrationMethod.Mse when Histogram is not null => MseRange(symmetric ? 65535 : 255),
        _ => new(Min, Max),
    };

    private TensorRange PercentileRange(double percentile)
    {
        var h = Histogram!;
        long total = 0;
        foreach (var c in h)
        {
            total += c;
        }
        var tail = (long)Math.Floor(total * (100 - percentile) / 100 / 2);
        var width = (Max - Min) / Bins;
        int lo = 0, hi = Bins - 1;
        for (long seen = 0; lo < Bins - 1 && seen + h[lo] <= tail; lo++)
        {
            seen += h[lo];
        }
        for (long seen = 0; hi > lo && seen + h[hi] <= tail; hi--)
        {
            seen += h[hi];
        }
        return new(Min + lo * width, Min + (hi + 1) * width);
    }

    /// <summary>
    /// The clipping of [Min, Max] (scaled by 0.20 … 1.00) with the smallest expected squared error: values outside
    /// are clipped (error = distance²), values inside get uniform rounding noise (step² / 12).
    /// </summary>
    private TensorRange MseRange(int steps)
    {
        var h = Histogram!;
        var width = (Max - Min) / Bins;
        var best = new TensorRange(Min, Max);
        var bestError = double.PositiveInfinity;
        for (var k = 20; k <= 100; k += 2)
        {
            var factor = k / 100f;
            var lo = MathF.Min(0, Min * factor);
            var hi = MathF.Max(0, Max * factor);
            var step = (hi - lo) / steps;
            double error = 0;
            for (var b = 0; b < Bins; b++)
            {
                if (h[b] == 0)
                {
                    continue;
                }
                var center = Min + (b + 0.5f) * width;
                var d = center < lo ? lo - center : center > hi ? center - hi : 0;
                error += h[b] * (d > 0 ? (double)d * d : (double)step * step / 12);
            }
            if (error < bestError)
            {
                bestError = error;
                best = new TensorRange(lo, hi);
            }
        }
        return best;
    }

    private static (float, float) FiniteMinMax(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                min = MathF.Min(min, v);
                max = MathF.Max(max, v);
            }
        }
        return min <= max ? (min, max) : (0, 0);
    }
}
