using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Evaluation;

namespace ModelBuildTasks.Optimization.Auto;

/// <summary>One candidate of the search, as the trail records it.</summary>
/// <param name="Index">1-based position in the trail.</param>
/// <param name="Config">The configuration, described (<see cref="AutoConfig.Describe"/>).</param>
/// <param name="Bytes">File size (0 when the candidate could not be built).</param>
/// <param name="GzipBytes">gzip-compressed file size.</param>
/// <param name="MinCosine">Lowest output cosine; null when not evaluated.</param>
/// <param name="MinSqnrDb">Lowest output SQNR in dB; null when not evaluated.</param>
/// <param name="AccuracyDrop">Top-1 accuracy drop against labels; null when not evaluated or unlabeled.</param>
/// <param name="Evaluated">True when the candidate was run over the evaluation data (counts toward the cap).</param>
/// <param name="Accepted">True for the chosen candidate.</param>
/// <param name="Verdict">Why it was accepted or not, e.g. "MinCosine: … short of 0.999".</param>
/// <param name="ElapsedMs">Time spent building and evaluating it.</param>
public sealed record AutoCandidate(
    int Index, string Config, long Bytes, long GzipBytes, double? MinCosine, double? MinSqnrDb, double? AccuracyDrop,
    bool Evaluated, bool Accepted, string Verdict, long ElapsedMs);

/// <summary>What <see cref="AutoOptimizer.Search"/> found.</summary>
public sealed class AutoResult
{
    internal AutoResult(ModelGraph model, byte[] bytes, AutoConfig config, OptimizationResult optimization, EvaluationReport? evaluation,
        IReadOnlyList<AutoCandidate> trail, int evaluations, bool capped, TimeSpan elapsed, string recipeJson)
    {
        Model = model;
        Bytes = bytes;
        Config = config;
        Optimization = optimization;
        Evaluation = evaluation;
        Trail = trail;
        Evaluations = evaluations;
        Capped = capped;
        Elapsed = elapsed;
        RecipeJson = recipeJson;
    }

    /// <summary>The chosen model.</summary>
    public ModelGraph Model { get; }

    /// <summary>The chosen model as written (what the size budgets were checked on).</summary>
    public byte[] Bytes { get; }

    /// <summary>The chosen configuration.</summary>
    public AutoConfig Config { get; }

    /// <summary>What the optimizer did for the chosen configuration (before pruning's sparse encoding or clustering).</summary>
    public OptimizationResult Optimization { get; }

    /// <summary>The chosen model's evaluation against the original (null when no budget needed one).</summary>
    public EvaluationReport? Evaluation { get; }

    /// <summary>Every candidate in the order tried.</summary>
    public IReadOnlyList<AutoCandidate> Trail { get; }

    /// <summary>Evaluations run.</summary>
    public int Evaluations { get; }

    /// <summary>True when the search stopped at <see cref="AutoOptions.MaxEvaluations"/>.</summary>
    public bool Capped { get; }

    /// <summary>Wall time of the search.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The chosen configuration as a recipe file (<see cref="AutoRecipe"/>): check it in to pin the choice.</summary>
    public string RecipeJson { get; }
}
