using System.Buffers.Binary;

namespace ModelBuildTasks.Model.Format;

/// <summary>
/// The zip of associated files (labels, vocabularies) that TFLite's metadata tools append to a model. Those tools
/// append it the way Python's zipfile does, with offsets counted from the start of the model file; some other tools
/// count from the start of the zip. The IR always holds the zip with offsets from its own start (so it stays valid
/// wherever it goes), and the writer turns them back into file offsets where it places the zip.
/// </summary>
internal static class AssociatedFilesZip
{
    private const uint EndOfCentralDirectory = 0x06054b50;
    private const uint CentralDirectoryEntry = 0x02014b50;
    private const uint LocalFileHeader = 0x04034b50;
    private const int EndRecordSize = 22;

    /// <summary>A zip's end record and the positions of the offsets its central directory holds.</summary>
    private sealed record Directory(int EndRecord, long DirectoryStart, uint DirectoryOffset, List<long> HeaderOffsetPositions, long FirstLocalHeader);

    /// <summary>The appended zip, or empty when the file does not end with one.</summary>
    public static ReadOnlyMemory<byte> Find(byte[] file)
    {
        if (ReadDirectory(file, 8) is not { } d)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        long shift = d.DirectoryStart - d.DirectoryOffset; // 0 when offsets count from the file start
        var zipStart = shift + d.FirstLocalHeader;
        if (zipStart <= 8 || zipStart >= d.DirectoryStart ||
            BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)zipStart)) != LocalFileHeader)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (shift == zipStart)
        {
            return new ReadOnlyMemory<byte>(file, (int)zipStart, file.Length - (int)zipStart); // already relative
        }
        // Offsets count from somewhere before the zip: copy it and rebase them onto its own start.
        return Rebase(file.AsSpan((int)zipStart), d, zipStart, -(zipStart - shift));
    }

    /// <summary>
    /// The zip (offsets from its own start, as the IR holds it) with its offsets counted from <paramref name="position"/>
    /// bytes earlier: the form to append at that position of a file. Unchanged when the offsets would pass 4 GB (zip64
    /// is not written), since a zip reader that tolerates leading data still reads that form.
    /// </summary>
    public static ReadOnlyMemory<byte> PlaceAt(ReadOnlyMemory<byte> zip, long position)
    {
        if (zip.IsEmpty || position == 0)
        {
            return zip;
        }
        var span = zip.Span;
        if (ReadDirectory(span, 0) is not { } d || d.DirectoryStart != d.DirectoryOffset)
        {
            throw new ModelFormatException(ModelErrorCodes.InvalidGraph,
                "the model's associated files are not a zip archive with offsets from its own start; they cannot be appended");
        }
        return position + zip.Length > uint.MaxValue ? zip : Rebase(span, d, 0, position);
    }

    /// <summary>A copy of the zip starting at <paramref name="zipStart"/> with <paramref name="delta"/> added to its offsets.</summary>
    private static byte[] Rebase(ReadOnlySpan<byte> zipSpan, Directory d, long zipStart, long delta)
    {
        var zip = zipSpan.ToArray();
        foreach (var at in d.HeaderOffsetPositions)
        {
            var local = zip.AsSpan((int)(at - zipStart));
            BinaryPrimitives.WriteUInt32LittleEndian(local, (uint)(BinaryPrimitives.ReadUInt32LittleEndian(local) + delta));
        }
        var record = zip.AsSpan((int)(d.EndRecord - zipStart) + 16);
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(d.DirectoryOffset + delta));
        return zip;
    }

    /// <summary>
    /// Walks the central directory of a zip that ends exactly at the end of <paramref name="data"/>; null when there is
    /// none, it is empty or zip64, or an entry lies outside the data.
    /// </summary>
    private static Directory? ReadDirectory(ReadOnlySpan<byte> data, int lowestStart)
    {
        var end = FindEndRecord(data, lowestStart);
        if (end < 0)
        {
            return null;
        }
        var entries = BinaryPrimitives.ReadUInt16LittleEndian(data[(end + 10)..]);
        var directorySize = BinaryPrimitives.ReadUInt32LittleEndian(data[(end + 12)..]);
        var directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[(end + 16)..]);
        long directoryStart = end - (long)directorySize;
        if (entries == 0 || entries == 0xFFFF || directoryStart < lowestStart || directoryStart < directoryOffset)
        {
            return null; // empty, zip64 or not a zip we can relocate
        }

        long first = long.MaxValue;
        var position = directoryStart;
        var headerOffsets = new List<long>(entries);
        for (var i = 0; i < entries; i++)
        {
            if (position + 46 > end || BinaryPrimitives.ReadUInt32LittleEndian(data[(int)position..]) != CentralDirectoryEntry)
            {
                return null;
            }
            var localOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(position + 42)..]);
            headerOffsets.Add(position + 42);
            first = Math.Min(first, localOffset);
            position += 46 + BinaryPrimitives.ReadUInt16LittleEndian(data[(int)(position + 28)..])
                        + BinaryPrimitives.ReadUInt16LittleEndian(data[(int)(position + 30)..])
                        + BinaryPrimitives.ReadUInt16LittleEndian(data[(int)(position + 32)..]);
        }
        return new Directory(end, directoryStart, directoryOffset, headerOffsets, first);
    }

    /// <summary>Position of an end-of-central-directory record that ends exactly at the end of the data, or -1.</summary>
    private static int FindEndRecord(ReadOnlySpan<byte> data, int lowestStart)
    {
        var lowest = Math.Max(lowestStart, data.Length - EndRecordSize - ushort.MaxValue);
        for (var at = data.Length - EndRecordSize; at >= lowest; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(data[at..]) == EndOfCentralDirectory &&
                at + EndRecordSize + BinaryPrimitives.ReadUInt16LittleEndian(data[(at + 20)..]) == data.Length)
            {
                return at;
            }
        }
        return -1;
    }
}
