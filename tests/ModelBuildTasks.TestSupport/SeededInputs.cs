using System.Buffers.Binary;

namespace ModelBuildTasks.TestSupport;

/// <summary>
/// The mulberry32 pseudo-random generator (32-bit state), as used by the LiteRT.js oracles for <c>--seed</c>.
/// </summary>
public sealed class Mulberry32
{
    private uint state;

    /// <summary>Starts the stream at <paramref name="seed"/>.</summary>
    public Mulberry32(int seed) => state = unchecked((uint)seed);

    /// <summary>Next 32-bit value.</summary>
    public uint Next()
    {
        unchecked
        {
            state += 0x6D2B79F5u;
            var t = (state ^ (state >> 15)) * (state | 1u);
            t = (t + ((t ^ (t >> 7)) * (t | 61u))) ^ t;
            return t ^ (t >> 14);
        }
    }
}

/// <summary>
/// Deterministic model inputs, byte-identical to what the oracle generates with <c>--seed</c>
/// (<see cref="Oracle.RunSeeded"/>): one mulberry32 stream filled input after input, element after element.
/// </summary>
/// <remarks>
/// With <c>u</c> the next uint32: float32/float64 = <c>lo + (hi-lo) * (u &gt;&gt; 8) / 2^24</c> (computed in double,
/// then rounded to the element type); uint8 = <c>u &gt;&gt; 24</c>; int8 = <c>(u &gt;&gt; 24) - 128</c>;
/// int16 = <c>(u &gt;&gt; 16) - 32768</c>; int32/int64 = <c>u &gt;&gt; 24</c>; bool = <c>u &gt;&gt; 31</c>.
/// </remarks>
public static class SeededInputs
{
    /// <summary>Generates one little-endian byte array per input description, in order.</summary>
    /// <exception cref="NotSupportedException">A dtype the generator does not define (e.g. float16).</exception>
    public static IReadOnlyList<byte[]> Generate(int seed, IReadOnlyList<OracleTensorInfo> inputs, double lo = 0, double hi = 1)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Generate(seed, inputs.Select(i => (i.DType, i.ElementCount)).ToList(), lo, hi);
    }

    /// <summary>Generates one little-endian byte array per (dtype, element count), in order.</summary>
    public static IReadOnlyList<byte[]> Generate(int seed, IReadOnlyList<(string DType, long Count)> inputs, double lo = 0, double hi = 1)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var rng = new Mulberry32(seed);
        var result = new List<byte[]>(inputs.Count);
        foreach (var (dtype, count) in inputs)
        {
            result.Add(Fill(rng, dtype, checked((int)count), lo, hi));
        }

        return result;
    }

    /// <summary>Like <see cref="Generate(int, IReadOnlyList{OracleTensorInfo}, double, double)"/> for a single float32 tensor, as floats.</summary>
    public static float[] Floats(int seed, int count, float lo = 0, float hi = 1)
    {
        var rng = new Mulberry32(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)Real(rng.Next(), lo, hi);
        }

        return values;
    }

    private static double Real(uint u, double lo, double hi) => lo + ((hi - lo) * ((u >> 8) / 16777216.0));

    private static byte[] Fill(Mulberry32 rng, string dtype, int n, double lo, double hi)
    {
        switch (dtype)
        {
            case "float32":
            {
                var b = new byte[n * 4];
                for (var i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), (float)Real(rng.Next(), lo, hi));
                }

                return b;
            }

            case "float64":
            {
                var b = new byte[n * 8];
                for (var i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(i * 8), Real(rng.Next(), lo, hi));
                }

                return b;
            }

            case "uint8":
            case "bool":
            case "int8":
            {
                var b = new byte[n];
                for (var i = 0; i < n; i++)
                {
                    var u = rng.Next();
                    b[i] = dtype switch
                    {
                        "uint8" => (byte)(u >> 24),
                        "bool" => (byte)(u >> 31),
                        _ => unchecked((byte)(sbyte)((int)(u >> 24) - 128)),
                    };
                }

                return b;
            }

            case "int16":
            {
                var b = new byte[n * 2];
                for (var i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(i * 2), (short)((int)(rng.Next() >> 16) - 32768));
                }

                return b;
            }

            case "int32":
            {
                var b = new byte[n * 4];
                for (var i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(i * 4), (int)(rng.Next() >> 24));
                }

                return b;
            }

            case "int64":
            {
                var b = new byte[n * 8];
                for (var i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(i * 8), rng.Next() >> 24);
                }

                return b;
            }

            default:
                throw new NotSupportedException($"The seeded generator has no rule for dtype '{dtype}'.");
        }
    }
}
