using System.Text.RegularExpressions;
using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization;

/// <summary>What a rule asks for the operators it matches.</summary>
public enum QuantizationScheme
{
    /// <summary>Keep the op float (skip quantization): its weights stay float32 and its activations float.</summary>
    None,

    /// <summary>int8 activations and weights (full integer) or int8 weights (dynamic range).</summary>
    Int8,

    /// <summary>int16 activations with int8 weights (full integer only).</summary>
    Int16x8,
}

/// <summary>
/// A per-layer override: the ops whose type matches <see cref="OpType"/> and one of whose output tensors' names
/// matches <see cref="Tensor"/> (both regular expressions matched against the whole string, case-sensitive; null
/// matches everything) get <see cref="Scheme"/>. Rules apply in order and the last match wins.
/// </summary>
/// <param name="Tensor">Regex on an output tensor name of the op (e.g. <c>.*/head/.*</c>); null = any.</param>
/// <param name="OpType">Regex on the op type as <c>mbt inspect</c> prints it (e.g. <c>CONV_2D|DEPTHWISE_CONV_2D</c>); null = any.</param>
/// <param name="Scheme">What to do with matching ops.</param>
public sealed record QuantizationRule(string? Tensor, string? OpType, QuantizationScheme Scheme)
{
    private readonly Regex? _tensor = Compile(Tensor, "tensor");
    private readonly Regex? _opType = Compile(OpType, "op");

    /// <summary>True when the rule applies to <paramref name="op"/>.</summary>
    public bool Matches(Operator op)
    {
        if (_opType is not null && !_opType.IsMatch(op.Code.DisplayName))
        {
            return false;
        }
        if (_tensor is null)
        {
            return true;
        }
        foreach (var t in op.Outputs)
        {
            if (t is not null && _tensor.IsMatch(t.Name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The scheme the last matching rule gives <paramref name="op"/>, or null when none matches.</summary>
    public static QuantizationScheme? Resolve(IReadOnlyList<QuantizationRule> rules, Operator op)
    {
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            if (rules[i].Matches(op))
            {
                return rules[i].Scheme;
            }
        }
        return null;
    }

    private static Regex? Compile(string? pattern, string what)
    {
        if (pattern is null)
        {
            return null;
        }
        try
        {
            return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, $"rule {what} pattern '{pattern}' is not a valid regular expression: {e.Message}");
        }
    }
}
