using System.Runtime.InteropServices;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>How closely one output of our runtime matches LiteRT's.</summary>
internal sealed record OutputAgreement(string Label, string DType, long Elements, long Exact, long WithinOneStep, double MaxDifference)
{
    public double ExactFraction => Elements == 0 ? 1 : (double)Exact / Elements;

    public double WithinOneFraction => Elements == 0 ? 1 : (double)WithinOneStep / Elements;

    public override string ToString() =>
        $"{Label,-40} {DType,-7} n={Elements,7}  exact {ExactFraction * 100,7:F3} %  ≤1 step {WithinOneFraction * 100,7:F3} %  max |Δ| {MaxDifference:G4}";
}

/// <summary>
/// Runs a test model in the LiteRT oracle and in our runtime on the same inputs and compares every output:
/// integer outputs by quantization steps, float outputs relative to the output's largest magnitude.
/// </summary>
internal static class Agreement
{
    /// <summary>Integer outputs must agree within one step on at least this fraction of elements.</summary>
    public const double RequiredWithinOne = 0.999;

    public static IReadOnlyList<OutputAgreement> Measure(QuantModelBuilder builder, TestContext? log = null)
    {
        var bytes = builder.Build();
        var path = Path.Combine(Path.GetTempPath(), $"mbt-quant-{Guid.NewGuid():N}.tflite");
        File.WriteAllBytes(path, bytes);
        try
        {
            var expected = Oracle.Run(path, builder.InputData);
            using var session = ModelSession.Load(bytes);
            for (var i = 0; i < builder.InputData.Count; i++)
            {
                builder.InputData[i].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            var results = new List<OutputAgreement>();
            for (var o = 0; o < expected.Outputs.Count; o++)
            {
                var type = session.Outputs[o].Type;
                results.Add(Compare(builder.OutputLabels[o], type, expected.Outputs[o].Data, session.GetOutputBytes(o)));
            }
            foreach (var r in results)
            {
                log?.WriteLine(r.ToString());
            }
            return results;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Measures and asserts: integer outputs within one step on ≥ 99.9 %, float ones within 1e-4 relative.</summary>
    public static void Check(QuantModelBuilder builder, TestContext? log = null, double floatTolerance = 1e-4)
    {
        foreach (var r in Measure(builder, log))
        {
            if (r.DType == "float32")
            {
                Assert.IsLessThanOrEqualTo(floatTolerance, r.MaxDifference, $"{r.Label}: relative difference {r.MaxDifference}");
            }
            else
            {
                Assert.IsGreaterThanOrEqualTo(RequiredWithinOne, r.WithinOneFraction, r.ToString());
            }
        }
    }

    private static OutputAgreement Compare(string label, TensorType type, byte[] expected, ReadOnlySpan<byte> actual)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{label}: output sizes differ");
        long n, exact = 0, within = 0;
        double maxDiff = 0;
        switch (type)
        {
            case TensorType.FLOAT32:
            {
                var e = MemoryMarshal.Cast<byte, float>(expected);
                var a = MemoryMarshal.Cast<byte, float>(actual);
                n = e.Length;
                double magnitude = 1e-6;
                foreach (var v in e)
                {
                    magnitude = Math.Max(magnitude, Math.Abs(v));
                }
                for (var i = 0; i < e.Length; i++)
                {
                    var d = Math.Abs((double)e[i] - a[i]) / magnitude;
                    maxDiff = Math.Max(maxDiff, double.IsNaN(d) ? double.PositiveInfinity : d);
                    exact += e[i] == a[i] ? 1 : 0;
                    within += d <= 1e-4 ? 1 : 0;
                }
                return new OutputAgreement(label, "float32", n, exact, within, maxDiff);
            }
            default:
            {
                n = expected.Length / (type switch { TensorType.INT16 => 2, TensorType.INT32 => 4, _ => 1 });
                for (var i = 0; i < n; i++)
                {
                    long e = Value(type, expected, i);
                    long a = Value(type, actual, i);
                    var d = Math.Abs(e - a);
                    maxDiff = Math.Max(maxDiff, d);
                    exact += d == 0 ? 1 : 0;
                    within += d <= 1 ? 1 : 0;
                }
                return new OutputAgreement(label, type.ToString().ToLowerInvariant(), n, exact, within, maxDiff);
            }
        }
    }

    private static int Value(TensorType type, ReadOnlySpan<byte> data, int i) => type switch
    {
        TensorType.INT8 => (sbyte)data[i],
        TensorType.UINT8 => data[i],
        TensorType.INT16 => MemoryMarshal.Read<short>(data[(i * 2)..]),
        TensorType.INT32 => MemoryMarshal.Read<int>(data[(i * 4)..]),
        _ => throw new ArgumentException($"cannot compare {type}"),
    };
}
