using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ModelBuildTasks.Optimization.Quantization;

/// <summary>
/// float32 ↔ float16 conversion of tensor data (little-endian bytes). float32 → float16 rounds to nearest, ties to
/// even, as IEEE 754 and the TFLite converter (Eigen::half) do; values beyond ±65504 become ±infinity, NaN stays NaN.
/// float16 → float32 is exact. Both are vectorized (TensorPrimitives) and equal to <see cref="Half"/>'s casts.
/// </summary>
public static class Float16
{
    /// <summary>Converts float32 data to float16 data (a new array of half the size).</summary>
    public static byte[] FromFloat32(ReadOnlySpan<byte> float32)
    {
        EnsureLittleEndian();
        var source = MemoryMarshal.Cast<byte, float>(float32);
        var result = new byte[source.Length * 2];
        TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<byte, Half>(result.AsSpan()));
        return result;
    }

    /// <summary>Converts float16 data to float32 data (a new array of twice the size); exact.</summary>
    public static byte[] ToFloat32(ReadOnlySpan<byte> float16)
    {
        EnsureLittleEndian();
        var source = MemoryMarshal.Cast<byte, Half>(float16);
        var result = new byte[source.Length * 4];
        TensorPrimitives.ConvertToSingle(source, MemoryMarshal.Cast<byte, float>(result.AsSpan()));
        return result;
    }

    internal static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Tensor data is little-endian; big-endian hosts are not supported.");
        }
    }
}
