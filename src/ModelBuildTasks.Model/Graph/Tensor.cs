using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model;

/// <summary>
/// A tensor of a subgraph. Constant tensors carry their bytes in <see cref="Data"/>, which after reading is a
/// zero-copy slice of the file; passes replace it with new memory rather than mutating it.
/// Tensors are identified by reference: operators, subgraph I/O and signatures point at the same object.
/// </summary>
public sealed class Tensor
{
    public Tensor(string name, TensorType type, int[] shape)
    {
        Name = name;
        Type = type;
        Shape = shape;
    }

    public string Name { get; set; }

    public TensorType Type { get; set; }

    /// <summary>The static shape (batch and unknown dimensions are 1 here; see <see cref="ShapeSignature"/>).</summary>
    public int[] Shape { get; set; }

    /// <summary>The shape with -1 for dynamic dimensions, when the model records one.</summary>
    public int[]? ShapeSignature { get; set; }

    /// <summary>Constant data (little-endian, row-major; for sparse tensors the compressed values). Empty for activations.</summary>
    public ReadOnlyMemory<byte> Data { get; set; }

    public TensorQuantization? Quantization { get; set; }

    /// <summary>Sparse storage description (TFLite's SparsityParameters); null for dense tensors.</summary>
    public SparsityParametersT? Sparsity { get; set; }

    public bool IsVariable { get; set; }

    /// <summary>False only for tensors of unknown rank.</summary>
    public bool HasRank { get; set; }

    /// <summary>Element types of variant tensors (TensorList and similar); usually null.</summary>
    public List<VariantSubTypeT>? VariantTensors { get; set; }

    /// <summary>Index into <see cref="ModelGraph.ExternalBuffers"/> (weights in a separate file); 0 when none.</summary>
    public uint ExternalBuffer { get; set; }

    /// <summary>True when the tensor holds constant data.</summary>
    public bool IsConstant => !Data.IsEmpty;

    /// <summary>Number of elements of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => TensorTypes.ElementCount(Shape);

    /// <summary>Bytes a dense tensor of this shape and type occupies; -1 for variable-size types (strings).</summary>
    public long DenseByteSize => TensorTypes.ByteSize(Type, ElementCount);

    public override string ToString() => $"'{Name}' {TensorTypes.Name(Type)}[{string.Join(",", Shape)}]";
}
