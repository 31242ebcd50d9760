using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Pruning;

/// <summary>
/// Shared checks for pruned, clustered and sparse models: write to a temp file, run in the LiteRT oracle on seeded
/// inputs, run the same inputs through our runtime and compare (tolerance relative to each output's largest magnitude,
/// as LiteRT's own builds differ by up to 1.7e-4 of it).
/// </summary>
internal static class ModelChecks
{
    public const double RuntimeTolerance = 5e-4;

    /// <summary>Writes the model to a fresh temp file and returns its path (the caller deletes it).</summary>
    public static string WriteTemp(ModelGraph model)
    {
        var path = Path.Combine(Path.GetTempPath(), "mbt-prune-" + Guid.NewGuid().ToString("N") + ".tflite");
        ModelWriter.WriteFile(model, path);
        return path;
    }

    /// <summary>Runs the model in the oracle and in ModelSession on seeded inputs in 0..1; asserts they agree; returns the oracle outputs.</summary>
    public static IReadOnlyList<float[]> RunBothAndCompare(ModelGraph model, int seed = 1)
    {
        var path = WriteTemp(model);
        try
        {
            var oracle = Oracle.RunSeeded(path, seed);
            using var session = ModelSession.Load(path);
            for (var i = 0; i < oracle.Inputs.Count; i++)
            {
                oracle.Inputs[i].CopyTo(session.GetInputBytes(i));
            }
            session.Run();
            var outputs = new List<float[]>();
            for (var o = 0; o < oracle.Outputs.Count; o++)
            {
                var expected = oracle.Outputs[o].AsFloats();
                var actual = session.GetOutput<float>(o).ToArray();
                Assert.HasCount(expected.Length, actual, $"output {o} size");
                var scale = Math.Max(1e-6, expected.Max(v => Math.Abs(v)));
                var worst = 0.0;
                for (var k = 0; k < expected.Length; k++)
                {
                    worst = Math.Max(worst, Math.Abs(expected[k] - actual[k]) / scale);
                }
                Assert.IsLessThan(RuntimeTolerance, worst, $"output {o}: our runtime differs from LiteRT by {worst:E2} of max |y|");
                outputs.Add(expected);
            }
            return outputs;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Smallest cosine similarity over the outputs.</summary>
    public static double MinCosine(IReadOnlyList<float[]> reference, IReadOnlyList<float[]> candidate)
    {
        var min = 1.0;
        for (var o = 0; o < reference.Count; o++)
        {
            double dot = 0, a = 0, b = 0;
            for (var i = 0; i < reference[o].Length; i++)
            {
                dot += (double)reference[o][i] * candidate[o][i];
                a += (double)reference[o][i] * reference[o][i];
                b += (double)candidate[o][i] * candidate[o][i];
            }
            min = Math.Min(min, a == 0 && b == 0 ? 1 : dot / Math.Sqrt(a * b));
        }
        return min;
    }

    /// <summary>The real values of a weight constant (dense, sparse through our decoder; float32, float16 or int8).</summary>
    public static float[] Values(Tensor t) => ModelBuildTasks.Optimization.Pruning.WeightValues.Read(t);

    /// <summary>Constants of the model by name (first subgraph).</summary>
    public static Dictionary<string, Tensor> Constants(ModelGraph model) =>
        model.Main.Tensors.Where(t => t.IsConstant).GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First());
}
