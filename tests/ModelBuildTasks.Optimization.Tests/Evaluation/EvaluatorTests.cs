using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.Tests.Data;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Evaluation;

[TestClass]
public sealed class EvaluatorTests
{
    [TestMethod]
    public void A_model_against_itself_is_identical_everywhere()
    {
        var model = EvaluationModels.Mnist();
        var report = Evaluator.Evaluate(model, EvaluationModels.Mnist(), EvaluationModels.Digits(40));

        Assert.AreEqual(40, report.Samples);
        var output = report.Outputs.Single();
        Assert.AreEqual("probabilities", output.Name);
        Assert.AreEqual("SOFTMAX", output.OpType);
        Assert.AreEqual(1.0, output.Cosine, 1e-12);
        Assert.AreEqual(double.PositiveInfinity, output.SqnrDb);
        Assert.AreEqual(0.0, output.Mse);
        Assert.AreEqual(0.0, output.MaxAbsError);
        Assert.AreEqual(1.0, output.Top1Agreement);
        CollectionAssert.AreEquivalent(new[] { "dense_1/relu", "logits" }, report.Layers.Select(l => l.Name).ToArray());
        Assert.IsNotNull(report.Accuracy);
        Assert.AreEqual(report.Accuracy.ReferenceAccuracy, report.Accuracy.CandidateAccuracy);
        Assert.AreEqual(0.0, report.Accuracy.Drop);
    }

    [TestMethod]
    public void Metrics_equal_a_direct_computation_and_the_perturbed_layer_ranks_first()
    {
        var reference = EvaluationModels.Mnist();
        var candidate = EvaluationModels.Perturb(EvaluationModels.Mnist(), "dense_2/kernel", 0.3f);
        var data = EvaluationModels.Digits(30, labeled: false);

        var report = Evaluator.Evaluate(reference, candidate, data);

        // Direct computation from both models' outputs, sample by sample.
        using var r = ModelSession.Load(reference);
        using var c = ModelSession.Load(candidate);
        double signal = 0, noise = 0, cosines = 0, maxAbs = 0;
        var agree = 0;
        foreach (var sample in data.Read())
        {
            sample.Inputs[0].CopyTo(r.GetInputBytes(0));
            sample.Inputs[0].CopyTo(c.GetInputBytes(0));
            r.Run();
            c.Run();
            var a = r.GetOutput<float>(0).ToArray();
            var b = c.GetOutput<float>(0).ToArray();
            double dot = 0, aa = 0, bb = 0;
            for (var i = 0; i < a.Length; i++)
            {
                signal += (double)a[i] * a[i];
                noise += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
                maxAbs = Math.Max(maxAbs, Math.Abs((double)a[i] - b[i]));
                dot += (double)a[i] * b[i];
                aa += (double)a[i] * a[i];
                bb += (double)b[i] * b[i];
            }
            cosines += dot / Math.Sqrt(aa * bb);
            agree += Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max()) ? 1 : 0;
        }
        var output = report.Outputs[0];
        Assert.IsLessThan(1.0, output.Cosine, "the perturbation changes the output");
        Assert.AreEqual(cosines / 30, output.Cosine, 1e-9);
        Assert.AreEqual(10 * Math.Log10(signal / noise), output.SqnrDb, 1e-6);
        Assert.AreEqual(noise / (30 * 10), output.Mse, 1e-12);
        Assert.AreEqual(maxAbs, output.MaxAbsError, 1e-12);
        Assert.AreEqual(agree / 30.0, output.Top1Agreement);

        Assert.AreEqual("logits", report.Layers[0].Name, "the layer computed with the perturbed weights is the worst");
        Assert.AreEqual("FULLY_CONNECTED", report.Layers[0].OpType);
        Assert.IsTrue(double.IsFinite(report.Layers[0].SqnrDb));
        Assert.IsNull(report.Layers[0].Top1Agreement);
        var untouched = report.Layers.Single(l => l.Name == "dense_1/relu");
        Assert.AreEqual(double.PositiveInfinity, untouched.SqnrDb, "layers before the perturbed weights are exact");
        Assert.IsNull(report.Accuracy);
    }

    [TestMethod]
    public void Float16_weights_keep_MNIST_accuracy_and_cosine()
    {
        var reference = EvaluationModels.Mnist();
        var data = EvaluationModels.Digits(250);

        var report = Evaluator.Evaluate(reference, EvaluationModels.Float16(EvaluationModels.Mnist()), data);

        // Reference accuracy counted independently.
        using var session = ModelSession.Load(reference);
        var correct = 0;
        foreach (var sample in data.Read())
        {
            sample.Inputs[0].CopyTo(session.GetInputBytes(0));
            session.Run();
            var p = session.GetOutput<float>(0).ToArray();
            correct += Array.IndexOf(p, p.Max()) == sample.Label ? 1 : 0;
        }
        Assert.IsNotNull(report.Accuracy);
        Assert.AreEqual(correct / 250.0, report.Accuracy.ReferenceAccuracy, 1e-12);
        Assert.IsGreaterThanOrEqualTo(0.93, report.Accuracy.ReferenceAccuracy);
        Assert.IsLessThanOrEqualTo(0.005, Math.Abs(report.Accuracy.Drop));
        Assert.IsGreaterThanOrEqualTo(0.9999, report.MinCosine);
        Assert.IsGreaterThan(40.0, report.MinSqnrDb);
        Assert.AreEqual(2, report.Layers.Count, "DEQUANTIZE of constants is folded at load; both activations compare");
    }

    [TestMethod]
    public void Candidates_with_int8_inputs_get_quantized_samples()
    {
        var report = Evaluator.Evaluate(EvaluationModels.Mnist(), EvaluationModels.Int8Input(EvaluationModels.Mnist()), EvaluationModels.Digits(60));

        // MNIST pixels in [0,1] quantized with scale 1/255: an error of at most 1/510 per pixel.
        Assert.IsGreaterThan(0.999, report.Outputs[0].Cosine);
        Assert.IsGreaterThanOrEqualTo(0.98, report.Outputs[0].Top1Agreement!.Value);
        Assert.IsLessThan(1.0, report.Outputs[0].Cosine, "the candidate saw quantized pixels");
        Assert.AreEqual(2, report.Layers.Count);
    }

    [TestMethod]
    public void Progress_is_reported_per_sample_and_max_samples_is_respected()
    {
        var progress = new Recorder();
        var report = Evaluator.Evaluate(EvaluationModels.Mnist(), EvaluationModels.Mnist(), EvaluationModels.Digits(20),
            new EvaluationOptions { MaxSamples = 7, TopLayers = 1 }, progress);

        Assert.AreEqual(7, report.Samples);
        Assert.AreEqual(1, report.Layers.Count);
        Assert.AreEqual(2, report.LayersCompared);
        CollectionAssert.AreEqual(Enumerable.Range(1, 7).ToArray(), progress.Reports.Select(p => p.Done).ToArray());
        Assert.IsTrue(progress.Reports.All(p => p.Stage == "evaluation" && p.Total == 7));
    }

    [TestMethod]
    public void Evaluates_a_labeled_class_folder_of_npy_digits()
    {
        using var temp = new TempFolder();
        var held = EvaluationModels.HeldOut;
        for (var i = 0; i < held.Count; i += 40)
        {
            TestFiles.WriteNpy(temp.File($"{held.Labels[i]}/{i:D5}.npy"), held.Images[i], 784);
        }
        var model = EvaluationModels.Mnist();
        var data = SampleSources.Open(temp.Path, model);

        var report = Evaluator.Evaluate(model, EvaluationModels.Float16(EvaluationModels.Mnist()), data);

        Assert.AreEqual(data.Count, report.Samples);
        Assert.IsGreaterThanOrEqualTo(0.9, report.Accuracy!.ReferenceAccuracy, "class folder names are the digits' labels");
    }

    [TestMethod]
    public void Unusable_models_and_data_get_coded_errors()
    {
        var model = EvaluationModels.Mnist();

        var twoOutputs = EvaluationModels.Mnist();
        twoOutputs.Main.Outputs.Add(twoOutputs.Main.FindTensor("logits")!);
        Assert.AreEqual(EvaluationErrorCodes.ModelsDoNotMatch,
            Assert.ThrowsExactly<EvaluationException>(() => Evaluator.Evaluate(model, twoOutputs, EvaluationModels.Digits(2))).Code);

        var badLabel = new InMemorySampleSource([new Sample("x", EvaluationModels.Digits(1).Read().First().Inputs, 12)]);
        var e = Assert.ThrowsExactly<EvaluationException>(() => Evaluator.Evaluate(model, model, badLabel));
        Assert.AreEqual(EvaluationErrorCodes.LabelsNotUsable, e.Code);
        StringAssert.Contains(e.Message, "label 12");

        var notClassifier = AddModel([1, 2, 2]);
        var labeled = new InMemorySampleSource([new Sample("x", [new byte[16]], 1)]);
        Assert.AreEqual(EvaluationErrorCodes.LabelsNotUsable,
            Assert.ThrowsExactly<EvaluationException>(() => Evaluator.Evaluate(notClassifier, notClassifier, labeled)).Code);

        Assert.AreEqual(EvaluationErrorCodes.NoSamples,
            Assert.ThrowsExactly<EvaluationException>(() => Evaluator.Evaluate(model, model, new InMemorySampleSource([]))).Code);

        var wrongSize = new InMemorySampleSource([new Sample("short", [new byte[12]])]);
        Assert.AreEqual(DataErrorCodes.ShapeMismatch,
            Assert.ThrowsExactly<DataException>(() => Evaluator.Evaluate(model, model, wrongSize)).Code);

        var unsupported = AddModel([1, 4]);
        unsupported.Main.Operators[0].Code = new OperatorCode(BuiltinOperator.CUSTOM, "NoSuchOp");
        Assert.AreEqual(EvaluationErrorCodes.ModelNotRunnable,
            Assert.ThrowsExactly<EvaluationException>(() => Evaluator.Evaluate(unsupported, unsupported, EvaluationModels.Digits(1))).Code);
    }

    [TestMethod]
    [DoNotParallelize]
    public void Memory_does_not_grow_with_the_number_of_samples()
    {
        var model = EvaluationModels.Mnist();
        var candidate = EvaluationModels.Perturb(EvaluationModels.Mnist(), "dense_1/kernel", 0.1f);
        long liveAt100 = 0, liveAt900 = 0;
        var progress = new Recorder(null, p =>
        {
            if (p.Done == 100)
            {
                liveAt100 = GC.GetTotalMemory(forceFullCollection: true);
            }
            else if (p.Done == 900)
            {
                liveAt900 = GC.GetTotalMemory(forceFullCollection: true);
            }
        });

        var report = Evaluator.Evaluate(model, candidate, new GeneratedDigits(1000), null, progress);

        Assert.AreEqual(1000, report.Samples);
        // 800 samples of 3 KB evaluated between the two points: keeping them (or per-sample metrics) would add > 2.4 MB.
        Assert.IsLessThan(256 * 1024, liveAt900 - liveAt100, $"live memory grew from {liveAt100} to {liveAt900} bytes");
    }

    [TestMethod]
    public void Cancellation_stops_the_evaluation()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new Recorder(() => cancel.Cancel());
        var model = EvaluationModels.Mnist();

        Assert.ThrowsExactly<OperationCanceledException>(() =>
            Evaluator.Evaluate(model, model, EvaluationModels.Digits(50), null, progress, cancel.Token));
        Assert.HasCount(1, progress.Reports, "stopped right after the sample during which it was cancelled");
    }

    [TestMethod]
    public void Without_per_layer_comparison_only_outputs_are_reported()
    {
        var report = Evaluator.Evaluate(EvaluationModels.Mnist(), EvaluationModels.Float16(EvaluationModels.Mnist()),
            EvaluationModels.Digits(5), new EvaluationOptions { PerLayer = false });

        Assert.IsEmpty(report.Layers);
        Assert.HasCount(1, report.Outputs);
        Assert.AreEqual(5, report.Samples);
    }

    [TestMethod]
    [DataRow(new[] { 10 }, true)]
    [DataRow(new[] { 1, 10 }, true)]
    [DataRow(new[] { 1, 1, 2 }, true)]
    [DataRow(new[] { 1, 1 }, false)]
    [DataRow(new[] { 2, 10 }, false)]
    [DataRow(new[] { 1, 4, 4, 3 }, false)]
    public void Classifier_shaped_outputs(int[] shape, bool expected) =>
        Assert.AreEqual(expected, Evaluator.IsClassifierShaped(shape));

    private static ModelGraph AddModel(int[] shape)
    {
        var model = new ModelGraph();
        var main = new Subgraph { Name = "main" };
        model.Subgraphs.Add(main);
        var x = main.AddTensor(new Tensor("x", TensorType.FLOAT32, shape));
        var count = (int)TensorTypes.ElementCount(shape);
        var w = main.AddTensor(new Tensor("w", TensorType.FLOAT32, shape) { Data = MemoryMarshal.AsBytes(new float[count].AsSpan()).ToArray() });
        var y = main.AddTensor(new Tensor("y", TensorType.FLOAT32, shape));
        var add = new Operator(new OperatorCode(BuiltinOperator.ADD)) { Options = BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()) };
        add.Inputs.AddRange([x, w]);
        add.Outputs.Add(y);
        main.Operators.Add(add);
        main.Inputs.Add(x);
        main.Outputs.Add(y);
        return model;
    }

    private sealed class Recorder(Action? onReport = null, Action<OptimizationProgress>? inspect = null) : IProgress<OptimizationProgress>
    {
        public List<OptimizationProgress> Reports { get; } = [];

        public void Report(OptimizationProgress value)
        {
            if (inspect is null)
            {
                Reports.Add(value);
            }
            onReport?.Invoke();
            inspect?.Invoke(value);
        }
    }

    /// <summary>Held-out digits cycled and made on the fly: nothing of the data set is held in memory.</summary>
    private sealed class GeneratedDigits(int count) : ISampleSource
    {
        public string Description => "generated digits";

        public int? Count => count;

        public IEnumerable<Sample> Read(CancellationToken cancellationToken = default)
        {
            var held = EvaluationModels.HeldOut;
            for (var i = 0; i < count; i++)
            {
                var k = i * 7 % held.Count;
                yield return new Sample($"{i}", [MemoryMarshal.AsBytes(held.Images[k].AsSpan()).ToArray()], held.Labels[k]);
            }
        }
    }
}
