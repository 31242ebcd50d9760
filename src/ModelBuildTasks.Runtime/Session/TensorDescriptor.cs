using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime;

/// <summary>What a tensor of a loaded model is: name, element type, shape and quantization.</summary>
public sealed class TensorDescriptor
{
    private readonly int[] shape;

    internal TensorDescriptor(int index, string name, TensorType type, int[] shape, TensorQuantization? quantization)
    {
        Index = index;
        Name = name;
        Type = type;
        this.shape = shape;
        Quantization = quantization is { IsEmpty: false } ? quantization : null;
        ElementCount = TensorTypes.ElementCount(shape);
        ByteLength = TensorTypes.ByteSize(type, ElementCount);
    }

    /// <summary>Index of the tensor in the main subgraph's tensor list.</summary>
    public int Index { get; }

    public string Name { get; }

    public TensorType Type { get; }

    /// <summary>The static shape.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Quantization parameters, or null for a float tensor.</summary>
    public TensorQuantization? Quantization { get; }

    public long ElementCount { get; }

    public long ByteLength { get; }

    internal int[] ShapeArray => shape;

    public override string ToString() => $"'{Name}' {TensorTypes.Name(Type)}[{string.Join(",", shape)}]";
}
