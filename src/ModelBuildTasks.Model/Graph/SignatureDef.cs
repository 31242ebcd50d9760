namespace ModelBuildTasks.Model;

/// <summary>A named entry point of the model: a subgraph with names for some of its tensors.</summary>
public sealed class SignatureDef
{
    public SignatureDef(string key, Subgraph subgraph)
    {
        Key = key;
        Subgraph = subgraph;
    }

    public string Key { get; set; }

    public Subgraph Subgraph { get; set; }

    public List<SignatureTensor> Inputs { get; } = [];

    public List<SignatureTensor> Outputs { get; } = [];
}

/// <summary>A signature's public name for a tensor of its subgraph.</summary>
public sealed record SignatureTensor(string Name, Tensor Tensor);

/// <summary>A named metadata blob of the model (e.g. "min_runtime_version", "TFLITE_METADATA").</summary>
public sealed class MetadataEntry
{
    public MetadataEntry(string name, ReadOnlyMemory<byte> data)
    {
        Name = name;
        Data = data;
    }

    public string Name { get; set; }

    public ReadOnlyMemory<byte> Data { get; set; }
}
