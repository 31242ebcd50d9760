using System.Collections.Generic;

namespace ModelBuildTasks.Generator.Json;

/// <summary>The kind of a parsed JSON value.</summary>
internal enum JsonKind
{
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// <summary>
/// A parsed JSON value. Deliberately tiny: the generator runs inside the compiler on netstandard2.0 and ships no
/// JSON library of its own. Model cards are small, so a tree is fine.
/// </summary>
internal sealed class JsonValue
{
    public static readonly JsonValue Null = new(JsonKind.Null);

    private JsonValue(JsonKind kind)
    {
        Kind = kind;
    }

    public JsonKind Kind { get; }

    public bool Bool { get; private set; }

    public double Number { get; private set; }

    public string? String { get; private set; }

    public List<JsonValue>? Items { get; private set; }

    public Dictionary<string, JsonValue>? Properties { get; private set; }

    public static JsonValue FromBool(bool value) => new(JsonKind.Bool) { Bool = value };

    public static JsonValue FromNumber(double value) => new(JsonKind.Number) { Number = value };

    public static JsonValue FromString(string value) => new(JsonKind.String) { String = value };

    public static JsonValue FromItems(List<JsonValue> items) => new(JsonKind.Array) { Items = items };

    public static JsonValue FromProperties(Dictionary<string, JsonValue> properties) =>
        new(JsonKind.Object) { Properties = properties };

    /// <summary>The property with this name, or <see cref="Null"/> when absent or when this is not an object.</summary>
    public JsonValue this[string name] =>
        Properties is not null && Properties.TryGetValue(name, out var value) ? value : Null;
}
