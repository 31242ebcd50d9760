using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>
/// Builds model cards (docs/model-card.md) for tests: from a real model read with ModelReader, or by hand. Returns
/// a mutable JsonObject so each test sets the budgets, metrics or names it needs. (The MSBuild task's card writer
/// arrives from another branch; this is the test-side stand-in.)
/// </summary>
internal static class CardBuilder
{
    public const string ProjectFile = "/app/App.csproj";

    /// <summary>The package version the task would write: the generator's own, so cards are never stale in tests.</summary>
    public static string ToolVersion { get; } =
        typeof(ModelWrapperGenerator).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    public static JsonObject FromModel(string modelPath)
    {
        var graph = ModelReader.ReadFile(modelPath);
        var bytes = File.ReadAllBytes(modelPath);
        var name = Path.GetFileNameWithoutExtension(modelPath);
        var figures = new JsonObject
        {
            ["bytes"] = bytes.LongLength,
            ["gzipBytes"] = null,
            ["brotliBytes"] = null,
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)),
        };
        var signatures = new JsonArray();
        if (graph.Signatures.Count == 0)
        {
            signatures.Add(Signature("main", 0,
                graph.Main.Inputs.Select(t => Tensor(graph.Main, t, null)),
                graph.Main.Outputs.Select(t => Tensor(graph.Main, t, null))));
        }
        foreach (var s in graph.Signatures)
        {
            signatures.Add(Signature(s.Key, graph.Subgraphs.IndexOf(s.Subgraph),
                s.Inputs.Select(i => Tensor(s.Subgraph, i.Tensor, i.Name)),
                s.Outputs.Select(o => Tensor(s.Subgraph, o.Tensor, o.Name))));
        }
        var card = Skeleton(name, Path.GetFileName(modelPath));
        card["original"] = figures;
        card["optimized"] = figures.DeepClone();
        card["signatures"] = signatures;
        return card;
    }

    /// <summary>A card with no signatures yet; add them with <see cref="Signature"/> and <see cref="Tensor(string,string,int[],string?)"/>.</summary>
    public static JsonObject Skeleton(string name, string deployedFile) => new()
    {
        ["formatVersion"] = 1,
        ["toolVersion"] = ToolVersion,
        ["item"] = new JsonObject { ["include"] = "models/" + deployedFile, ["projectFile"] = ProjectFile, ["line"] = 12, ["column"] = 5 },
        ["name"] = name,
        ["className"] = null,
        ["namespace"] = null,
        ["generateWrapper"] = true,
        ["deploy"] = "copy",
        ["deployedFile"] = deployedFile,
        ["resourceName"] = null,
        ["optimization"] = "none",
        ["target"] = "cpu",
        ["original"] = null,
        ["optimized"] = null,
        ["signatures"] = new JsonArray(),
        ["metrics"] = null,
        ["budgets"] = new JsonObject
        {
            ["maxSize"] = null, ["maxCompressedSize"] = null, ["maxAccuracyDrop"] = null, ["minCosine"] = null,
            ["minSqnrDb"] = null, ["baselineBytes"] = null, ["maxSizeGrowth"] = null, ["severity"] = "error",
        },
        ["tfliteMetadata"] = null,
    };

    public static JsonObject Signature(string key, int subgraph, IEnumerable<JsonObject> inputs, IEnumerable<JsonObject> outputs) => new()
    {
        ["key"] = key,
        ["subgraph"] = subgraph,
        ["inputs"] = new JsonArray(inputs.ToArray<JsonNode>()),
        ["outputs"] = new JsonArray(outputs.ToArray<JsonNode>()),
    };

    public static JsonObject Tensor(string name, string type, int[] shape, string? signatureName = null) => new()
    {
        ["name"] = name,
        ["signatureName"] = signatureName,
        ["index"] = 0,
        ["type"] = type,
        ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
        ["shapeSignature"] = null,
        ["quantization"] = null,
        ["normalization"] = null,
        ["labels"] = null,
        ["content"] = null,
    };

    public static string ToJson(JsonObject card) => card.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static JsonObject Tensor(Subgraph subgraph, ModelBuildTasks.Model.Tensor t, string? signatureName)
    {
        var node = Tensor(t.Name, TensorTypes.Name(t.Type), t.Shape, signatureName);
        node["index"] = subgraph.Tensors.IndexOf(t);
        if (t.ShapeSignature is { } sig && sig.Any(d => d < 0))
        {
            node["shapeSignature"] = new JsonArray(sig.Select(d => (JsonNode)d).ToArray());
        }
        if (t.Quantization is { IsEmpty: false } q)
        {
            node["quantization"] = new JsonObject
            {
                ["scale"] = new JsonArray(q.Scale.Select(s => (JsonNode)s).ToArray()),
                ["zeroPoint"] = new JsonArray(q.ZeroPoint.Select(z => (JsonNode)z).ToArray()),
                ["dimension"] = q.QuantizedDimension,
            };
        }
        return node;
    }
}
