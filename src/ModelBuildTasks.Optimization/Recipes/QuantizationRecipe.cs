using System.Text.Json;

namespace ModelBuildTasks.Optimization.Recipes;

/// <summary>
/// A JSON recipe of per-layer overrides:
/// <code>
/// { "rules": [
///     { "op": "CONV_2D|DEPTHWISE_CONV_2D", "scheme": "int8" },
///     { "tensor": ".*/output_.*", "scheme": "none" },
///     { "tensor": "model_1/model/conv2d_3/.*", "op": "CONV_2D", "scheme": "int16x8" } ] }
/// </code>
/// <c>tensor</c> and <c>op</c> are optional regular expressions matched against a whole output tensor name and op type;
/// <c>scheme</c> is <c>none</c> (keep float), <c>int8</c> or <c>int16x8</c>. Later rules win over earlier ones.
/// </summary>
public static class QuantizationRecipe
{
    /// <summary>Reads a recipe file; a missing file or a malformed recipe is a coded error naming the file.</summary>
    public static IReadOnlyList<QuantizationRule> Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, $"cannot be read: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses recipe JSON; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<QuantizationRule> Parse(string json, string source = "recipe")
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("rules", out var rules) ||
                rules.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(source, "must be an object with a \"rules\" array");
            }
            var result = new List<QuantizationRule>();
            var n = 0;
            foreach (var rule in rules.EnumerateArray())
            {
                n++;
                if (rule.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid(source, $"rule {n} is not an object");
                }
                foreach (var p in rule.EnumerateObject())
                {
                    if (p.Name is not ("tensor" or "op" or "scheme"))
                    {
                        throw Invalid(source, $"rule {n} has an unknown field \"{p.Name}\" (expected tensor, op, scheme)");
                    }
                }
                var scheme = String(rule, "scheme", source, n) ?? throw Invalid(source, $"rule {n} has no \"scheme\"");
                result.Add(new QuantizationRule(String(rule, "tensor", source, n), String(rule, "op", source, n), ParseScheme(scheme, $"{source}: rule {n}")));
            }
            return result;
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Parses <c>none</c>, <c>int8</c> or <c>int16x8</c>.</summary>
    public static QuantizationScheme ParseScheme(string text, string where) => text.ToLowerInvariant() switch
    {
        "none" or "float" => QuantizationScheme.None,
        "int8" => QuantizationScheme.Int8,
        "int16x8" or "16x8" => QuantizationScheme.Int16x8,
        _ => throw new OptimizationException(OptimizationErrorCodes.InvalidRecipe, $"{where}: unknown scheme '{text}' (expected none, int8 or int16x8)"),
    };

    private static string? String(JsonElement rule, string name, string source, int n) =>
        !rule.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw Invalid(source, $"rule {n}: \"{name}\" must be a string");

    private static OptimizationException Invalid(string source, string problem) =>
        new(OptimizationErrorCodes.InvalidRecipe, $"{source}: the recipe {problem}");
}
