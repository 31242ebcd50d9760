using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Compute;

/// <summary>Conversion of stored values to float32: float16 widening, and affine real = scale × (q − zero_point).</summary>
internal static class Dequantization
{
    public static bool CanDequantize(TensorType type) =>
        type is TensorType.FLOAT16 or TensorType.INT8 or TensorType.UINT8 or TensorType.INT16 or TensorType.INT32;

    /// <summary>Per-channel scale and zero point for each element position; per-tensor when only one is given.</summary>
    public static void Dequantize(TensorType type, ReadOnlySpan<byte> src, Span<float> dst, TensorQuantization? q, int[] shape)
    {
        if (type == TensorType.FLOAT16)
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src)[..dst.Length], dst);
            return;
        }
        if (q is null || q.Scale.Length == 0)
        {
            throw new InvalidOperationException("quantized tensor without scale");
        }
        var channels = q.Scale.Length;
        long inner = 1;
        if (channels > 1)
        {
            for (var d = q.QuantizedDimension + 1; d < shape.Length; d++)
            {
                inner *= shape[d];
            }
        }
        for (var i = 0; i < dst.Length; i++)
        {
            var c = channels == 1 ? 0 : (int)(i / inner % channels);
            var zero = q.ZeroPoint.Length > c ? q.ZeroPoint[c] : q.ZeroPoint.Length > 0 ? q.ZeroPoint[0] : 0;
            long v = type switch
            {
                TensorType.INT8 => (sbyte)src[i],
                TensorType.UINT8 => src[i],
                TensorType.INT16 => MemoryMarshal.Read<short>(src[(i * 2)..]),
                _ => MemoryMarshal.Read<int>(src[(i * 4)..]),
            };
            dst[i] = q.Scale[c] * (v - zero);
        }
    }

    /// <summary>True when the quantization parameters are usable for the given shape.</summary>
    public static bool IsValid(TensorQuantization? q, int[] shape) =>
        q is { Scale.Length: > 0 } && (q.Scale.Length == 1 ||
            (q.QuantizedDimension >= 0 && q.QuantizedDimension < shape.Length && shape[q.QuantizedDimension] == q.Scale.Length));

    public static string Describe(TensorType type) => TensorTypes.Name(type);
}
