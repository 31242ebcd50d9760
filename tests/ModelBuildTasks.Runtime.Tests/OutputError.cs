using System.Globalization;

namespace ModelBuildTasks.Runtime.Tests;

/// <summary>
/// How far our output is from the oracle's. The bar: relative error ≤ 1e-4, or absolute ≤ 1e-4 where values
/// are near zero (|expected| &lt; 1). LiteRT's own builds differ by up to 1.7e-4 of an output's largest magnitude
/// (ARCHITECTURE §4; measured again in docs/runtime-performance.md: compat vs relaxed-SIMD build, seed 7,
/// pose_landmark_heavy's mask differs by 1.68e-4 of its max and by 6.8e-3 per element on pose_landmark_lite), so an
/// output that misses the per-element bar passes when its worst difference is within
/// <see cref="MagnitudeTolerance"/> of its largest magnitude: summation order alone moves large convolutions that far.
/// </summary>
internal readonly record struct OutputError(double MaxElementError, double MaxAbsError, double MaxMagnitude, int Count, int WorstIndex, float WorstActual, float WorstExpected)
{
    /// <summary>Accepted |ours − oracle| as a fraction of the output's largest |oracle| value.</summary>
    public const double MagnitudeTolerance = 3e-4;

    /// <summary>Worst |ours − oracle| / max(1, |oracle|) over all elements: the per-element measure.</summary>
    public double ElementError => MaxElementError;

    /// <summary>Worst |ours − oracle| relative to the output's largest magnitude.</summary>
    public double MagnitudeError => MaxMagnitude > 0 ? MaxAbsError / MaxMagnitude : MaxAbsError;

    public bool WithinTolerance => MaxElementError <= 1e-4 || MagnitudeError <= MagnitudeTolerance;

    public static OutputError Measure(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new AssertFailedException($"length {actual.Length} != expected {expected.Length}");
        }
        double maxElement = 0, maxAbs = 0, magnitude = 0;
        var worst = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            var abs = Math.Abs(a - e);
            if (double.IsNaN(abs))
            {
                abs = double.IsNaN(a) && double.IsNaN(e) ? 0 : double.PositiveInfinity;
            }
            maxAbs = Math.Max(maxAbs, abs);
            var element = abs / Math.Max(1, Math.Abs(e));
            if (element > maxElement)
            {
                maxElement = element;
                worst = i;
            }
            magnitude = Math.Max(magnitude, Math.Abs(e));
        }
        return new OutputError(maxElement, maxAbs, magnitude, actual.Length, worst,
            actual.Length > 0 ? actual[worst] : 0, expected.Length > 0 ? expected[worst] : 0);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"max element error {MaxElementError:E2}, max |diff| {MaxAbsError:E2} = {MagnitudeError:E2} of max |value| {MaxMagnitude:G4} ({Count} values; worst [{WorstIndex}] {WorstActual:G7} vs {WorstExpected:G7})");
}
