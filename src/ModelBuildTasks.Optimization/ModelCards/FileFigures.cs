using System.IO.Compression;
using System.Security.Cryptography;

namespace ModelBuildTasks.Optimization.ModelCards;

/// <summary>Size, compressed sizes and hash of a model file: what size budgets compare with.</summary>
public static class FileFigures
{
    /// <summary>
    /// Measures <paramref name="bytes"/>: gzip at the smallest-size level (what a web server or zip download gets)
    /// and brotli at quality 9 with a 4 MB window (quality 11 takes seconds per megabyte and changes little).
    /// </summary>
    public static CardFile Measure(ReadOnlySpan<byte> bytes, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sha = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        cancellationToken.ThrowIfCancellationRequested();
        long gzip;
        var counter = new CountingStream();
        using (var zip = new GZipStream(counter, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zip.Write(bytes);
        }

        gzip = counter.Length;
        cancellationToken.ThrowIfCancellationRequested();
        return new CardFile { Bytes = bytes.Length, GzipBytes = gzip, BrotliBytes = BrotliSize(bytes), Sha256 = sha };
    }

    private static long BrotliSize(ReadOnlySpan<byte> bytes)
    {
        using var encoder = new BrotliEncoder(quality: 9, window: 22);
        var buffer = new byte[1 << 16];
        long total = 0;
        var input = bytes;
        while (true)
        {
            var status = encoder.Compress(input, buffer, out var consumed, out var written, isFinalBlock: true);
            input = input[consumed..];
            total += written;
            if (status == System.Buffers.OperationStatus.Done)
            {
                return total;
            }

            if (status == System.Buffers.OperationStatus.InvalidData)
            {
                throw new InvalidOperationException("brotli encoder rejected its input");
            }
        }
    }

    /// <summary>A write-only stream that only counts bytes.</summary>
    private sealed class CountingStream : Stream
    {
        private long length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => length;
        public override long Position { get => length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => length += buffer.Length;
    }
}
