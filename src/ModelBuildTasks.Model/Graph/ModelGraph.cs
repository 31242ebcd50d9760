namespace ModelBuildTasks.Model;

/// <summary>
/// The in-memory form of a .tflite model that the runtime and every optimization pass work on.
/// It holds no FlatBuffers state: <see cref="Format.ModelReader"/> builds it (weights as zero-copy slices of the
/// file) and <see cref="Format.ModelWriter"/> serializes it. Buffers are not modelled separately: each tensor or
/// metadata entry owns its bytes, and the writer stores identical slices once.
/// </summary>
public sealed class ModelGraph
{
    /// <summary>Name of the metadata entry holding TFLite model metadata (a FlatBuffer with identifier "M001").</summary>
    public const string TfLiteMetadataName = "TFLITE_METADATA";

    /// <summary>Name of the metadata entry holding the minimum runtime version string.</summary>
    public const string MinRuntimeVersionName = "min_runtime_version";

    /// <summary>Schema version; 3 for every current model.</summary>
    public uint Version { get; set; } = 3;

    public string? Description { get; set; }

    /// <summary>Subgraphs; the first is the main one. Control-flow ops refer to the others by index.</summary>
    public List<Subgraph> Subgraphs { get; } = [];

    public List<MetadataEntry> Metadata { get; } = [];

    public List<SignatureDef> Signatures { get; } = [];

    /// <summary>Buffers listed in the legacy <c>metadata_buffer</c> field (rare).</summary>
    public List<ReadOnlyMemory<byte>> LegacyMetadataBuffers { get; } = [];

    /// <summary>Groups of weights stored in separate files (LiteRT external buffers); kept as read.</summary>
    public List<Schema.ExternalBufferGroupT> ExternalBufferGroups { get; } = [];

    /// <summary>Weights stored in separate files, referenced by <see cref="Tensor.ExternalBuffer"/>; kept as read.</summary>
    public List<Schema.ExternalBufferT> ExternalBuffers { get; } = [];

    /// <summary>
    /// The zip of associated files (labels, vocabularies) that TFLite's metadata tools append after the
    /// FlatBuffer; empty when the model has none. Stored with offsets relative to the zip's own start so it stays
    /// valid wherever the writer places it.
    /// </summary>
    public ReadOnlyMemory<byte> AssociatedFiles { get; set; }

    /// <summary>The main subgraph.</summary>
    public Subgraph Main => Subgraphs.Count > 0
        ? Subgraphs[0]
        : throw new ModelFormatException(ModelErrorCodes.InvalidGraph, "the model has no subgraph");

    /// <summary>Metadata entry by name, or null.</summary>
    public MetadataEntry? FindMetadata(string name) => Metadata.Find(m => m.Name == name);

    /// <summary>Every operator of every subgraph with its subgraph.</summary>
    public IEnumerable<(Subgraph Subgraph, Operator Operator)> AllOperators() =>
        Subgraphs.SelectMany(s => s.Operators.Select(o => (s, o)));

    /// <summary>Every tensor of every subgraph.</summary>
    public IEnumerable<Tensor> AllTensors() => Subgraphs.SelectMany(s => s.Tensors);
}
