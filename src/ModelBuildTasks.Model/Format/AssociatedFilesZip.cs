using System.Buffers.Binary;

namespace ModelBuildTasks.Model.Format;

/// <summary>
/// Finds the zip of associated files (labels, vocabularies) that TFLite's metadata tools append to a model.
/// Tools write its offsets either from the start of the file or from the start of the zip; the returned zip always
/// uses the latter, so it stays valid wherever a writer puts it.
/// </summary>
internal static class AssociatedFilesZip
{
    private const uint EndOfCentralDirectory = 0x06054b50;
    private const uint CentralDirectoryEntry = 0x02014b50;
    private const uint LocalFileHeader = 0x04034b50;
    private const int EndRecordSize = 22;

    /// <summary>The appended zip, or empty when the file does not end with one.</summary>
    public static ReadOnlyMemory<byte> Find(byte[] file)
    {
        var end = FindEndRecord(file);
        if (end < 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var span = file.AsSpan();
        var entries = BinaryPrimitives.ReadUInt16LittleEndian(span[(end + 10)..]);
        var directorySize = BinaryPrimitives.ReadUInt32LittleEndian(span[(end + 12)..]);
        var directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[(end + 16)..]);
        long directoryStart = end - (long)directorySize;
        long shift = directoryStart - directoryOffset; // 0 when offsets count from the file start
        if (entries == 0 || entries == 0xFFFF || directoryStart < 0 || shift < 0)
        {
            return ReadOnlyMemory<byte>.Empty; // empty, zip64 or not a zip we can relocate
        }

        // The zip starts at its first local header, wherever the central directory says that is.
        long first = long.MaxValue;
        var position = directoryStart;
        var headerOffsets = new List<long>(entries);
        for (var i = 0; i < entries; i++)
        {
            if (position + 46 > end || BinaryPrimitives.ReadUInt32LittleEndian(span[(int)position..]) != CentralDirectoryEntry)
            {
                return ReadOnlyMemory<byte>.Empty;
            }
            var localOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(position + 42)..]);
            headerOffsets.Add(position + 42);
            first = Math.Min(first, localOffset);
            position += 46 + BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(position + 28)..])
                        + BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(position + 30)..])
                        + BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(position + 32)..]);
        }
        var zipStart = shift + first;
        if (zipStart <= 8 || zipStart >= directoryStart ||
            BinaryPrimitives.ReadUInt32LittleEndian(span[(int)zipStart..]) != LocalFileHeader)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (shift == zipStart)
        {
            return new ReadOnlyMemory<byte>(file, (int)zipStart, file.Length - (int)zipStart); // already relative
        }

        // Offsets count from the file start: copy the zip and rebase them onto its own start.
        var zip = file.AsSpan((int)zipStart).ToArray();
        var rebase = (uint)(zipStart - shift);
        foreach (var at in headerOffsets)
        {
            var local = (int)(at - zipStart);
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(local), BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(local)) - rebase);
        }
        var record = (int)(end - zipStart) + 16;
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(record), directoryOffset - rebase);
        return zip;
    }

    /// <summary>Position of an end-of-central-directory record that ends exactly at the end of the file, or -1.</summary>
    private static int FindEndRecord(byte[] file)
    {
        var lowest = Math.Max(8, file.Length - EndRecordSize - ushort.MaxValue);
        for (var at = file.Length - EndRecordSize; at >= lowest; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at)) == EndOfCentralDirectory &&
                at + EndRecordSize + BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(at + 20)) == file.Length)
            {
                return at;
            }
        }
        return -1;
    }
}
