using System.Text;
using System.Text.Json;
using ModelBuildTasks.Optimization.Recipes;

namespace ModelBuildTasks.Optimization.Auto;

/// <summary>
/// The chosen configuration as a recipe file in the <see cref="QuantizationRecipe"/> format, so
/// <c>mbt optimize --recipe</c> reads its rules unchanged; the fields beside <c>rules</c> record the rest of the choice:
/// <code>
/// { "optimization": "int8", "target": "cpu", "sparsity": 0, "clusters": 0,
///   "rules": [ { "tensor": "conv2d_7", "scheme": "int16x8" } ] }
/// </code>
/// </summary>
public static class AutoRecipe
{
    /// <summary>The recipe JSON of <paramref name="config"/> (indented, stable).</summary>
    public static string ToJson(AutoConfig config, OptimizationTarget target)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("optimization", AutoConfig.SchemeName(config.Scheme));
            w.WriteString("target", target.ToString().ToLowerInvariant());
            w.WriteNumber("sparsity", config.Sparsity);
            w.WriteNumber("clusters", config.Clusters);
            w.WriteStartArray("rules");
            foreach (var rule in config.Rules())
            {
                w.WriteStartObject();
                w.WriteString("tensor", rule.Tensor);
                w.WriteString("scheme", rule.Scheme == QuantizationScheme.None ? "none" : "int16x8");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Reads the scheme, sparsity and clusters of a recipe written by <see cref="ToJson"/> (rules via <see cref="QuantizationRecipe"/>).</summary>
    public static (Optimization Scheme, double Sparsity, int Clusters, IReadOnlyList<QuantizationRule> Rules) Parse(string json, string source = "recipe")
    {
        var rules = QuantizationRecipe.Parse(json, source);
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = doc.RootElement;
        var scheme = root.TryGetProperty("optimization", out var o) && o.ValueKind == JsonValueKind.String
            ? o.GetString()!.ToLowerInvariant() switch
            {
                "int8" => Optimization.Int8,
                "int16x8" => Optimization.Int16x8,
                "dynamic" => Optimization.Dynamic,
                "float16" => Optimization.Float16,
                "float32" => Optimization.Float32,
                "none" => Optimization.None,
                var other => throw new OptimizationException(OptimizationErrorCodes.InvalidRecipe, $"{source}: unknown optimization '{other}'"),
            }
            : throw new OptimizationException(OptimizationErrorCodes.InvalidRecipe, $"{source}: an auto recipe needs an \"optimization\" string");
        var sparsity = root.TryGetProperty("sparsity", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 0;
        var clusters = root.TryGetProperty("clusters", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0;
        if (sparsity is < 0 or >= 1 || clusters < 0)
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidRecipe, $"{source}: sparsity must be in [0, 1) and clusters not negative");
        }
        return (scheme, sparsity, clusters, rules);
    }
}
