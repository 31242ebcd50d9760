using System.Diagnostics;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Evaluation;

[TestClass]
public sealed class CorpusEvaluationTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Per_layer_report_on_a_real_model_points_at_the_perturbed_convolution()
    {
        var path = Corpus.GetPath("face_detection_short_range");
        var reference = ModelReader.ReadFile(path);
        var candidate = ModelReader.ReadFile(path);

        // Perturb the float16 weights of one CONV_2D in the middle of the graph (read through DEQUANTIZE).
        var ops = candidate.Main.Operators;
        var convs = ops.Where(o => o.Code.Builtin == BuiltinOperator.CONV_2D).ToList();
        var conv = convs[convs.Count / 2];
        var weights = ops.Single(o => o.Code.Builtin == BuiltinOperator.DEQUANTIZE && o.Outputs[0] == conv.Inputs[1]).Inputs[0]!;
        Assert.AreEqual(TensorType.FLOAT16, weights.Type);
        var halves = MemoryMarshal.Cast<byte, Half>(weights.Data.Span).ToArray();
        var random = new Random(11);
        for (var i = 0; i < halves.Length; i++)
        {
            halves[i] = (Half)((float)halves[i] * (1 + 0.2f * (float)(random.NextDouble() * 2 - 1)));
        }
        weights.Data = MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
        var perturbed = conv.Outputs[0]!.Name;

        var inputs = reference.Main.Inputs;
        var samples = Enumerable.Range(0, 3).Select(seed => new Sample($"seed{seed}",
            SeededInputs.Generate(seed, inputs.Select(t => ("float32", t.ElementCount)).ToList(), -1, 1).ToList())).ToList();

        var clock = Stopwatch.StartNew();
        var report = Evaluator.Evaluate(reference, candidate, new InMemorySampleSource(samples), new EvaluationOptions { TopLayers = 0 });
        TestContext.WriteLine($"face_detection_short_range: 3 samples, {report.Layers.Count} layers compared in {clock.ElapsedMilliseconds} ms");

        // Every activation the graph writes, outputs and constant-folded DEQUANTIZE results excluded, is compared.
        var outputs = reference.Main.Outputs.ToHashSet();
        var expectedLayers = reference.Main.Operators
            .Where(o => o.Code.Builtin != BuiltinOperator.DEQUANTIZE)
            .SelectMany(o => o.Outputs).Count(t => t is not null && !outputs.Contains(t));
        Assert.AreEqual(expectedLayers, report.Layers.Count);

        // Layers computed before the perturbed convolution are exact; the convolution's own output is affected.
        var position = ops.IndexOf(conv);
        var before = ops.Take(position).Where(o => o.Code.Builtin != BuiltinOperator.DEQUANTIZE)
            .SelectMany(o => o.Outputs).Select(t => t!.Name).ToHashSet();
        Assert.IsTrue(report.Layers.Where(l => before.Contains(l.Name)).All(l => double.IsPositiveInfinity(l.SqnrDb)));
        var hit = report.Layers.Single(l => l.Name == perturbed);
        Assert.IsTrue(double.IsFinite(hit.SqnrDb) && hit.Cosine < 1, $"{perturbed}: {hit}");
        for (var i = 1; i < report.Layers.Count; i++)
        {
            Assert.IsLessThanOrEqualTo(report.Layers[i].SqnrDb, report.Layers[i - 1].SqnrDb, "ranked worst (lowest SQNR) first");
        }
        Assert.IsTrue(report.Outputs.All(o => o.Cosine < 1 && o.Cosine > 0.9), string.Join("; ", report.Outputs));
    }
}
