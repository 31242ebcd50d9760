using System.Globalization;
using System.Text;

namespace ModelBuildTasks.Optimization.Auto;

/// <summary>One configuration the search tries: a scheme, per-layer overrides, and optional pruning and clustering.</summary>
/// <param name="Scheme">The optimization applied.</param>
/// <param name="Layers">Layers (output tensor names) moved off the scheme's precision, worst first.</param>
/// <param name="LayerScheme">What those layers get: <see cref="QuantizationScheme.Int16x8"/> or <see cref="QuantizationScheme.None"/> (float).</param>
/// <param name="Sparsity">Magnitude pruning target before quantizing (0 = none); pruned weights are stored sparse.</param>
/// <param name="Clusters">Weight clusters after quantizing (0 = none); fewer distinct values compress better.</param>
public sealed record AutoConfig(Optimization Scheme, IReadOnlyList<string> Layers, QuantizationScheme LayerScheme, double Sparsity, int Clusters)
{
    /// <summary>A plain scheme.</summary>
    public static AutoConfig Plain(Optimization scheme) => new(scheme, [], QuantizationScheme.None, 0, 0);

    /// <summary>The per-layer rules that make the mixed precision (one per moved layer, exact tensor name).</summary>
    public IReadOnlyList<QuantizationRule> Rules()
    {
        var rules = new List<QuantizationRule>(Layers.Count);
        foreach (var layer in Layers)
        {
            rules.Add(new QuantizationRule(System.Text.RegularExpressions.Regex.Escape(layer), null, LayerScheme));
        }
        return rules;
    }

    /// <summary>A stable key (equal configurations make equal models).</summary>
    public string Key => $"{Describe()}|{string.Join("\n", Layers)}";

    /// <summary>"int8 + 3 layers int16x8 + pruned 50% + 16 clusters".</summary>
    public string Describe()
    {
        var s = new StringBuilder(SchemeName(Scheme));
        if (Layers.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $" + {Layers.Count} layer{(Layers.Count == 1 ? "" : "s")} {(LayerScheme == QuantizationScheme.None ? "float" : "int16x8")}");
        }
        if (Sparsity > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $" + pruned {Sparsity * 100:0}%");
        }
        if (Clusters > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $" + {Clusters} clusters");
        }
        return s.ToString();
    }

    /// <summary>The CLI's name of a scheme (<c>int16x8</c>, <c>float16</c>, …).</summary>
    public static string SchemeName(Optimization scheme) => scheme.ToString().ToLowerInvariant();
}
