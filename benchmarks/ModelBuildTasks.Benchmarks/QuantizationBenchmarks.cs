using BenchmarkDotNet.Attributes;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.TestSupport;
using OptimizationKind = ModelBuildTasks.Optimization.Optimization;

namespace ModelBuildTasks.Benchmarks;

/// <summary>
/// The data-free passes on pose_landmark_heavy dequantized to float32 (55 MB of weights); target well under a second.
/// MB/s = 55.0 / mean seconds (the float32 weight bytes the pass reads).
/// </summary>
[MemoryDiagnoser]
public class QuantizationBenchmarks
{
    private ModelGraph _original = null!;
    private ModelGraph _float32 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _original = ModelReader.ReadFile(Corpus.GetPath("pose_landmark_heavy"));
        _float32 = Optimizer.Optimize(_original, OptimizationOptions.For(OptimizationKind.Float32)).Model;
    }

    [Benchmark]
    public ModelGraph Float16() => Optimizer.Optimize(_float32, OptimizationOptions.For(OptimizationKind.Float16)).Model;

    [Benchmark]
    public ModelGraph DynamicRange() => Optimizer.Optimize(_float32, OptimizationOptions.For(OptimizationKind.Dynamic)).Model;

    /// <summary>The float32 pass itself (float16 → float32 of every weight), the first step of every quantization.</summary>
    [Benchmark]
    public ModelGraph DequantizeToFloat32() => Optimizer.Optimize(_original, OptimizationOptions.For(OptimizationKind.Float32)).Model;
}
