using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Tasks.Locations;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>Builds model cards from an item's settings and what the engine produced.</summary>
public static class CardFactory
{
    /// <summary>A card. <paramref name="described"/> is the model whose tensors the card lists (the optimized one when there is one).</summary>
    public static ModelCard Create(
        ModelItemSettings settings,
        ItemLocation location,
        string toolVersion,
        ModelGraph described,
        CardFile original,
        CardFile? optimized,
        CardMetrics? metrics,
        long? baselineBytes)
    {
        return new ModelCard
        {
            ToolVersion = toolVersion,
            Item = new CardItem { Include = settings.Include, ProjectFile = location.File, Line = location.Line, Column = location.Column },
            Name = settings.Name,
            ClassName = settings.ClassName,
            Namespace = settings.Namespace,
            GenerateWrapper = settings.GenerateWrapper,
            Deploy = settings.Deploy,
            DeployedFile = settings.DeployedFile,
            ResourceName = settings.ResourceName,
            Optimization = settings.Optimization,
            Target = settings.Target,
            Original = original,
            Optimized = optimized,
            Signatures = ModelDescriber.Signatures(described),
            Metrics = metrics,
            Budgets = new CardBudgets
            {
                MaxSize = settings.MaxSize,
                MaxCompressedSize = settings.MaxCompressedSize,
                MaxAccuracyDrop = settings.MaxAccuracyDrop,
                MinCosine = settings.MinCosine,
                MinSqnrDb = settings.MinSqnrDb,
                BaselineBytes = baselineBytes,
                MaxSizeGrowth = settings.MaxSizeGrowth,
                Severity = settings.BudgetSeverity,
            },
            TfliteMetadata = ModelDescriber.Metadata(described),
        };
    }

    /// <summary>The card's fidelity figures from an evaluation.</summary>
    public static CardMetrics Metrics(EvaluationReport report, string dataSource)
    {
        return new CardMetrics
        {
            Samples = report.Samples,
            DataSource = dataSource,
            MinCosine = Finite(report.MinCosine),
            MinSqnrDb = Sqnr(report.MinSqnrDb),
            AccuracyDrop = report.Accuracy?.Drop,
            ReferenceAccuracy = report.Accuracy?.ReferenceAccuracy,
            CandidateAccuracy = report.Accuracy?.CandidateAccuracy,
            Outputs = report.Outputs.Select(o => new CardOutputMetrics
            {
                Name = o.Name,
                Cosine = Finite(o.Cosine),
                SqnrDb = Sqnr(o.SqnrDb),
                Mse = Finite(o.Mse),
                MaxAbsError = Finite(o.MaxAbsError),
                Top1Agreement = o.Top1Agreement,
            }).ToList(),
        };
    }

    /// <summary>JSON has no infinities: identical outputs (SQNR +∞) are written as the documented ceiling.</summary>
    private static double Sqnr(double value) => double.IsNaN(value) ? 0 : Math.Min(value, CardMetrics.SqnrCeilingDb);

    /// <summary>JSON has no NaN or infinities.</summary>
    private static double Finite(double value) => double.IsNaN(value) ? 0 : Math.Clamp(value, double.MinValue, double.MaxValue);
}
