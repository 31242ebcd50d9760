using System.Globalization;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.RuntimeAgreement;

/// <summary>
/// How one output of our runtime compares with LiteRT's. Quantized outputs (integer tensors, or float tensors made by
/// a DEQUANTIZE) are measured in quantization steps; outputs computed in float are measured relative to the output's
/// largest magnitude.
/// </summary>
internal sealed record OutputAgreement(string Output, bool Stepped, long Elements, double MaxError, double WithinOneStep, long Differing)
{
    /// <summary>Quantized outputs must agree within one step on at least this fraction of elements (issues #3/#4).</summary>
    public const double RequiredWithinOneStep = 0.999;

    /// <summary>
    /// Float outputs: worst |ours − LiteRT| as a fraction of the output's largest |LiteRT| value, the runtime's float
    /// tolerance. LiteRT's own builds (compat vs relaxed SIMD) differ by about 1e-6 on most float16 corpus models and
    /// by up to 4.7e-4 on pose_landmark_full's mask (summation order; docs/quantized-agreement.md).
    /// </summary>
    public const double FloatMagnitudeTolerance = 3e-4;

    public bool Agrees => Stepped ? WithinOneStep >= RequiredWithinOneStep : MaxError <= FloatMagnitudeTolerance;

    /// <summary>Every element equal to LiteRT's (quantized: the same integer; float: the same value).</summary>
    public bool Exact => MaxError == 0;

    public override string ToString() => Stepped
        ? string.Create(CultureInfo.InvariantCulture, $"{Output}: max {MaxError:G4} steps, {WithinOneStep * 100:F3} % within 1 step, {Differing} of {Elements} values differ")
        : string.Create(CultureInfo.InvariantCulture, $"{Output}: max |diff| {MaxError:E2} of max magnitude, {Differing} of {Elements} values differ");

    /// <summary>Compares every output of <paramref name="model"/> (already run by LiteRT into <paramref name="expected"/>) with our session's.</summary>
    public static List<OutputAgreement> Measure(ModelGraph model, ModelSession session, OracleResult expected)
    {
        Assert.HasCount(expected.Outputs.Count, session.Outputs);
        var results = new List<OutputAgreement>();
        for (var o = 0; o < expected.Outputs.Count; o++)
        {
            var want = expected.Outputs[o];
            var index = OutputIndex(session, want.Name, o);
            var got = session.GetOutputBytes(index);
            var tensor = model.Main.Outputs[index];
            Assert.AreEqual(want.Data.Length, got.Length, $"output {want.Name}: sizes differ");
            results.Add(tensor.Type switch
            {
                TensorType.FLOAT32 when StepOf(model, tensor) is { } step =>
                    CompareSteps(want.Name, MemoryMarshal.Cast<byte, float>(got), MemoryMarshal.Cast<byte, float>(want.Data), step),
                TensorType.FLOAT32 => CompareFloats(want.Name, MemoryMarshal.Cast<byte, float>(got), MemoryMarshal.Cast<byte, float>(want.Data)),
                TensorType.INT8 => CompareSteps(want.Name, Widen(MemoryMarshal.Cast<byte, sbyte>(got)), Widen(MemoryMarshal.Cast<byte, sbyte>(want.Data)), 1),
                TensorType.UINT8 => CompareSteps(want.Name, Widen(got), Widen(want.Data), 1),
                TensorType.INT16 => CompareSteps(want.Name, Widen(MemoryMarshal.Cast<byte, short>(got)), Widen(MemoryMarshal.Cast<byte, short>(want.Data)), 1),
                _ => throw new AssertFailedException($"output {want.Name}: cannot compare {tensor.Type}"),
            });
        }
        return results;
    }

    /// <summary>The quantization step of a float output written by DEQUANTIZE from a per-tensor quantized tensor, else null.</summary>
    public static float? StepOf(ModelGraph model, Tensor output)
    {
        foreach (var op in model.Main.Operators)
        {
            if (op.Outputs.Contains(output))
            {
                var source = op.Code.Builtin == BuiltinOperator.DEQUANTIZE ? op.Inputs[0] : null;
                return source is { Type: not TensorType.FLOAT16, Quantization: { IsPerAxis: false, Scale.Length: 1 } q } ? q.Scale[0] : null;
            }
        }
        return null;
    }

    private static int OutputIndex(ModelSession session, string name, int fallback)
    {
        for (var i = 0; i < session.Outputs.Count; i++)
        {
            if (session.Outputs[i].Name == name)
            {
                return i;
            }
        }
        return fallback;
    }

    internal static OutputAgreement CompareSteps(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, float step)
    {
        double max = 0;
        long within = 0, differing = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            // Both sides are k × step (+ the same offset), so a tiny margin absorbs float rounding of the dequantization.
            var steps = Math.Abs((double)actual[i] - expected[i]) / step;
            steps = double.IsNaN(steps) ? double.PositiveInfinity : steps;
            max = Math.Max(max, steps);
            within += steps <= 1.001 ? 1 : 0;
            differing += steps > 0 ? 1 : 0;
        }
        return new OutputAgreement(name, true, actual.Length, max, actual.Length == 0 ? 1 : (double)within / actual.Length, differing);
    }

    internal static OutputAgreement CompareFloats(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double magnitude = 0, maxDiff = 0;
        long differing = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            magnitude = Math.Max(magnitude, Math.Abs(expected[i]));
            var diff = Math.Abs((double)actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, double.IsNaN(diff) ? double.PositiveInfinity : diff);
            differing += diff == 0 ? 0 : 1;
        }
        return new OutputAgreement(name, false, actual.Length, magnitude > 0 ? maxDiff / magnitude : maxDiff, double.NaN, differing);
    }

    internal static float[] Widen(ReadOnlySpan<sbyte> values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }
        return result;
    }

    internal static float[] Widen(ReadOnlySpan<byte> values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }
        return result;
    }

    internal static float[] Widen(ReadOnlySpan<short> values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }
        return result;
    }
}
