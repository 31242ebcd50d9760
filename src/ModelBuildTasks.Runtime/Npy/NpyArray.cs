using System.Globalization;
using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Npy;

/// <summary>
/// A NumPy <c>.npy</c> array: element type, shape and raw little-endian C-order bytes. Enough of the format
/// (versions 1–3) to feed model inputs and save outputs; big-endian or Fortran-order files are refused with
/// <see cref="RuntimeErrorCodes.InvalidNpyFile"/>.
/// </summary>
public sealed class NpyArray
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // NumPy type codes (without byte-order mark) and the tensor types they map to.
    private static readonly (string Code, TensorType Type)[] Types =
    [
        ("f4", TensorType.FLOAT32), ("f2", TensorType.FLOAT16), ("f8", TensorType.FLOAT64),
        ("i1", TensorType.INT8), ("u1", TensorType.UINT8), ("i2", TensorType.INT16), ("u2", TensorType.UINT16),
        ("i4", TensorType.INT32), ("u4", TensorType.UINT32), ("i8", TensorType.INT64), ("u8", TensorType.UINT64),
        ("b1", TensorType.BOOL),
    ];

    public NpyArray(TensorType type, int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (TypeCode(type) is null)
        {
            throw new ArgumentException($"element type {TensorTypes.Name(type)} has no .npy code", nameof(type));
        }
        if (TensorTypes.ByteSize(type, TensorTypes.ElementCount(shape)) != data.LongLength)
        {
            throw new ArgumentException($"{data.Length} bytes do not fill shape [{string.Join(",", shape)}]", nameof(data));
        }
        Type = type;
        Shape = shape;
        Data = data;
    }

    public TensorType Type { get; }

    public int[] Shape { get; }

    /// <summary>Little-endian element bytes in C (row-major) order.</summary>
    public byte[] Data { get; }

    public long ElementCount => TensorTypes.ElementCount(Shape);

    /// <summary>Reads a .npy file.</summary>
    /// <exception cref="ModelFormatException">MBT1001 when the file cannot be read; MBT2007 when it is not a usable .npy array.</exception>
    public static NpyArray ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(ModelErrorCodes.FileUnreadable, $"cannot read the file: {e.Message}", path, e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses .npy bytes; <paramref name="source"/> names them in errors.</summary>
    public static NpyArray Parse(ReadOnlySpan<byte> bytes, string source)
    {
        ModelFormatException Bad(string message) => new(RuntimeErrorCodes.InvalidNpyFile, message, source);

        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
        {
            throw Bad("not a .npy file (missing the \\x93NUMPY signature)");
        }
        var major = bytes[6];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = bytes[8] | (bytes[9] << 8);
                headerStart = 10;
                break;
            case 2 or 3 when bytes.Length >= 12:
                var length = (uint)(bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24));
                headerLength = length > int.MaxValue ? int.MaxValue : (int)length;
                headerStart = 12;
                break;
            default:
                throw Bad($".npy version {major} is not supported");
        }
        if (headerLength > bytes.Length - headerStart)
        {
            throw Bad("truncated header");
        }
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes.Slice(headerStart, headerLength));
        var descr = HeaderValue(header, "descr", Bad);
        var fortran = HeaderValue(header, "fortran_order", Bad);
        var shapeText = HeaderValue(header, "shape", Bad);

        descr = descr.Trim('\'', '"');
        if (descr.Length != 3 || descr[0] is not ('<' or '|' or '='))
        {
            throw Bad($"element type '{descr}' is not supported (little-endian numbers and bool only)");
        }
        var type = Array.Find(Types, t => t.Code == descr[1..]) is { Code: not null } match
            ? match.Type
            : throw Bad($"element type '{descr}' is not supported");
        if (fortran != "False")
        {
            throw Bad("Fortran-order arrays are not supported; save with numpy.ascontiguousarray");
        }
        var shape = ParseShape(shapeText, Bad);
        long count;
        try
        {
            count = TensorTypes.ElementCount(shape);
        }
        catch (OverflowException)
        {
            throw Bad($"shape ({shapeText}) is too large");
        }
        var dataStart = headerStart + headerLength;
        var byteCount = TensorTypes.ByteSize(type, count);
        if (byteCount != bytes.Length - dataStart)
        {
            throw Bad($"shape ({shapeText}) of {descr} needs {byteCount} data bytes; the file has {bytes.Length - dataStart}");
        }
        return new NpyArray(type, shape, bytes[dataStart..].ToArray());
    }

    /// <summary>Writes the array as .npy version 1.0 (header padded to 64 bytes), atomically: a temporary file, then a rename.</summary>
    public void WriteFile(string path)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                Write(stream);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var dims = Shape.Length == 1 ? $"{Shape[0]}," : string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var dict = $"{{'descr': '{(Type is TensorType.INT8 or TensorType.UINT8 or TensorType.BOOL ? '|' : '<')}{TypeCode(Type)}', 'fortran_order': False, 'shape': ({dims}), }}";
        // Magic (6) + version (2) + length (2) + dict + padding spaces + '\n' is a multiple of 64.
        var total = (10 + dict.Length + 1 + 63) / 64 * 64;
        var header = dict + new string(' ', total - 10 - dict.Length - 1) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0, (byte)(header.Length & 0xFF), (byte)(header.Length >> 8)]);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(Data);
    }

    private static string? TypeCode(TensorType type) => Array.Find(Types, t => t.Type == type).Code;

    /// <summary>The text of one value of the header dictionary (a quoted string, a word or a parenthesized tuple).</summary>
    private static string HeaderValue(string header, string key, Func<string, ModelFormatException> bad)
    {
        var at = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (at < 0)
        {
            at = header.IndexOf($"\"{key}\"", StringComparison.Ordinal);
        }
        var colon = at < 0 ? -1 : header.IndexOf(':', at);
        if (colon < 0)
        {
            throw bad($"the header has no '{key}'");
        }
        var i = colon + 1;
        while (i < header.Length && header[i] == ' ')
        {
            i++;
        }
        var end = i < header.Length && header[i] == '(' ? header.IndexOf(')', i) + 1
            : i < header.Length && header[i] is '\'' or '"' ? header.IndexOf(header[i], i + 1) + 1
            : header.IndexOfAny([',', '}'], i);
        if (end <= i)
        {
            throw bad($"the header's '{key}' is malformed");
        }
        return header[i..end].Trim();
    }

    private static int[] ParseShape(string text, Func<string, ModelFormatException> bad)
    {
        if (text.Length < 2 || text[0] != '(' || text[^1] != ')')
        {
            throw bad($"shape '{text}' is malformed");
        }
        var parts = text[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i].TrimEnd('L');
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw bad($"shape '{text}' is malformed");
            }
        }
        return shape;
    }
}
