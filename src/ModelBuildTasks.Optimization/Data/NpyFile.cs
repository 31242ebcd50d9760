using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ModelBuildTasks.Optimization.Data;

/// <summary>Element types of .npy files that samples can be read from.</summary>
public enum NpyType
{
    /// <summary><c>f4</c>.</summary>
    Float32,

    /// <summary><c>f2</c>.</summary>
    Float16,

    /// <summary><c>f8</c>.</summary>
    Float64,

    /// <summary><c>i1</c>.</summary>
    Int8,

    /// <summary><c>u1</c>.</summary>
    UInt8,

    /// <summary><c>i2</c>.</summary>
    Int16,

    /// <summary><c>i4</c>.</summary>
    Int32,

    /// <summary><c>i8</c>.</summary>
    Int64,

    /// <summary><c>b1</c> (numpy bool).</summary>
    Bool,
}

/// <summary>
/// The header of a NumPy <c>.npy</c> file (format versions 1–3): element type, byte order and shape, and where the
/// C-ordered data starts. Reading the header touches only the first bytes, so samples are read lazily.
/// </summary>
public sealed class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private NpyFile(string path, NpyType type, bool bigEndian, long[] shape, long dataOffset)
    {
        Path = path;
        Type = type;
        BigEndian = bigEndian;
        Shape = shape;
        DataOffset = dataOffset;
        ElementCount = 1;
        foreach (var d in shape)
        {
            ElementCount *= d;
        }
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The element type.</summary>
    public NpyType Type { get; }

    /// <summary>True when elements are stored big-endian (<c>&gt;</c>); they are swapped on read.</summary>
    public bool BigEndian { get; }

    /// <summary>The array's shape (empty for a scalar).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Offset of the first element.</summary>
    public long DataOffset { get; }

    /// <summary>Elements in the array.</summary>
    public long ElementCount { get; }

    /// <summary>Bytes per element.</summary>
    public int ElementSize => SizeOf(Type);

    /// <summary>Bytes per element of a type.</summary>
    public static int SizeOf(NpyType type) => type switch
    {
        NpyType.Float64 or NpyType.Int64 => 8,
        NpyType.Float32 or NpyType.Int32 => 4,
        NpyType.Float16 or NpyType.Int16 => 2,
        _ => 1,
    };

    /// <summary>The shape as numpy prints it, e.g. <c>(1, 28, 28)</c>.</summary>
    public string ShapeText => Shape.Count == 1 ? $"({Shape[0]},)" : $"({string.Join(", ", Shape)})";

    /// <summary>Reads and checks the header of <paramref name="path"/>.</summary>
    /// <exception cref="DataException">Missing file, bad header, unsupported dtype, Fortran order or short data.</exception>
    public static NpyFile Open(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            var fileLength = RandomAccess.GetLength(handle);
            Span<byte> prefix = stackalloc byte[12];
            var got = RandomAccess.Read(handle, prefix, 0);
            if (got < 10 || !prefix[..6].SequenceEqual(Magic))
            {
                throw Malformed(path, "not a .npy file (the magic string \\x93NUMPY is missing)");
            }

            var major = prefix[6];
            int headerStart;
            long headerLength;
            switch (major)
            {
                case 1:
                    headerStart = 10;
                    headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
                    break;
                case 2 or 3 when got >= 12:
                    headerStart = 12;
                    headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
                    break;
                default:
                    throw Malformed(path, $"unknown .npy format version {major}");
            }

            if (headerLength > 1 << 20 || headerStart + headerLength > fileLength)
            {
                throw Malformed(path, $"the header length {headerLength} runs past the end of the file");
            }

            var header = new byte[headerLength];
            RandomAccess.Read(handle, header, headerStart);
            var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
            var npy = Parse(path, text, headerStart + headerLength);
            var needed = npy.ElementCount * npy.ElementSize;
            if (fileLength - npy.DataOffset < needed)
            {
                throw Malformed(path,
                    $"the data is truncated: shape {npy.ShapeText} needs {needed} bytes, the file has {fileLength - npy.DataOffset}");
            }
            return npy;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(DataErrorCodes.DataNotFound, $"cannot read the file: {e.Message}", path, e);
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> elements starting at element <paramref name="first"/> as little-endian bytes of
    /// the file's own type.
    /// </summary>
    public void ReadElements(long first, long count, Span<byte> destination)
    {
        var bytes = checked((int)(count * ElementSize));
        try
        {
            using var handle = File.OpenHandle(Path);
            ReadExactly(handle, destination[..bytes], DataOffset + first * ElementSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(DataErrorCodes.DataNotFound, $"cannot read the file: {e.Message}", Path, e);
        }

        if (BigEndian && ElementSize > 1)
        {
            for (var i = 0; i < bytes; i += ElementSize)
            {
                destination.Slice(i, ElementSize).Reverse();
            }
        }
    }

    /// <summary>Reads element <paramref name="first"/>.. as reals (for labels and conversion).</summary>
    public void ReadAsDoubles(long first, Span<double> destination)
    {
        var raw = new byte[destination.Length * ElementSize];
        ReadElements(first, destination.Length, raw);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = ElementAsDouble(raw, Type, i);
        }
    }

    /// <summary>Element <paramref name="i"/> of little-endian <paramref name="raw"/> data of <paramref name="type"/>.</summary>
    internal static double ElementAsDouble(ReadOnlySpan<byte> raw, NpyType type, int i) => type switch
    {
        NpyType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
        NpyType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]),
        NpyType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]),
        NpyType.Int8 => (sbyte)raw[i],
        NpyType.UInt8 or NpyType.Bool => raw[i],
        NpyType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]),
        NpyType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]),
        _ => BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]),
    };

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, offset);
            if (n <= 0)
            {
                throw new EndOfStreamException("the file ended early");
            }
            destination = destination[n..];
            offset += n;
        }
    }

    // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
    private static NpyFile Parse(string path, string header, long dataOffset)
    {
        var descr = StringValue(path, header, "descr");
        var fortran = RawValue(path, header, "fortran_order");
        var shapeText = RawValue(path, header, "shape");
        if (fortran.StartsWith("True", StringComparison.Ordinal))
        {
            throw Malformed(path, "the array is stored in Fortran (column-major) order; save it with numpy.ascontiguousarray");
        }
        if (!fortran.StartsWith("False", StringComparison.Ordinal))
        {
            throw Malformed(path, $"cannot read fortran_order '{fortran}'");
        }

        if (descr.Length < 2)
        {
            throw Unsupported(path, descr);
        }
        var order = descr[0];
        var bigEndian = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        if (order is not ('<' or '>' or '|' or '='))
        {
            throw Unsupported(path, descr);
        }
        NpyType type = descr[1..] switch
        {
            "f4" => NpyType.Float32,
            "f2" => NpyType.Float16,
            "f8" => NpyType.Float64,
            "i1" => NpyType.Int8,
            "u1" => NpyType.UInt8,
            "b1" => NpyType.Bool,
            "i2" => NpyType.Int16,
            "i4" => NpyType.Int32,
            "i8" => NpyType.Int64,
            _ => throw Unsupported(path, descr),
        };

        var close = shapeText.IndexOf(')');
        if (!shapeText.StartsWith('(') || close < 0)
        {
            throw Malformed(path, $"cannot read the shape '{shapeText}'");
        }
        var dims = new List<long>();
        foreach (var part in shapeText[1..close].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var digits = part.TrimEnd('L');
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var d) || d > int.MaxValue)
            {
                throw Malformed(path, $"cannot read the shape '{shapeText[..(close + 1)]}'");
            }
            dims.Add(d);
        }
        long elements = 1;
        foreach (var d in dims)
        {
            elements *= d;
            if (elements > int.MaxValue)
            {
                throw Malformed(path, $"the shape {shapeText[..(close + 1)]} has too many elements");
            }
        }
        return new NpyFile(path, type, bigEndian, dims.ToArray(), dataOffset);
    }

    private static string RawValue(string path, string header, string key)
    {
        var at = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (at < 0)
        {
            at = header.IndexOf($"\"{key}\"", StringComparison.Ordinal);
        }
        var colon = at < 0 ? -1 : header.IndexOf(':', at + key.Length + 2);
        if (colon < 0)
        {
            throw Malformed(path, $"the header has no '{key}' entry");
        }
        return header[(colon + 1)..].TrimStart();
    }

    private static string StringValue(string path, string header, string key)
    {
        var value = RawValue(path, header, key);
        var quote = value.Length > 0 ? value[0] : ' ';
        var end = quote is '\'' or '"' ? value.IndexOf(quote, 1) : -1;
        if (end < 0)
        {
            throw Malformed(path, $"cannot read the '{key}' entry");
        }
        return value[1..end];
    }

    private static DataException Malformed(string path, string message) => new(DataErrorCodes.MalformedNpy, message, path);

    private static DataException Unsupported(string path, string descr) => new(DataErrorCodes.UnsupportedDtype,
        $"dtype '{descr}' is not supported; use f4, f2, f8, i1, u1, i2, i4, i8 or b1", path);
}
