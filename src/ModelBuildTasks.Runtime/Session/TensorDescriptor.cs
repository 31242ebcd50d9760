using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime;

/// <summary>What a tensor of a loaded model is: name, element type, shape and quantization.</summary>
public sealed class TensorDescriptor
{
    private readonly int[] shape;

    internal TensorDescriptor(int index, string name, TensorType type, int[] shape, TensorQuantization? quantization, string? signatureName = null)
    {
        SignatureName = signatureName;
        Index = index;
        Name = name;
        Type = type;
        this.shape = shape;
        Quantization = quantization is { IsEmpty: false } ? quantization : null;
        ElementCount = TensorTypes.ElementCount(shape);
        ByteLength = TensorTypes.ByteSize(type, ElementCount);
    }

    /// <summary>Index of the tensor in its subgraph's tensor list.</summary>
    public int Index { get; }

    /// <summary>The tensor's name in the model.</summary>
    public string Name { get; }

    /// <summary>The signature's name for the tensor, when the session runs a signature; else null.</summary>
    public string? SignatureName { get; }

    public TensorType Type { get; }

    /// <summary>The static shape.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Quantization parameters, or null for a float tensor.</summary>
    public TensorQuantization? Quantization { get; }

    public long ElementCount { get; }

    public long ByteLength { get; }

    internal int[] ShapeArray => shape;

    internal TensorDescriptor WithSignatureName(string signatureName) =>
        new(Index, Name, Type, shape, Quantization, signatureName);

    public override string ToString() => SignatureName is { } s && s != Name
        ? $"'{s}' (tensor '{Name}') {TensorTypes.Name(Type)}[{string.Join(",", shape)}]"
        : $"'{Name}' {TensorTypes.Name(Type)}[{string.Join(",", shape)}]";
}
