using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.Reporting.Report;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Report;

/// <summary>One real report, built once: an auto search on a small corpus model with a cosine budget, fully evaluated.</summary>
internal static class ReportFixture
{
    public const string ModelName = "face_detection_short_range";

    private static readonly Lazy<(OptimizationReport Report, byte[] Original, byte[] Optimized)> Built = new(Build);

    public static OptimizationReport Report => Built.Value.Report;

    public static byte[] OriginalBytes => Built.Value.Original;

    public static byte[] OptimizedBytes => Built.Value.Optimized;

    private static (OptimizationReport, byte[], byte[]) Build()
    {
        var path = Corpus.GetPath(ModelName);
        var bytes = File.ReadAllBytes(path);
        var model = ModelReader.Read(bytes, path);
        var budgets = new AutoBudgets { MinCosine = 0.999, MaxSize = 1_000_000 };
        var auto = AutoOptimizer.Search(model, new AutoOptions { Budgets = budgets }, Samples.Seeded(model, 8), Samples.Seeded(model, 4, firstSeed: 200));
        var evaluation = Evaluator.Evaluate(model, auto.Model, Samples.Seeded(model, 4, firstSeed: 200), new EvaluationOptions { TopLayers = 15 });
        var report = ReportBuilder.Create(new ReportInputs
        {
            Original = model, OriginalBytes = bytes, OriginalName = Path.GetFileName(path),
            Optimized = auto.Model, OptimizedBytes = auto.Bytes, OptimizedName = "auto.tflite",
            Options = auto.Optimization.Options, Evaluation = evaluation, Auto = auto, Budgets = budgets,
            Timings = [new StageTiming("search", 1234)],
        });
        return (report, bytes, auto.Bytes);
    }
}
