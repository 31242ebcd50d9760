using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Data;

/// <summary>
/// Converts tensor bytes to and from real (float) values: float16 widening, affine dequantization
/// real = scale × (q − zero point) per tensor or per axis, and quantization q = round(real / scale) + zero point
/// (halves away from zero, as TFLite's reference QUANTIZE kernel rounds) clamped to the type's range.
/// </summary>
public static class TensorValues
{
    /// <summary>True when values of <paramref name="type"/> can be read as reals.</summary>
    public static bool CanRead(TensorType type) => type is TensorType.FLOAT32 or TensorType.FLOAT16 or TensorType.FLOAT64
        or TensorType.INT8 or TensorType.UINT8 or TensorType.INT16 or TensorType.INT32 or TensorType.INT64 or TensorType.BOOL;

    /// <summary>True when reals can be written as <paramref name="type"/>.</summary>
    public static bool CanWrite(TensorType type) => CanRead(type);

    /// <summary>
    /// Reads <paramref name="destination"/>.Length elements of <paramref name="type"/> from <paramref name="source"/> as
    /// reals. Integer tensors with quantization are dequantized (per axis along the quantized dimension of
    /// <paramref name="shape"/>); integers without are converted as they are.
    /// </summary>
    public static void ToFloat(
        ReadOnlySpan<byte> source, TensorType type, TensorQuantization? quantization, ReadOnlySpan<int> shape, Span<float> destination)
    {
        var n = destination.Length;
        switch (type)
        {
            case TensorType.FLOAT32:
                MemoryMarshal.Cast<byte, float>(source)[..n].CopyTo(destination);
                return;
            case TensorType.FLOAT16:
                var halves = MemoryMarshal.Cast<byte, Half>(source);
                for (var i = 0; i < n; i++)
                {
                    destination[i] = (float)halves[i];
                }
                return;
            case TensorType.FLOAT64:
                var doubles = MemoryMarshal.Cast<byte, double>(source);
                for (var i = 0; i < n; i++)
                {
                    destination[i] = (float)doubles[i];
                }
                return;
        }

        var q = quantization is { Scale.Length: > 0 } ? quantization : null;
        var channels = q?.Scale.Length ?? 1;
        var inner = channels > 1 ? InnerSize(shape, q!.QuantizedDimension) : 1;
        for (var i = 0; i < n; i++)
        {
            double v = type switch
            {
                TensorType.INT8 => (sbyte)source[i],
                TensorType.UINT8 or TensorType.BOOL => source[i],
                TensorType.INT16 => BinaryPrimitives.ReadInt16LittleEndian(source[(i * 2)..]),
                TensorType.INT32 => BinaryPrimitives.ReadInt32LittleEndian(source[(i * 4)..]),
                TensorType.INT64 => BinaryPrimitives.ReadInt64LittleEndian(source[(i * 8)..]),
                _ => throw Unsupported(type),
            };
            if (q is not null)
            {
                var c = channels == 1 ? 0 : (int)(i / inner % channels);
                v = q.Scale[c] * (v - ZeroPoint(q, c));
            }
            destination[i] = (float)v;
        }
    }

    /// <summary>
    /// Writes reals as elements of <paramref name="type"/>: floats are narrowed, quantized integer types are quantized
    /// with the tensor's per-tensor (or per-axis) parameters, plain integers are rounded; all clamped to the type's range.
    /// </summary>
    public static void FromFloat(
        ReadOnlySpan<float> source, TensorType type, TensorQuantization? quantization, ReadOnlySpan<int> shape, Span<byte> destination)
    {
        var n = source.Length;
        switch (type)
        {
            case TensorType.FLOAT32:
                source.CopyTo(MemoryMarshal.Cast<byte, float>(destination));
                return;
            case TensorType.FLOAT16:
                var halves = MemoryMarshal.Cast<byte, Half>(destination);
                for (var i = 0; i < n; i++)
                {
                    halves[i] = (Half)source[i];
                }
                return;
            case TensorType.FLOAT64:
                var doubles = MemoryMarshal.Cast<byte, double>(destination);
                for (var i = 0; i < n; i++)
                {
                    doubles[i] = source[i];
                }
                return;
        }

        var q = quantization is { Scale.Length: > 0 } ? quantization : null;
        var channels = q?.Scale.Length ?? 1;
        var inner = channels > 1 ? InnerSize(shape, q!.QuantizedDimension) : 1;
        var (min, max) = Range(type);
        for (var i = 0; i < n; i++)
        {
            double v = source[i];
            if (q is not null)
            {
                var c = channels == 1 ? 0 : (int)(i / inner % channels);
                v = Math.Round(v / q.Scale[c], MidpointRounding.AwayFromZero) + ZeroPoint(q, c);
            }
            v = double.IsNaN(v) ? 0 : Math.Clamp(Math.Round(v, MidpointRounding.AwayFromZero), min, max);
            switch (type)
            {
                case TensorType.INT8:
                    destination[i] = (byte)(sbyte)v;
                    break;
                case TensorType.UINT8 or TensorType.BOOL:
                    destination[i] = type == TensorType.BOOL ? (byte)(v != 0 ? 1 : 0) : (byte)v;
                    break;
                case TensorType.INT16:
                    BinaryPrimitives.WriteInt16LittleEndian(destination[(i * 2)..], (short)v);
                    break;
                case TensorType.INT32:
                    BinaryPrimitives.WriteInt32LittleEndian(destination[(i * 4)..], (int)v);
                    break;
                case TensorType.INT64:
                    BinaryPrimitives.WriteInt64LittleEndian(destination[(i * 8)..], (long)v);
                    break;
                default:
                    throw Unsupported(type);
            }
        }
    }

    private static (double Min, double Max) Range(TensorType type) => type switch
    {
        TensorType.INT8 => (sbyte.MinValue, sbyte.MaxValue),
        TensorType.UINT8 => (byte.MinValue, byte.MaxValue),
        TensorType.BOOL => (0, 1),
        TensorType.INT16 => (short.MinValue, short.MaxValue),
        TensorType.INT32 => (int.MinValue, int.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };

    private static long ZeroPoint(TensorQuantization q, int channel) =>
        q.ZeroPoint.Length > channel ? q.ZeroPoint[channel] : q.ZeroPoint.Length > 0 ? q.ZeroPoint[0] : 0;

    private static long InnerSize(ReadOnlySpan<int> shape, int dimension)
    {
        long inner = 1;
        for (var d = dimension + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }
        return Math.Max(inner, 1);
    }

    private static OptimizationException Unsupported(TensorType type) =>
        new(OptimizationErrorCodes.InvalidTensor, $"tensor type {TensorTypes.Name(type)} has no real-valued form");
}
