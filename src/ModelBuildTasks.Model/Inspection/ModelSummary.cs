using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelBuildTasks.Model.Metadata;

namespace ModelBuildTasks.Model.Inspection;

/// <summary>
/// What `mbt inspect` reports about a model: I/O tensors, operator histogram, weight bytes by type, signatures,
/// metadata. Its JSON form (<see cref="ToJson"/>) is a stable contract documented in the README; add fields, never
/// rename or remove them, and bump <see cref="FormatVersion"/> only for incompatible changes.
/// </summary>
public sealed record ModelSummary(
    int FormatVersion,
    string File,
    long FileBytes,
    string Sha256,
    uint ModelVersion,
    string? Description,
    IReadOnlyList<TensorSummary> Inputs,
    IReadOnlyList<TensorSummary> Outputs,
    IReadOnlyList<SubgraphSummary> Subgraphs,
    IReadOnlyDictionary<string, int> Operators,
    IReadOnlyDictionary<string, TypeBytes> TensorBytesByType,
    long ConstantBytes,
    int SparseTensors,
    IReadOnlyList<SignatureSummary> Signatures,
    IReadOnlyList<MetadataSummary> Metadata,
    IReadOnlyList<AssociatedFileSummary> AssociatedFiles,
    [property: JsonPropertyName("tfliteMetadata")] ModelMetadataInfo? TfLiteMetadata = null)
{
    /// <summary>
    /// Summarizes a model read from <paramref name="fileBytes"/>. Malformed TFLite metadata throws its coded error
    /// (<see cref="ModelErrorCodes.InvalidMetadata"/>) rather than being left out silently.
    /// </summary>
    public static ModelSummary Create(ModelGraph model, string fileName, ReadOnlySpan<byte> fileBytes)
    {
        var main = model.Main;
        var operators = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, op) in model.AllOperators())
        {
            operators[op.Code.DisplayName] = operators.GetValueOrDefault(op.Code.DisplayName) + 1;
        }
        var byType = new SortedDictionary<string, TypeBytes>(StringComparer.Ordinal);
        var counted = new HashSet<(object?, int, int)>();
        foreach (var tensor in model.AllTensors().Where(t => t.IsConstant))
        {
            var name = TensorTypes.Name(tensor.Type);
            var previous = byType.GetValueOrDefault(name) ?? new TypeBytes(0, 0);
            // A buffer shared by several tensors is stored once, so count its bytes once.
            var bytes = counted.Add(Identity(tensor.Data)) ? tensor.Data.Length : 0;
            byType[name] = new TypeBytes(previous.Tensors + 1, previous.Bytes + bytes);
        }
        return new ModelSummary(
            FormatVersion: 1,
            File: fileName,
            FileBytes: fileBytes.Length,
            Sha256: Convert.ToHexString(SHA256.HashData(fileBytes)).ToLowerInvariant(),
            ModelVersion: model.Version,
            Description: model.Description,
            Inputs: main.Inputs.Select(TensorSummary.Of).ToList(),
            Outputs: main.Outputs.Select(TensorSummary.Of).ToList(),
            Subgraphs: model.Subgraphs.Select(s => new SubgraphSummary(s.Name, s.Tensors.Count, s.Operators.Count)).ToList(),
            Operators: operators,
            TensorBytesByType: byType,
            ConstantBytes: byType.Values.Sum(t => t.Bytes),
            SparseTensors: model.AllTensors().Count(t => t.Sparsity is not null),
            Signatures: model.Signatures.Select(s => new SignatureSummary(
                s.Key, model.Subgraphs.IndexOf(s.Subgraph),
                s.Inputs.Select(e => new SignatureTensorSummary(e.Name, e.Tensor.Name)).ToList(),
                s.Outputs.Select(e => new SignatureTensorSummary(e.Name, e.Tensor.Name)).ToList())).ToList(),
            Metadata: model.Metadata.Select(m => new MetadataSummary(m.Name, m.Data.Length, AsText(m.Data.Span))).ToList(),
            AssociatedFiles: ListZip(model.AssociatedFiles),
            TfLiteMetadata: ModelBuildTasks.Model.Metadata.TfLiteMetadata.Read(model, fileName));
    }

    /// <summary>The JSON form: camelCase, indented, nulls written explicitly.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses the JSON form (for tools and tests that consume `mbt inspect --json`).</summary>
    public static ModelSummary FromJson(string json) =>
        JsonSerializer.Deserialize<ModelSummary>(json, JsonOptions) ?? throw new JsonException("empty model summary");

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static (object?, int, int) Identity(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var s) ? (s.Array, s.Offset, s.Count) : (data, 0, data.Length);

    /// <summary>Short printable ASCII blobs (such as "1.5.0") are shown as text; binary ones are not.</summary>
    private static string? AsText(ReadOnlySpan<byte> data)
    {
        var text = data.TrimEnd((byte)0);
        if (text.IsEmpty || text.Length > 256)
        {
            return null;
        }
        foreach (var b in text)
        {
            if (b is < 0x20 or > 0x7e)
            {
                return null;
            }
        }
        return Encoding.ASCII.GetString(text);
    }

    private static List<AssociatedFileSummary> ListZip(ReadOnlyMemory<byte> zip)
    {
        if (zip.IsEmpty)
        {
            return [];
        }
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip.ToArray(), writable: false), ZipArchiveMode.Read);
            return archive.Entries.Select(e => new AssociatedFileSummary(e.FullName, e.Length)).ToList();
        }
        catch (InvalidDataException)
        {
            return [new AssociatedFileSummary("(unreadable zip)", zip.Length)];
        }
    }
}

public sealed record TensorSummary(string Name, int[] Shape, int[]? ShapeSignature, string Type, QuantizationSummary? Quantization)
{
    public static TensorSummary Of(Tensor t) => new(t.Name, t.Shape, t.ShapeSignature, TensorTypes.Name(t.Type),
        t.Quantization is { IsEmpty: false } q ? new QuantizationSummary(q.Scale, q.ZeroPoint, q.QuantizedDimension) : null);
}

public sealed record QuantizationSummary(float[] Scale, long[] ZeroPoint, int Dimension);

public sealed record SubgraphSummary(string? Name, int Tensors, int Operators);

public sealed record TypeBytes(int Tensors, long Bytes);

public sealed record SignatureSummary(string Key, int Subgraph, IReadOnlyList<SignatureTensorSummary> Inputs, IReadOnlyList<SignatureTensorSummary> Outputs);

public sealed record SignatureTensorSummary(string Name, string Tensor);

public sealed record MetadataSummary(string Name, int Bytes, string? Text);

public sealed record AssociatedFileSummary(string Name, long Bytes);
