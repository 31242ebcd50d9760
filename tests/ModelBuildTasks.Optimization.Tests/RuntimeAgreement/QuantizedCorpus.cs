using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Tests.Support;

namespace ModelBuildTasks.Optimization.Tests.RuntimeAgreement;

/// <summary>Corpus models quantized once per test run and shared (read-only) by the agreement tests.</summary>
internal static class QuantizedCorpus
{
    /// <summary>The schemes of issue #4 that the runtime must execute like LiteRT.</summary>
    public static readonly Optimization[] Schemes = [Optimization.Float16, Optimization.Dynamic, Optimization.Int8, Optimization.Int16x8];

    private static readonly Dictionary<(string, Optimization), Lazy<(ModelGraph Model, byte[] Bytes)>> Cache = [];

    /// <summary>Calibration samples: few, since agreement (not fidelity) is measured, but enough to give every tensor a range.</summary>
    public static int CalibrationSamples(string name) => name == "pose_landmark_heavy" ? 1 : 3;

    public static (ModelGraph Model, byte[] Bytes) Get(string name, Optimization scheme)
    {
        Lazy<(ModelGraph, byte[])> lazy;
        lock (Cache)
        {
            if (!Cache.TryGetValue((name, scheme), out lazy!))
            {
                lazy = new Lazy<(ModelGraph, byte[])>(() => Quantize(name, scheme));
                Cache[(name, scheme)] = lazy;
            }
        }
        return lazy.Value;
    }

    private static (ModelGraph, byte[]) Quantize(string name, Optimization scheme)
    {
        var float32 = CorpusModels.Float32(name);
        var data = Samples.Seeded(float32, CalibrationSamples(name));
        var model = Optimizer.Optimize(CorpusModels.Read(name), OptimizationOptions.For(scheme), data).Model;
        var bytes = ModelWriter.ToBytes(model);
        // The runtime and the comparison read the model as LiteRT does: from the written bytes.
        return (ModelReader.Read(bytes, $"{name}.{scheme}.tflite"), bytes);
    }
}
