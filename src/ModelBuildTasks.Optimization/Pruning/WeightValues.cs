using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Quantization;

namespace ModelBuildTasks.Optimization.Pruning;

/// <summary>
/// Reads and writes the real values of a dense float32, float16 or int8 weight constant. int8 values are
/// (q − zero point) × scale, per channel along the quantized dimension; their "zero" is the zero point, so a pruned
/// int8 element stays exactly 0.0 after dequantization.
/// </summary>
internal static class WeightValues
{
    /// <summary>The real values of the constant (a new array).</summary>
    public static float[] Read(Tensor t)
    {
        Float16.EnsureLittleEndian();
        var count = checked((int)t.ElementCount);
        var data = t.Data.Span;
        var result = new float[count];
        switch (t.Type)
        {
            case TensorType.FLOAT32:
                MemoryMarshal.Cast<byte, float>(data)[..count].CopyTo(result);
                break;
            case TensorType.FLOAT16:
            {
                var half = MemoryMarshal.Cast<byte, Half>(data);
                for (var i = 0; i < count; i++)
                {
                    result[i] = (float)half[i];
                }
                break;
            }
            case TensorType.INT8:
            {
                var (channels, inner) = ChannelLayout(t);
                var q = t.Quantization!;
                for (var i = 0; i < count; i++)
                {
                    var c = channels == 1 ? 0 : (int)(i / inner % channels);
                    result[i] = ((sbyte)data[i] - (float)q.ZeroPoint[c]) * q.Scale[c];
                }
                break;
            }
            default:
                throw new OptimizationException(OptimizationErrorCodes.InvalidTensor, $"tensor {t}: weights of this type cannot be rewritten");
        }
        return result;
    }

    /// <summary>The constant's bytes with the elements flagged in <paramref name="zero"/> set to an exact zero.</summary>
    public static byte[] WithZeros(Tensor t, ReadOnlySpan<bool> zero)
    {
        var bytes = t.Data.ToArray();
        var size = TensorTypes.ElementSize(t.Type);
        var (channels, inner) = t.Type == TensorType.INT8 ? ChannelLayout(t) : (1, 1L);
        for (var i = 0; i < zero.Length; i++)
        {
            if (!zero[i])
            {
                continue;
            }
            if (t.Type == TensorType.INT8)
            {
                var c = channels == 1 ? 0 : (int)(i / inner % channels);
                bytes[i] = unchecked((byte)(sbyte)t.Quantization!.ZeroPoint[c]);
            }
            else
            {
                bytes.AsSpan(i * size, size).Clear();
            }
        }
        return bytes;
    }

    /// <summary>
    /// Bytes holding <paramref name="values"/> in the constant's type: float16 rounds to nearest even; int8 rounds
    /// half away from zero with the constant's own scales and zero points, clamped to [-128, 127].
    /// </summary>
    public static byte[] Write(Tensor t, ReadOnlySpan<float> values)
    {
        Float16.EnsureLittleEndian();
        switch (t.Type)
        {
            case TensorType.FLOAT32:
                return MemoryMarshal.AsBytes(values).ToArray();
            case TensorType.FLOAT16:
            {
                var bytes = new byte[values.Length * 2];
                var half = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
                for (var i = 0; i < values.Length; i++)
                {
                    half[i] = (Half)values[i];
                }
                return bytes;
            }
            case TensorType.INT8:
            {
                var bytes = new byte[values.Length];
                var (channels, inner) = ChannelLayout(t);
                var q = t.Quantization!;
                for (var i = 0; i < values.Length; i++)
                {
                    var c = channels == 1 ? 0 : (int)(i / inner % channels);
                    var scale = q.Scale[c];
                    var code = scale == 0 ? q.ZeroPoint[c] : MathF.Round(values[i] / scale, MidpointRounding.AwayFromZero) + q.ZeroPoint[c];
                    bytes[i] = unchecked((byte)(sbyte)Math.Clamp(code, sbyte.MinValue, sbyte.MaxValue));
                }
                return bytes;
            }
            default:
                throw new OptimizationException(OptimizationErrorCodes.InvalidTensor, $"tensor {t}: weights of this type cannot be rewritten");
        }
    }

    /// <summary>For int8: the number of quantization channels and the element stride of one channel step.</summary>
    public static (int Channels, long Inner) ChannelLayout(Tensor t)
    {
        var q = t.Quantization;
        if (q is null || q.Scale.Length <= 1)
        {
            return (1, 1);
        }
        long inner = 1;
        for (var d = q.QuantizedDimension + 1; d < t.Shape.Length; d++)
        {
            inner *= t.Shape[d];
        }
        return (q.Scale.Length, inner);
    }

    /// <summary>Number of distinct stored values (by bit pattern) in a dense constant.</summary>
    public static int UniqueValues(Tensor t)
    {
        var size = TensorTypes.ElementSize(t.Type);
        var data = t.Data.Span;
        var set = new HashSet<ulong>();
        for (var i = 0; i + size <= data.Length; i += size)
        {
            ulong key = 0;
            for (var b = 0; b < size; b++)
            {
                key |= (ulong)data[i + b] << (8 * b);
            }
            set.Add(key);
        }
        return set.Count;
    }
}
