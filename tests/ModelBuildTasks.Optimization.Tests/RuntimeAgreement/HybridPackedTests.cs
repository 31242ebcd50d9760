using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.Runtime.Compute.Quantized;
using ModelBuildTasks.Runtime.Kernels.Quantized;

namespace ModelBuildTasks.Optimization.Tests.RuntimeAgreement;

/// <summary>
/// Dynamic-range corpus models with the hybrid kernels on the packed GEMMs (VNNI and int16 pairs, two threads)
/// against the per-channel loops they replaced: every hybrid layer's output must be the same bits, since the
/// agreement with LiteRT was established on the per-channel arithmetic.
/// </summary>
[TestClass]
public sealed class HybridPackedTests
{
    [TestMethod]
    [DataRow("face_detection_short_range")]
    [DataRow("hand_landmark_lite")]
    public void EveryHybridLayerHasTheSameBitsAsThePerChannelLoops(string name)
    {
        var (_, bytes) = QuantizedCorpus.Get(name, Optimization.Dynamic);
        var inputs = Samples.Seeded(CorpusModels.Float32(name), 1, 1234).Read().Single().Inputs;
        var reference = Layers(bytes, inputs, null);
        Assert.IsGreaterThan(5, reference.Count, $"{name}: hybrid layers");
        // Pointwise (per-pixel quantization) and larger kernels (per-image quantization) both take part.
        Assert.IsTrue(reference.Keys.Any(k => k.Kernel == "1x1") && reference.Keys.Any(k => k.Kernel != "1x1"), string.Join(", ", reference.Keys));
        foreach (var path in new[] { Int8DotPath.Vnni, Int8DotPath.Int16Pairs })
        {
            var packed = Layers(bytes, inputs, path);
            Assert.HasCount(reference.Count, packed);
            foreach (var (layer, expected) in reference)
            {
                CollectionAssert.AreEqual(expected, packed[layer], $"{name} operator {layer.Operator} ({layer.Kernel}) on {path}");
            }
        }
    }

    /// <summary>Every hybrid layer's output bytes, with kernels built for <paramref name="path"/> (null: the per-channel loops).</summary>
    private static Dictionary<(int Operator, string Kernel), byte[]> Layers(byte[] bytes, IReadOnlyList<byte[]> inputs, Int8DotPath? path)
    {
        CompiledModel model;
        using (path is null ? HybridPaths.ForcePerChannel() : Int8DotPaths.Force(path.Value))
        {
            model = CompiledModel.Load(bytes);
        }
        var kinds = new Dictionary<int, string>();
        foreach (var step in model.Steps)
        {
            switch (step.Kernel)
            {
                case HybridConv2D conv:
                    Assert.AreEqual(path, conv.DotPath);
                    kinds[step.OperatorIndex] = conv.IsPointwise ? "1x1" : "conv";
                    break;
                case HybridFullyConnected fc:
                    Assert.AreEqual(path, fc.DotPath);
                    kinds[step.OperatorIndex] = "fc";
                    break;
            }
        }
        using var session = new ModelSession(model, new SessionOptions { Threads = 2 });
        for (var i = 0; i < inputs.Count; i++)
        {
            inputs[i].CopyTo(session.GetInputBytes(i));
        }
        var observer = new Collector(kinds);
        session.Observer = observer;
        session.Run();
        return observer.Outputs;
    }

    private sealed class Collector(Dictionary<int, string> kinds) : IOperatorObserver
    {
        public Dictionary<(int Operator, string Kernel), byte[]> Outputs { get; } = [];

        public void OnOperatorExecuted(in ObservedOperator op)
        {
            if (kinds.TryGetValue(op.OperatorIndex, out var kind))
            {
                Outputs[(op.OperatorIndex, kind)] = op.GetOutputBytes(0).ToArray();
            }
        }
    }
}
