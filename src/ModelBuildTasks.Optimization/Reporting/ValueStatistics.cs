using System.Buffers.Binary;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Reporting;

/// <summary>Sparsity (fraction of exact zeros) and distinct-value count of a constant tensor.</summary>
internal readonly record struct ValueStatistics(double Sparsity, long UniqueValues)
{
    /// <summary>Statistics of <paramref name="tensor"/>'s data, or null for types without fixed-size elements.</summary>
    public static ValueStatistics? Of(Tensor tensor)
    {
        var size = TensorTypes.ElementSize(tensor.Type);
        var data = tensor.Data.Span;
        if (size == 0 || !Readable(tensor.Type))
        {
            return null;
        }
        var stored = data.Length / size;
        var dense = Math.Max(tensor.ElementCount, stored);
        // Sparse tensors store only some values; the rest are implicit zeros.
        var implicitZeros = tensor.Sparsity is null ? 0 : dense - stored;
        var zeroPoints = tensor.Quantization is { ZeroPoint.Length: > 0 } q && q.ZeroPoint.Any(z => z != 0) && tensor.Sparsity is null
            ? q : null;
        var zeroPoint = tensor.Quantization is { ZeroPoint.Length: > 0 } q0 ? q0.ZeroPoint[0] : 0;
        var (zeros, unique, storedHasZero) = tensor.Type switch
        {
            TensorType.FLOAT32 => Float32(data, stored),
            TensorType.FLOAT16 => Small(data, stored, SmallKind.Half, 0),
            TensorType.INT8 => zeroPoints is null
                ? Small(data, stored, SmallKind.Int8, zeroPoint + 128)
                : PerChannel(tensor, zeroPoints, stored),
            TensorType.UINT8 or TensorType.BOOL => zeroPoints is null
                ? Small(data, stored, SmallKind.UInt8, zeroPoint)
                : PerChannel(tensor, zeroPoints, stored),
            TensorType.INT16 => zeroPoints is null
                ? Small(data, stored, SmallKind.Int16, zeroPoint + 32768)
                : PerChannel(tensor, zeroPoints, stored),
            _ => Wide(tensor.Type, data, stored, zeroPoint),
        };
        // The -0/+0 folding of floats keeps one zero value; implicit zeros add one value if none was stored.
        var distinct = unique + (implicitZeros > 0 && !storedHasZero ? 1 : 0);
        return new ValueStatistics(dense == 0 ? 0 : (double)(zeros + implicitZeros) / dense, distinct);
    }

    private static bool Readable(TensorType type) => type is TensorType.FLOAT32 or TensorType.FLOAT16 or TensorType.FLOAT64
        or TensorType.INT8 or TensorType.UINT8 or TensorType.BOOL or TensorType.INT16 or TensorType.INT32 or TensorType.INT64;

    private static (long Zeros, long Unique, bool HasZero) Float32(ReadOnlySpan<byte> data, int count)
    {
        var seen = new HashSet<uint>();
        long zeros = 0;
        for (var i = 0; i < count; i++)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]);
            if ((bits & 0x7FFFFFFF) == 0)
            {
                bits = 0;
                zeros++;
            }
            seen.Add(bits);
        }
        return (zeros, seen.Count, zeros > 0);
    }

    private enum SmallKind
    {
        Half,
        Int8,
        UInt8,
        Int16,
    }

    // Types of at most 16 bits: a presence table instead of a hash set, indexed by the element mapped to 0..65535.
    private static (long Zeros, long Unique, bool HasZero) Small(ReadOnlySpan<byte> data, int count, SmallKind kind, long zeroKey)
    {
        var seen = new bool[kind is SmallKind.Int8 or SmallKind.UInt8 ? 256 : 65536];
        long zeros = 0;
        long unique = 0;
        for (var i = 0; i < count; i++)
        {
            var k = kind switch
            {
                SmallKind.Half => BinaryPrimitives.ReadUInt16LittleEndian(data[(i * 2)..]) is var h && (h & 0x7FFF) == 0 ? 0 : h, // -0 counts as 0
                SmallKind.Int8 => (sbyte)data[i] + 128,
                SmallKind.UInt8 => data[i],
                _ => BinaryPrimitives.ReadInt16LittleEndian(data[(i * 2)..]) + 32768,
            };
            if (k == zeroKey)
            {
                zeros++;
            }
            if (!seen[k])
            {
                seen[k] = true;
                unique++;
            }
        }
        return (zeros, unique, zeros > 0);
    }

    // Integer tensors with per-channel zero points: an element is zero when it equals its channel's zero point.
    private static (long Zeros, long Unique, bool HasZero) PerChannel(Tensor tensor, TensorQuantization q, int count)
    {
        var reals = new float[count];
        Data.TensorValues.ToFloat(tensor.Data.Span, tensor.Type, q, tensor.Shape, reals);
        var raw = new HashSet<long>();
        long zeros = 0;
        var size = TensorTypes.ElementSize(tensor.Type);
        var data = tensor.Data.Span;
        for (var i = 0; i < count; i++)
        {
            zeros += reals[i] == 0 ? 1 : 0;
            raw.Add(size == 1 ? data[i] : BinaryPrimitives.ReadInt16LittleEndian(data[(i * 2)..]));
        }
        return (zeros, raw.Count, zeros > 0);
    }

    private static (long Zeros, long Unique, bool HasZero) Wide(TensorType type, ReadOnlySpan<byte> data, int count, long zeroPoint)
    {
        var seen = new HashSet<long>();
        long zeros = 0;
        for (var i = 0; i < count; i++)
        {
            var v = type switch
            {
                TensorType.INT32 => BinaryPrimitives.ReadInt32LittleEndian(data[(i * 4)..]),
                TensorType.INT64 => BinaryPrimitives.ReadInt64LittleEndian(data[(i * 8)..]),
                _ => (long)(BinaryPrimitives.ReadUInt64LittleEndian(data[(i * 8)..]) & 0x7FFFFFFFFFFFFFFF) == 0
                    ? 0 : (long)BinaryPrimitives.ReadUInt64LittleEndian(data[(i * 8)..]),
            };
            var isZero = type == TensorType.FLOAT64 ? v == 0 : v == zeroPoint;
            zeros += isZero ? 1 : 0;
            seen.Add(v);
        }
        return (zeros, seen.Count, zeros > 0);
    }
}
