using System.Diagnostics;
using System.IO.Compression;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Reporting;
using ModelBuildTasks.Optimization.Sparsity;

namespace ModelBuildTasks.Optimization.Auto;

/// <summary>
/// <c>Optimization="auto"</c>: finds the smallest model that meets the budgets. It follows the LiteRT guide's decision
/// tree: the target's schemes in order (cpu: int8 → 16x8 → dynamic → float16); when a quantized model misses an
/// accuracy budget, the layers that add the most error move to 16x8 (or float, from a 16x8 or dynamic model) — 1, 2, 4, … layers,
/// then bisection down to the fewest that meet the budget; when the best accurate model is still over a size budget,
/// pruning and clustering levels. A candidate that cannot beat the best so far on size is not evaluated. The search is
/// deterministic (same inputs, same model bytes) and bounded by <see cref="AutoOptions.MaxEvaluations"/>.
/// </summary>
public static class AutoOptimizer
{
    /// <summary>Pruning levels tried, mildest first.</summary>
    private static readonly double[] SparsityLevels = [0.1, 0.25, 0.5, 0.75];

    /// <summary>Cluster counts tried, mildest first.</summary>
    private static readonly int[] ClusterLevels = [256, 64, 16];

    /// <summary>Searches for the smallest model of <paramref name="model"/> meeting <see cref="AutoOptions.Budgets"/>.</summary>
    /// <param name="model">The model to optimize (left unchanged; also the reference the fidelity is measured against).</param>
    /// <param name="options">Budgets, target, shared settings and the evaluation cap.</param>
    /// <param name="representativeData">Calibration samples for the full-integer candidates (without them only dynamic and float16 are tried).</param>
    /// <param name="evaluationData">Samples the candidates are compared on (labeled for <see cref="AutoBudgets.MaxAccuracyDrop"/>).</param>
    /// <param name="progress">Receives stage <c>auto</c> (evaluations done of the cap) and the inner calibration/evaluation progress.</param>
    /// <param name="cancellationToken">Stops the search promptly.</param>
    /// <exception cref="AutoSearchException">No budget, unusable options (MBT2202), or no candidate meets the budgets (MBT2201).</exception>
    public static AutoResult Search(
        ModelGraph model,
        AutoOptions options,
        ISampleSource? representativeData,
        ISampleSource? evaluationData,
        IProgress<OptimizationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var budgets = options.Budgets;
        string? problem =
            !budgets.Any ? "auto needs at least one budget (MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine or MinSqnr)"
            : budgets.NeedsEvaluation && evaluationData is null ? "accuracy budgets need evaluation data (--eval-data)"
            : options.MaxEvaluations < 1 ? $"MaxEvaluations must be at least 1 (got {options.MaxEvaluations})"
            : budgets.MinCosine is { } c && (c > 1 || double.IsNaN(c)) ? $"MinCosine must be at most 1 (got {c})"
            : budgets.MaxAccuracyDrop is { } d && (d < 0 || double.IsNaN(d)) ? $"MaxAccuracyDrop must not be negative (got {d})"
            : budgets.MaxSize is <= 0 || budgets.MaxCompressedSize is <= 0 ? "size budgets must be positive"
            : null;
        if (problem is not null)
        {
            throw new AutoSearchException(AutoErrorCodes.InvalidAutoOptions, problem);
        }
        return new SearchRun(model, options, representativeData, evaluationData, progress, cancellationToken).Run();
    }

    /// <summary>One built (and maybe evaluated) candidate.</summary>
    private sealed record Built(AutoConfig Config, int TrailIndex, OptimizationResult? Result, ModelGraph? Model, byte[] Bytes, long Gzip,
        EvaluationReport? Evaluation, IReadOnlyList<BudgetMiss> Misses)
    {
        public bool Failed => Result is null;

        public bool MeetsAll => !Failed && Misses.Count == 0;

        public bool MeetsAccuracy => !Failed && Misses.All(m => m.Budget is "MaxSize" or "MaxCompressedSize");
    }

    private sealed class SearchRun(ModelGraph model, AutoOptions options, ISampleSource? representative, ISampleSource? evaluation,
        IProgress<OptimizationProgress>? progress, CancellationToken ct)
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly List<AutoCandidate> trail = [];
        private readonly Dictionary<string, Built> cache = new(StringComparer.Ordinal);
        private readonly Dictionary<double, ModelGraph> pruned = [];
        private Built? best;
        private int evaluations;
        private bool capped;

        private AutoBudgets Budgets => options.Budgets;

        public AutoResult Run()
        {
            // 1. The target's plain schemes, in the guide's order (those that cannot beat the best so far are only sized).
            var plains = new List<Built>();
            foreach (var scheme in options.Schemes ?? AutoOptions.SchemesFor(options.Target))
            {
                var fullInteger = scheme is Optimization.Int8 or Optimization.Int16x8;
                if (fullInteger && representative is null)
                {
                    Record(AutoConfig.Plain(scheme), 0, 0, null, false, "not tried: needs representative data", 0);
                    continue;
                }
                var mixable = fullInteger || scheme == Optimization.Dynamic;
                if (Try(AutoConfig.Plain(scheme), perLayer: mixable && Budgets.NeedsEvaluation, force: false) is { } plain)
                {
                    plains.Add(plain);
                }
            }

            // 2. Mixed precision from a quantized model that misses only accuracy and is smaller than the best so far,
            //    smallest first (a mix is about as large as its plain model, so the smallest mix that passes wins).
            foreach (var plain in plains.OrderBy(p => p.Bytes.Length).ThenBy(p => p.TrailIndex))
            {
                // int8 with every layer at 16x8 is the plain 16x8 model: when that misses too, no int8 mix can pass.
                var sixteenMisses = plain.Config.Scheme == Optimization.Int8 &&
                    plains.Any(p => p.Config.Scheme == Optimization.Int16x8 && p is { Failed: false, Evaluation: not null, MeetsAccuracy: false });
                if (!sixteenMisses && plain is { Failed: false, Evaluation: not null, MeetsAccuracy: false } &&
                    plain.Config.Scheme is Optimization.Int8 or Optimization.Int16x8 or Optimization.Dynamic &&
                    (best is null || plain.Bytes.Length < best.Bytes.Length))
                {
                    MixedPrecision(plain);
                }
            }

            // 3. Still over a size budget: pruning and clustering.
            if (best is null && options.AllowPruningAndClustering)
            {
                ShrinkFurther();
            }
            if (best is null)
            {
                throw NoCandidate();
            }
            return Finish(best);
        }

        /// <summary>
        /// Moves the layers adding the most error to higher precision (int8 → 16x8; 16x8 and dynamic → float): 1, 2, 4, …
        /// then bisection to the fewest that pass.
        /// </summary>
        private void MixedPrecision(Built plain)
        {
            var ranked = LayerRanking.Rank(model, plain.Evaluation!, weightedOnly: plain.Config.Scheme == Optimization.Dynamic);
            if (ranked.Count == 0)
            {
                return;
            }
            var layerScheme = plain.Config.Scheme == Optimization.Int8 ? QuantizationScheme.Int16x8 : QuantizationScheme.None;
            Built? Moved(int k, bool force) => Try(plain.Config with { Layers = ranked.Take(k).ToList(), LayerScheme = layerScheme }, perLayer: false, force);

            int failing = 0, passing = -1;
            for (var k = 1; ; k = Math.Min(ranked.Count, k * 2))
            {
                // More layers at higher precision only grow the model: stop once it cannot beat the best so far.
                var r = Moved(k, force: false);
                if (r is null || r.Failed || r.Evaluation is null)
                {
                    return;
                }
                if (r.MeetsAccuracy)
                {
                    passing = k;
                    break;
                }
                failing = k;
                if (k == ranked.Count)
                {
                    return;
                }
            }
            while (passing - failing > 1)
            {
                var mid = (failing + passing) / 2;
                var r = Moved(mid, force: true);
                if (r is null || r.Failed)
                {
                    return;
                }
                if (r.MeetsAccuracy)
                {
                    passing = mid;
                }
                else
                {
                    failing = mid;
                }
            }
        }

        /// <summary>The smallest accurate candidate is over a size budget: pruning (raw size) and clustering (compressed size) levels.</summary>
        private void ShrinkFurther()
        {
            // Seeds: the accurate candidates, smallest first by the size that is over (gzip when the compressed budget is
            // missed, else raw); the two smallest are tried, each through the levels, mildest first.
            var accurate = cache.Values.Where(b => b.MeetsAccuracy && b.Config.Sparsity == 0 && b.Config.Clusters == 0).ToList();
            var compressed = accurate.Any(b => b.Misses.Any(m => m.Budget == "MaxCompressedSize"));
            var seeds = accurate
                .OrderBy(b => compressed ? b.Gzip : b.Bytes.Length)
                .ThenBy(b => b.TrailIndex)
                .Take(2)
                .ToList();
            foreach (var seed in seeds)
            {
                var levels = new List<AutoConfig>();
                if (compressed)
                {
                    levels.AddRange(ClusterLevels.Select(k => seed.Config with { Clusters = k }));
                }
                levels.AddRange(SparsityLevels.Select(s => seed.Config with { Sparsity = s }));
                foreach (var config in levels)
                {
                    if (Try(config, perLayer: false, force: true) is null || best is not null)
                    {
                        return;
                    }
                }
            }
        }

        /// <summary>Builds, sizes and evaluates a configuration; null when the evaluation cap stops the search.</summary>
        private Built? Try(AutoConfig config, bool perLayer, bool force)
        {
            ct.ThrowIfCancellationRequested();
            if (cache.TryGetValue(config.Key, out var cached))
            {
                return cached;
            }
            if (Budgets.NeedsEvaluation && evaluations >= options.MaxEvaluations)
            {
                capped = true;
                Record(config, 0, 0, null, false, $"not tried: the cap of {options.MaxEvaluations} evaluations is reached", 0);
                return null;
            }
            var watch = Stopwatch.StartNew();
            OptimizationResult result;
            ModelGraph final;
            try
            {
                var source = config.Sparsity > 0 ? Pruned(config.Sparsity) : model;
                var candidateOptions = options.Base with
                {
                    Optimization = config.Scheme,
                    Target = options.Target,
                    Rules = [.. options.Base.Rules, .. config.Rules()],
                };
                result = Optimizer.Optimize(source, candidateOptions, representative, progress, ct);
                final = result.Model;
                if (config.Clusters > 0)
                {
                    final = WeightClusterer.Cluster(final, new ClusteringOptions { ClusterCount = config.Clusters }).Model;
                }
                if (config.Sparsity > 0)
                {
                    final = SparseEncoder.Encode(final, new SparseEncodingOptions { StoreInt8Sparse = true }).Model;
                }
            }
            catch (ModelFormatException e)
            {
                return Remember(new Built(config, Record(config, 0, 0, null, false, $"not built: {e.Message}", watch.ElapsedMilliseconds),
                    null, null, [], 0, null, []));
            }
            var bytes = ModelWriter.ToBytes(final);
            var gzip = SizeReport.GzipSize(bytes, CompressionLevel.Optimal);
            if (!force && best is not null && bytes.Length >= best.Bytes.Length)
            {
                var index = Record(config, bytes.Length, gzip, null, false,
                    $"not evaluated: {Sizes.Format(bytes.Length)} is not smaller than the best so far ({Sizes.Format(best.Bytes.Length)})", watch.ElapsedMilliseconds);
                return Remember(new Built(config, index, result, final, bytes, gzip, null, [new BudgetMiss("-", "NotSmaller", 0, 0, "not smaller", "")]));
            }
            EvaluationReport? report = null;
            if (Budgets.NeedsEvaluation)
            {
                try
                {
                    report = Evaluator.Evaluate(model, final, evaluation!,
                        new EvaluationOptions { MaxSamples = options.MaxEvaluationSamples, PerLayer = perLayer, TopLayers = 0 }, progress, ct);
                }
                catch (EvaluationException e)
                {
                    evaluations++;
                    return Remember(new Built(config, Record(config, bytes.Length, gzip, null, true, $"not runnable: {e.Message}", watch.ElapsedMilliseconds),
                        null, null, [], 0, null, []));
                }
                evaluations++;
                progress?.Report(new OptimizationProgress("auto", evaluations, options.MaxEvaluations));
            }
            var misses = Budgets.Check(bytes.Length, gzip, report);
            var verdict = misses.Count == 0 ? "meets every budget" : string.Join("; ", misses.Select(m => m.Statement));
            var built = new Built(config, Record(config, bytes.Length, gzip, report, report is not null, verdict, watch.ElapsedMilliseconds),
                result, final, bytes, gzip, report, misses);
            if (built.MeetsAll && (best is null || bytes.Length < best.Bytes.Length || (force && bytes.Length == best.Bytes.Length)))
            {
                best = built;
            }
            return Remember(built);
        }

        private ModelGraph Pruned(double sparsity)
        {
            if (!pruned.TryGetValue(sparsity, out var graph))
            {
                graph = MagnitudePruner.Prune(model, new PruningOptions { TargetSparsity = sparsity }).Model;
                pruned[sparsity] = graph;
            }
            return graph;
        }

        private Built Remember(Built built)
        {
            cache[built.Config.Key] = built;
            return built;
        }

        private int Record(AutoConfig config, long bytes, long gzip, EvaluationReport? report, bool evaluated, string verdict, long ms)
        {
            trail.Add(new AutoCandidate(trail.Count + 1, config.Describe(), bytes, gzip, report?.MinCosine, report?.MinSqnrDb, report?.Accuracy?.Drop,
                evaluated, Accepted: false, verdict, ms));
            return trail.Count;
        }

        private AutoResult Finish(Built chosen)
        {
            var final = trail.Select(c => c.Index == chosen.TrailIndex
                ? c with { Accepted = true, Verdict = "chosen: the smallest candidate meeting every budget" }
                : c.Verdict == "meets every budget" ? c with { Verdict = $"meets every budget, but larger than the chosen ({Sizes.Format(chosen.Bytes.Length)})" }
                : c).ToList();
            return new AutoResult(chosen.Model!, chosen.Bytes, chosen.Config, chosen.Result!, chosen.Evaluation, final, evaluations, capped,
                clock.Elapsed, AutoRecipe.ToJson(chosen.Config, options.Target));
        }

        private AutoSearchException NoCandidate()
        {
            Built? closest = null;
            foreach (var b in cache.Values.OrderBy(b => b.TrailIndex))
            {
                if (!b.Failed && b.Misses.All(m => m.Budget != "NotSmaller") &&
                    (closest is null || Closeness(b).CompareTo(Closeness(closest)) < 0))
                {
                    closest = b;
                }
            }
            var tried = $"{trail.Count} candidate(s), {evaluations} evaluation(s){(capped ? $", stopped at the cap of {options.MaxEvaluations}" : "")}";
            if (closest is null)
            {
                return new AutoSearchException(AutoErrorCodes.NoCandidateMeetsBudgets,
                    $"no candidate could be built or run ({tried}): " + string.Join("; ", trail.Select(t => $"{t.Config}: {t.Verdict}")), null, trail);
            }
            return new AutoSearchException(AutoErrorCodes.NoCandidateMeetsBudgets,
                $"no candidate meets the budgets ({tried}); the closest, {closest.Config.Describe()} ({Sizes.Format(closest.Bytes.Length)}), misses: " +
                string.Join("; ", closest.Misses.Select(m => m.Statement)), closest.Misses, trail);
        }

        private static (int, double) Closeness(Built b) => (b.Misses.Count, b.Misses.Sum(m => Math.Min(1e6, m.Shortfall)));
    }
}
