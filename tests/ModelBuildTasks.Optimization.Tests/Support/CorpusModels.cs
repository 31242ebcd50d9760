using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Support;

/// <summary>Data rows and cached reads of the corpus models (each model is read once per test run).</summary>
internal static class CorpusModels
{
    private static readonly Dictionary<string, Lazy<ModelGraph>> Float32Forms = [];

    public static IEnumerable<object[]> Names => Corpus.Models.Select(m => new object[] { m.Name });

    public static ModelGraph Read(string name) => ModelReader.ReadFile(Corpus.GetPath(name));

    /// <summary>The float32 form of a corpus model (weights dequantized), shared read-only by tests.</summary>
    public static ModelGraph Float32(string name)
    {
        Lazy<ModelGraph> lazy;
        lock (Float32Forms)
        {
            if (!Float32Forms.TryGetValue(name, out lazy!))
            {
                lazy = new Lazy<ModelGraph>(() => Optimizer.Optimize(Read(name), OptimizationOptions.For(Optimization.Float32)).Model);
                Float32Forms[name] = lazy;
            }
        }
        return lazy.Value;
    }
}
