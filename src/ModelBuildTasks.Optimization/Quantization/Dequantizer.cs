using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Quantization;

/// <summary>
/// Turns stored weights back into float32: float16 exactly, integer types by real = scale × (q − zero point), per
/// tensor or per channel along the quantized dimension.
/// </summary>
internal static class Dequantizer
{
    /// <summary>True when <see cref="ToFloat32"/> can convert a tensor of this type and quantization.</summary>
    public static bool CanConvert(Tensor t) => t.Type switch
    {
        TensorType.FLOAT16 => true,
        TensorType.INT8 or TensorType.UINT8 or TensorType.INT16 => t.Quantization is { Scale.Length: > 0 } q &&
            (q.ZeroPoint.Length <= 1 || q.ZeroPoint.Length == q.Scale.Length),
        _ => false,
    };

    /// <summary>float32 bytes of a dense constant's values (<paramref name="data"/> in the tensor's own type and shape).</summary>
    public static byte[] ToFloat32(Tensor t, ReadOnlySpan<byte> data)
    {
        if (t.Type == TensorType.FLOAT16)
        {
            return Float16.ToFloat32(data);
        }
        var q = t.Quantization ?? throw Invalid(t, "has no quantization parameters");
        var size = TensorTypes.ElementSize(t.Type);
        var count = data.Length / size;
        var result = new byte[count * 4];
        var output = MemoryMarshal.Cast<byte, float>(result.AsSpan());
        var channels = q.Scale.Length;
        var inner = 1L;
        if (channels > 1)
        {
            if (q.QuantizedDimension < 0 || q.QuantizedDimension >= t.Shape.Length || t.Shape[q.QuantizedDimension] != channels)
            {
                throw Invalid(t, $"has {channels} scales that do not match dimension {q.QuantizedDimension} of its shape");
            }
            for (var d = q.QuantizedDimension + 1; d < t.Shape.Length; d++)
            {
                inner *= t.Shape[d];
            }
        }
        for (var i = 0; i < count; i++)
        {
            var c = channels == 1 ? 0 : (int)(i / inner % channels);
            var zp = q.ZeroPoint.Length == 0 ? 0 : q.ZeroPoint[q.ZeroPoint.Length == 1 ? 0 : c];
            long v = t.Type switch
            {
                TensorType.INT8 => (sbyte)data[i],
                TensorType.UINT8 => data[i],
                _ => BinaryPrimitives.ReadInt16LittleEndian(data.Slice(i * 2, 2)),
            };
            output[i] = q.Scale[c] * (v - zp);
        }
        return result;
    }

    private static OptimizationException Invalid(Tensor t, string problem) =>
        new(OptimizationErrorCodes.InvalidTensor, $"tensor {t} {problem}");
}
