namespace ModelBuildTasks.Optimization.Evaluation;

/// <summary>
/// Running sums from which a tensor's error metrics follow, so no sample is kept: Σref², Σ(ref−cand)², the sum of
/// per-sample cosines, the largest absolute error and, for classifier-shaped tensors, arg-max agreements.
/// </summary>
internal sealed class MetricAccumulator(string name, string? opType, bool classifier)
{
    private double signal;
    private double noise;
    private double cosineSum;
    private double maxAbs;
    private long elements;
    private int samples;
    private int top1Agreements;

    public string Name => name;

    public bool IsClassifier => classifier;

    /// <summary>Adds one sample's values of the tensor in both models.</summary>
    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        double dot = 0, rr = 0, cc = 0, dd = 0, worst = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            double r = reference[i];
            double c = candidate[i];
            var d = r - c;
            dot += r * c;
            rr += r * r;
            cc += c * c;
            dd += d * d;
            var a = Math.Abs(d);
            if (a > worst || double.IsNaN(a))
            {
                worst = a;
            }
        }
        signal += rr;
        noise += dd;
        maxAbs = double.IsNaN(worst) || worst > maxAbs ? worst : maxAbs;
        elements += reference.Length;
        cosineSum += Cosine(dot, rr, cc);
        samples++;
        if (classifier && ArgMax(reference) == ArgMax(candidate))
        {
            top1Agreements++;
        }
    }

    public TensorMetrics ToMetrics() => new(
        name,
        opType,
        samples == 0 ? 1 : cosineSum / samples,
        Sqnr(signal, noise),
        elements == 0 ? 0 : noise / elements,
        maxAbs,
        classifier && samples > 0 ? (double)top1Agreements / samples : null);

    /// <summary>Index of the first largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }

    // Two zero vectors point the same way; a zero and a non-zero vector do not.
    private static double Cosine(double dot, double rr, double cc) =>
        rr == 0 && cc == 0 ? 1 : rr == 0 || cc == 0 ? 0 : Math.Clamp(dot / Math.Sqrt(rr * cc), -1, 1);

    private static double Sqnr(double signal, double noise) =>
        noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
}
