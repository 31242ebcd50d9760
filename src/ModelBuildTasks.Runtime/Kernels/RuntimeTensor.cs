using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels;

/// <summary>
/// The runtime's record of one tensor: its descriptor and where its bytes live — a pinned constant array shared
/// by all sessions, or an offset in each session's activation arena.
/// </summary>
internal sealed class RuntimeTensor
{
    public RuntimeTensor(TensorDescriptor descriptor)
    {
        Descriptor = descriptor;
    }

    public TensorDescriptor Descriptor { get; }

    public int Index => Descriptor.Index;

    public TensorType Type => Descriptor.Type;

    public int[] Shape => Descriptor.ShapeArray;

    public int Rank => Shape.Length;

    public long ElementCount => Descriptor.ElementCount;

    public long ByteLength => Descriptor.ByteLength;

    public int ElementSize => TensorTypes.ElementSize(Type);

    public TensorQuantization? Quantization => Descriptor.Quantization;

    /// <summary>Constant bytes in a pinned array (never moves), or null for activations.</summary>
    public byte[]? Constant { get; set; }

    public bool IsConstant => Constant is not null;

    /// <summary>Offset in the activation arena, or -1 when not planned.</summary>
    public long ArenaOffset { get; set; } = -1;

    /// <summary>Dimension <paramref name="i"/>, counting from the end when negative.</summary>
    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    public override string ToString() => Descriptor.ToString();
}
