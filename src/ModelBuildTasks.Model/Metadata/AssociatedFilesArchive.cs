using System.IO.Compression;
using System.Text;

namespace ModelBuildTasks.Model.Metadata;

/// <summary>The zip of associated files (labels, vocabularies) that TFLite metadata refers to by name.</summary>
internal static class AssociatedFilesArchive
{
    /// <summary>Largest associated text file read into memory (a label file of a million classes is far smaller).</summary>
    public const int MaxTextBytes = 64 << 20;

    // Zip timestamps cannot be earlier than 1980; a fixed one keeps the output byte-identical between runs.
    private static readonly DateTimeOffset FixedTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static byte[] Create(IEnumerable<KeyValuePair<string, byte[]>> files)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, data) in files)
            {
                if (string.IsNullOrEmpty(name) || !names.Add(name))
                {
                    throw new ArgumentException($"associated file names must be unique and non-empty: '{name}'", nameof(files));
                }
                var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
                entry.LastWriteTime = FixedTime;
                using var content = entry.Open();
                content.Write(data);
            }
        }
        return stream.ToArray();
    }

    /// <summary>The lines of text file <paramref name="name"/> of the zip, or throws a metadata error naming <paramref name="user"/>.</summary>
    public static List<string> ReadLines(ReadOnlyMemory<byte> zipBytes, string name, string user)
    {
        if (zipBytes.IsEmpty)
        {
            throw MetadataParser.Error($"{user} names labels file '{name}', but the model has no associated files (no zip after the FlatBuffer)");
        }
        byte[] data;
        try
        {
            using var zip = new ZipArchive(new ReadOnlyMemoryStream(zipBytes), ZipArchiveMode.Read);
            var entry = zip.GetEntry(name) ?? throw MetadataParser.Error(
                $"{user} names labels file '{name}', which the model's associated files do not contain");
            if (entry.Length > MaxTextBytes)
            {
                throw MetadataParser.Error($"{user} labels file '{name}' is {entry.Length} bytes, more than the {MaxTextBytes}-byte limit");
            }
            using var content = entry.Open();
            data = ReadUpTo(content, entry.Length, $"{user} labels file '{name}'");
            // Zip readers do not all check these: a corrupt entry must not turn into wrong labels.
            if (data.Length != entry.Length || Crc32(data) != entry.Crc32)
            {
                throw MetadataParser.Error($"{user} labels file '{name}' is corrupt: {data.Length} bytes with CRC-32 " +
                                           $"{Crc32(data):x8}, but its zip entry declares {entry.Length} bytes with CRC-32 {entry.Crc32:x8}");
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            throw MetadataParser.Error($"the associated files zip is corrupt; reading labels file '{name}' of {user} failed: {e.Message}", e);
        }
        return SplitLines(data);
    }

    /// <summary>
    /// The entry's bytes, read in chunks rather than into an array of the size the zip declares: a corrupt directory
    /// can declare any size, and memory should follow the data that is really there.
    /// </summary>
    private static byte[] ReadUpTo(Stream content, long declared, string what)
    {
        using var data = new MemoryStream();
        var chunk = new byte[16 << 10];
        int n;
        while ((n = content.Read(chunk)) > 0)
        {
            if (data.Length + n > declared)
            {
                throw MetadataParser.Error($"{what} holds more than the {declared} bytes its zip entry declares");
            }
            data.Write(chunk, 0, n);
        }
        return data.ToArray();
    }

    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>The zip format's CRC-32 (reflected polynomial 0xEDB88320, initial and final value 0xFFFFFFFF).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }

    /// <summary>One entry per line; "\r\n" and "\n" both end a line; a final line break does not add an empty label.</summary>
    private static List<string> SplitLines(byte[] data)
    {
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(data);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }
            var line = text[start..end];
            lines.Add(line.EndsWith('\r') ? line[..^1] : line);
            start = end + 1;
        }
        return lines;
    }

    /// <summary>A read-only, seekable stream over memory without copying it.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => memory.Length;

        public override long Position
        {
            get => _position;
            set => _position = (int)Math.Clamp(value, 0, memory.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => memory.Length + offset,
            };
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
