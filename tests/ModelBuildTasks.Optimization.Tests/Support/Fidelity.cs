using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Support;

/// <summary>Output agreement between a reference and a candidate run (both float32 outputs from the oracle).</summary>
internal static class Fidelity
{
    /// <summary>Cosine similarity; 1 when both are all zero, 0 when only one is.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return aa == 0 && bb == 0 ? 1 : aa == 0 || bb == 0 ? 0 : ab / Math.Sqrt(aa * bb);
    }

    /// <summary>Signal-to-quantization-noise ratio in dB (capped at 200 for identical outputs).</summary>
    public static double SqnrDb(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        double signal = 0, noise = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            signal += (double)reference[i] * reference[i];
            var d = (double)reference[i] - candidate[i];
            noise += d * d;
        }
        return noise == 0 ? 200 : signal == 0 ? -200 : Math.Min(200, 10 * Math.Log10(signal / noise));
    }

    /// <summary>
    /// The smallest cosine and the mean SQNR over the outputs with more than one element (a cosine of a single value
    /// only says whether its sign agrees, so scores and flags are left out).
    /// </summary>
    public static (double MinCosine, double MeanSqnrDb) Compare(OracleResult reference, OracleResult candidate)
    {
        var min = 1.0;
        var sqnr = 0.0;
        var counted = 0;
        for (var i = 0; i < reference.Outputs.Count; i++)
        {
            var r = reference.Outputs[i].AsFloats();
            var c = candidate.Outputs[i].AsFloats();
            if (r.Length != c.Length)
            {
                throw new AssertFailedException($"output {i} has {c.Length} elements, the reference {r.Length}");
            }
            if (r.Length > 1)
            {
                min = Math.Min(min, Cosine(r, c));
                sqnr += SqnrDb(r, c);
                counted++;
            }
        }
        return (min, counted == 0 ? 200 : sqnr / counted);
    }
}
