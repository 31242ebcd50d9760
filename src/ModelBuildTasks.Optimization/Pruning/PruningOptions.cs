using System.Globalization;
using System.Text.RegularExpressions;

namespace ModelBuildTasks.Optimization.Pruning;

/// <summary>The shape of what magnitude pruning removes.</summary>
public enum SparsityPatternKind
{
    /// <summary>Any element on its own (the smallest magnitudes go).</summary>
    Unstructured,

    /// <summary>Rectangular blocks removed or kept as a whole (e.g. 1x4: four consecutive input channels).</summary>
    Block,

    /// <summary>At most N non-zero elements in every M consecutive input channels (e.g. 2:4).</summary>
    NOfM,
}

/// <summary>
/// A pruning pattern. Blocks are <see cref="BlockRows"/> output channels by <see cref="BlockColumns"/> input channels
/// (the last axis of TFLite weights; for depthwise weights both run along the channel axis). N:M groups run along the
/// input-channel axis and keep the <see cref="N"/> largest of every <see cref="M"/>, so they fix the sparsity at 1 − N/M.
/// Text forms (as the CLI takes them): <c>unstructured</c>, <c>block:1x4</c> (or <c>1x4</c>), <c>2:4</c>.
/// </summary>
public sealed record SparsityPattern
{
    private SparsityPattern(SparsityPatternKind kind, int blockRows, int blockColumns, int n, int m)
    {
        Kind = kind;
        BlockRows = blockRows;
        BlockColumns = blockColumns;
        N = n;
        M = m;
    }

    /// <summary>What kind of pattern this is.</summary>
    public SparsityPatternKind Kind { get; }

    /// <summary>Block height along the output-channel axis (1 when not blocked).</summary>
    public int BlockRows { get; }

    /// <summary>Block width along the input-channel axis (1 when not blocked).</summary>
    public int BlockColumns { get; }

    /// <summary>N of N:M: non-zero elements kept per group.</summary>
    public int N { get; }

    /// <summary>M of N:M: group length.</summary>
    public int M { get; }

    /// <summary>Element by element.</summary>
    public static SparsityPattern Unstructured { get; } = new(SparsityPatternKind.Unstructured, 1, 1, 0, 0);

    /// <summary>Blocks of <paramref name="rows"/> output channels by <paramref name="columns"/> input channels.</summary>
    public static SparsityPattern Block(int rows, int columns)
    {
        if (rows < 1 || columns < 1 || rows > 64 || columns > 64 || rows * columns < 2)
        {
            throw Invalid($"block {rows}x{columns}: both sides must be 1..64 and the block must hold at least 2 elements");
        }
        return new SparsityPattern(SparsityPatternKind.Block, rows, columns, 0, 0);
    }

    /// <summary>At most <paramref name="n"/> non-zero elements in every <paramref name="m"/> consecutive input channels.</summary>
    public static SparsityPattern NOfM(int n, int m)
    {
        if (m < 2 || m > 64 || n < 1 || n >= m)
        {
            throw Invalid($"pattern {n}:{m}: needs 1 <= N < M <= 64");
        }
        return new SparsityPattern(SparsityPatternKind.NOfM, 1, 1, n, m);
    }

    /// <summary>Parses <c>unstructured</c>, <c>block:RxC</c>, <c>RxC</c> or <c>N:M</c> (case-insensitive).</summary>
    /// <exception cref="OptimizationException">The text is not a pattern (MBT2100).</exception>
    public static SparsityPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (s == "unstructured")
        {
            return Unstructured;
        }
        if (s.StartsWith("block:", StringComparison.Ordinal))
        {
            s = s["block:".Length..];
        }
        var x = s.Split('x');
        if (x.Length == 2 && TryInt(x[0], out var rows) && TryInt(x[1], out var columns))
        {
            return Block(rows, columns);
        }
        var colon = s.Split(':');
        if (colon.Length == 2 && TryInt(colon[0], out var n) && TryInt(colon[1], out var m))
        {
            return NOfM(n, m);
        }
        throw Invalid($"'{text}' is not a pruning pattern (expected unstructured, block:1x4, 4x1 or 2:4)");
    }

    /// <summary>The fraction of zeros the pattern itself fixes (N:M), else null.</summary>
    public double? ImpliedSparsity => Kind == SparsityPatternKind.NOfM ? 1 - (double)N / M : null;

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        SparsityPatternKind.Block => $"block:{BlockRows}x{BlockColumns}",
        SparsityPatternKind.NOfM => $"{N}:{M}",
        _ => "unstructured",
    };

    private static bool TryInt(string s, out int value) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static OptimizationException Invalid(string message) => new(OptimizationErrorCodes.InvalidOptions, message);
}

/// <summary>
/// A per-layer override. A weight matches when <see cref="TensorName"/> (a regular expression, searched in the weight
/// constant's name) and <see cref="OpType"/> (the reading operator, e.g. <c>CONV_2D</c>, case-insensitive) both match;
/// an unset condition matches everything. Of the rules that match a weight, the last one wins; its unset values fall
/// back to the global options.
/// </summary>
public sealed record PruningRule
{
    /// <summary>Regular expression searched in the weight tensor's name; null matches any.</summary>
    public string? TensorName { get; init; }

    /// <summary>Operator type that reads the weights (<c>CONV_2D</c>, <c>DEPTHWISE_CONV_2D</c>, …); null matches any.</summary>
    public string? OpType { get; init; }

    /// <summary>Target sparsity for matching weights; 0 leaves them untouched. Null keeps the global target.</summary>
    public double? TargetSparsity { get; init; }

    /// <summary>Pattern for matching weights; null keeps the global pattern.</summary>
    public SparsityPattern? Pattern { get; init; }

    /// <summary>A rule that leaves matching weights alone (the recipes' <c>none</c>).</summary>
    public static PruningRule Skip(string? tensorName = null, string? opType = null) =>
        new() { TensorName = tensorName, OpType = opType, TargetSparsity = 0 };
}

/// <summary>Post-training magnitude pruning settings. Immutable; use <c>with</c> to derive variants.</summary>
public sealed record PruningOptions
{
    /// <summary>Weights with fewer elements are left alone (first layers and tiny kernels hurt most and weigh least).</summary>
    public const int DefaultMinElements = 1024;

    /// <summary>Fraction of each weight tensor's elements set to zero, in [0, 1). Ignored for N:M patterns.</summary>
    public double TargetSparsity { get; init; } = 0.5;

    /// <summary>What is removed together.</summary>
    public SparsityPattern Pattern { get; init; } = SparsityPattern.Unstructured;

    /// <summary>Weights with fewer elements stay as they are.</summary>
    public int MinElements { get; init; } = DefaultMinElements;

    /// <summary>Per-layer overrides; the last matching rule wins.</summary>
    public IReadOnlyList<PruningRule> Rules { get; init; } = [];

    internal void Validate()
    {
        if (!(TargetSparsity >= 0 && TargetSparsity < 1))
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"target sparsity {TargetSparsity} is outside [0, 1)");
        }
        if (MinElements < 0)
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"MinElements {MinElements} is negative");
        }
        ArgumentNullException.ThrowIfNull(Pattern);
        foreach (var rule in Rules)
        {
            if (rule.TargetSparsity is { } s && !(s >= 0 && s < 1))
            {
                throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"rule target sparsity {s} is outside [0, 1)");
            }
        }
    }
}

/// <summary>Matches per-layer rules (regular expressions compiled once, with a timeout so a bad pattern cannot hang).</summary>
internal sealed class RuleMatcher<TRule>
{
    private readonly List<(Regex? Name, string? OpType, TRule Rule)> rules = [];

    public RuleMatcher(IEnumerable<TRule> rules, Func<TRule, string?> name, Func<TRule, string?> opType)
    {
        foreach (var rule in rules)
        {
            var pattern = name(rule);
            Regex? regex = null;
            if (pattern is not null)
            {
                try
                {
                    regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException e)
                {
                    throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"rule tensor name '{pattern}' is not a valid regular expression: {e.Message}");
                }
            }
            this.rules.Add((regex, opType(rule), rule));
        }
    }

    /// <summary>The last rule matching the tensor name and operator type, or default.</summary>
    public TRule? Match(string tensorName, string opType)
    {
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            var (name, op, rule) = rules[i];
            if (op is not null && !string.Equals(op, opType, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            try
            {
                if (name is not null && !name.IsMatch(tensorName))
                {
                    continue;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"rule tensor name '{name}' took too long on '{tensorName}'");
            }
            return rule;
        }
        return default;
    }
}
