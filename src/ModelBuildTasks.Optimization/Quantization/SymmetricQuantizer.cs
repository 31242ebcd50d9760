using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ModelBuildTasks.Optimization.Quantization;

/// <summary>int8 weights with one scale per channel (or one for the whole tensor); zero points are all 0.</summary>
/// <param name="Values">The int8 values, row-major, same shape as the float weights.</param>
/// <param name="Scales">Per-channel scales (one element for per-tensor): real = scale × q.</param>
/// <param name="Axis">The channel axis the scales run along (0 for per-tensor).</param>
public sealed record SymmetricInt8(sbyte[] Values, float[] Scales, int Axis);

/// <summary>
/// Symmetric int8 weight quantization as the TFLite converter does it (quantization_utils.cc,
/// <c>SymmetricPerChannelQuantization</c>/<c>SymmetricQuantizeFloats</c>): per channel, scale = max|w| / 127 and
/// q = round(w × (127 / max|w|)) with halves rounded away from zero, clamped to [-127, 127]; a channel of zeros gets
/// scale 0 and zeros. The range is symmetric so the zero point is 0 and -128 is never used.
/// </summary>
public static class SymmetricQuantizer
{
    /// <summary>The largest magnitude of a symmetric int8 value.</summary>
    public const int MaxInt8 = 127;

    /// <summary>Quantizes float32 weights per channel along <paramref name="axis"/> (a new array).</summary>
    public static SymmetricInt8 PerChannel(ReadOnlySpan<float> weights, ReadOnlySpan<int> shape, int axis)
    {
        if (axis < 0 || axis >= shape.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is outside a shape of rank {shape.Length}");
        }
        var channels = shape[axis];
        var inner = 1;
        for (var d = axis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }
        var outer = weights.Length / Math.Max(1, channels * inner);
        var maxAbs = new float[channels];
        // Blocks of `inner` consecutive values share a channel; block b has channel b % channels.
        for (var o = 0; o < outer; o++)
        {
            for (var c = 0; c < channels; c++)
            {
                var block = weights.Slice((o * channels + c) * inner, inner);
                if (!block.IsEmpty)
                {
                    maxAbs[c] = MathF.Max(maxAbs[c], MaxAbs(block));
                }
            }
        }
        var scales = new float[channels];
        var inverse = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            scales[c] = maxAbs[c] / MaxInt8;
            inverse[c] = maxAbs[c] == 0 ? 0 : MaxInt8 / maxAbs[c];
        }
        var values = new sbyte[weights.Length];
        for (var o = 0; o < outer; o++)
        {
            for (var c = 0; c < channels; c++)
            {
                var start = (o * channels + c) * inner;
                Quantize(weights.Slice(start, inner), inverse[c], values.AsSpan(start, inner));
            }
        }
        return new SymmetricInt8(values, scales, axis);
    }

    /// <summary>Quantizes float32 weights with a single scale.</summary>
    public static SymmetricInt8 PerTensor(ReadOnlySpan<float> weights)
    {
        var maxAbs = weights.IsEmpty ? 0 : MaxAbs(weights);
        var values = new sbyte[weights.Length];
        Quantize(weights, maxAbs == 0 ? 0 : MaxInt8 / maxAbs, values);
        return new SymmetricInt8(values, [maxAbs / MaxInt8], 0);
    }

    /// <summary>Quantizes float32 weight bytes per channel (see <see cref="PerChannel(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/>).</summary>
    public static SymmetricInt8 PerChannel(ReadOnlySpan<byte> float32, ReadOnlySpan<int> shape, int axis)
    {
        Float16.EnsureLittleEndian();
        return PerChannel(MemoryMarshal.Cast<byte, float>(float32), shape, axis);
    }

    /// <summary>The converter's rounding: round half away from zero of w × inverse scale, clamped to ±127.</summary>
    public static sbyte Quantize(float w, float inverseScale)
    {
        var q = MathF.Round(w * inverseScale, MidpointRounding.AwayFromZero);
        return (sbyte)Math.Clamp(q, -MaxInt8, MaxInt8);
    }

    private static void Quantize(ReadOnlySpan<float> weights, float inverseScale, Span<sbyte> output)
    {
        for (var i = 0; i < weights.Length; i++)
        {
            output[i] = Quantize(weights[i], inverseScale);
        }
    }

    /// <summary>max |w| ignoring NaN (NaN weights quantize to 0, as a cast of NaN would be undefined).</summary>
    private static float MaxAbs(ReadOnlySpan<float> values)
    {
        var m = TensorPrimitives.MaxMagnitude(values);
        if (!float.IsNaN(m))
        {
            return MathF.Abs(m);
        }
        var max = 0f;
        foreach (var v in values)
        {
            if (!float.IsNaN(v))
            {
                max = MathF.Max(max, MathF.Abs(v));
            }
        }
        return max;
    }
}
