using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model;

/// <summary>Facts about tensor element types: sizes and display names.</summary>
public static class TensorTypes
{
    /// <summary>Bits per element, or 0 for types without a fixed size (string, resource, variant).</summary>
    public static int BitsPerElement(TensorType type) => type switch
    {
        TensorType.BOOL or TensorType.INT8 or TensorType.UINT8 or TensorType.FLOAT8_E4M3FN or TensorType.FLOAT8_E5M2 => 8,
        TensorType.INT4 or TensorType.UINT4 => 4,
        TensorType.INT2 => 2,
        TensorType.FLOAT16 or TensorType.BFLOAT16 or TensorType.INT16 or TensorType.UINT16 => 16,
        TensorType.FLOAT32 or TensorType.INT32 or TensorType.UINT32 => 32,
        TensorType.FLOAT64 or TensorType.INT64 or TensorType.UINT64 or TensorType.COMPLEX64 => 64,
        TensorType.COMPLEX128 => 128,
        _ => 0,
    };

    /// <summary>Bytes per element for byte-aligned types; 0 for sub-byte (INT4, INT2) and variable-size types.</summary>
    public static int ElementSize(TensorType type) => BitsPerElement(type) is var b && b % 8 == 0 ? b / 8 : 0;

    /// <summary>Lower-case name as used in reports and JSON ("float32", "int8", …).</summary>
    public static string Name(TensorType type) => type.ToString().ToLowerInvariant();

    /// <summary>True for the types this codebase knows (the enum may hold values from newer files).</summary>
    public static bool IsKnown(TensorType type) => Enum.IsDefined(type);

    /// <summary>Product of the dimensions (1 for a scalar). Assumes a validated shape.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            n *= d;
        }
        return n;
    }

    /// <summary>Dense byte size of <paramref name="elements"/> packed elements, rounding sub-byte types up; -1 when not fixed-size.</summary>
    public static long ByteSize(TensorType type, long elements)
    {
        var bits = BitsPerElement(type);
        return bits == 0 ? -1 : (elements * bits + 7) / 8;
    }
}
