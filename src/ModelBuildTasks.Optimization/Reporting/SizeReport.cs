using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ZstdSharp;

namespace ModelBuildTasks.Optimization.Reporting;

/// <summary>How hard <see cref="SizeReport"/> compresses (defaults: what a download would be served with at best).</summary>
public sealed record SizeReportOptions
{
    /// <summary>Compute the gzip, Brotli and zstd sizes (the slow part); when false they are reported as 0.</summary>
    public bool Compress { get; init; } = true;

    /// <summary>Deflate level of the gzip size (.NET's Optimal: zlib level 6, what `gzip` and web servers use by default).</summary>
    public CompressionLevel GzipLevel { get; init; } = CompressionLevel.Optimal;

    /// <summary>Brotli quality, 0–11.</summary>
    public int BrotliQuality { get; init; } = 11;

    /// <summary>Brotli window bits, 10–24.</summary>
    public int BrotliWindow { get; init; } = 24;

    /// <summary>zstd level, 1–22.</summary>
    public int ZstdLevel { get; init; } = 19;
}

/// <summary>Constant bytes of one tensor type.</summary>
/// <param name="Tensors">Constant tensors of the type.</param>
/// <param name="Bytes">Their stored bytes (a buffer shared by several tensors counted once).</param>
public sealed record TensorTypeBytes(int Tensors, long Bytes);

/// <summary>One constant tensor: what it costs and how compressible it is.</summary>
/// <param name="Subgraph">Index of its subgraph.</param>
/// <param name="Name">The tensor's name.</param>
/// <param name="Type">Element type (<c>float32</c>, <c>int8</c>, …).</param>
/// <param name="Shape">Dense shape.</param>
/// <param name="Bytes">Stored bytes (for sparse tensors the compressed values only).</param>
/// <param name="Sparse">True when stored in TFLite's sparse format (read through DENSIFY).</param>
/// <param name="Sparsity">Fraction of the dense elements whose real value is exactly 0 (q = zero point for quantized types); null for types it cannot read (int4, strings).</param>
/// <param name="UniqueValues">Distinct values (float −0 counted as 0; implicit zeros of sparse tensors included); null when unreadable.</param>
public sealed record ConstantTensorSize(
    int Subgraph, string Name, string Type, int[] Shape, long Bytes, bool Sparse, double? Sparsity, long? UniqueValues);

/// <summary>
/// The size of a model file as a download: raw bytes, gzip, Brotli and zstd compressed sizes, and per constant tensor its
/// bytes, sparsity and unique-value count (what pruning and clustering change). Deterministic for identical input.
/// JSON form (<see cref="ToJson"/>): camelCase, the records' properties.
/// </summary>
public sealed record SizeReport(
    int FormatVersion,
    string File,
    string Sha256,
    long Bytes,
    long GzipBytes,
    long BrotliBytes,
    long ZstdBytes,
    long ConstantBytes,
    IReadOnlyDictionary<string, TensorTypeBytes> BytesByType,
    IReadOnlyList<ConstantTensorSize> Tensors)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reports on the model file at <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is missing or not a valid model.</exception>
    public static SizeReport ForFile(string path, SizeReportOptions? options = null)
    {
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(ModelErrorCodes.FileUnreadable, $"cannot read the file: {e.Message}", path, e);
        }
        return Create(bytes, ModelReader.Read(bytes, path), Path.GetFileName(path), options);
    }

    /// <summary>Reports on a model file's bytes and the model read from them.</summary>
    public static SizeReport Create(ReadOnlyMemory<byte> file, ModelGraph model, string fileName, SizeReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SizeReportOptions();
        // The compressors need an array: use the caller's when the memory is a whole array, copy otherwise.
        var data = MemoryMarshal.TryGetArray(file, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : file.ToArray();
        long gzip = 0, brotli = 0, zstd = 0;
        if (options.Compress)
        {
            // Three independent compressors: run them side by side (each is deterministic).
            var brotliTask = Task.Run(() => BrotliSize(data, options.BrotliQuality, options.BrotliWindow));
            var zstdTask = Task.Run(() => ZstdSize(data, options.ZstdLevel));
            gzip = GzipSize(data, options.GzipLevel);
            brotli = brotliTask.GetAwaiter().GetResult();
            zstd = zstdTask.GetAwaiter().GetResult();
        }

        var tensors = new List<ConstantTensorSize>();
        var byType = new SortedDictionary<string, TensorTypeBytes>(StringComparer.Ordinal);
        var counted = new HashSet<(object?, int, int)>();
        for (var s = 0; s < model.Subgraphs.Count; s++)
        {
            foreach (var t in model.Subgraphs[s].Tensors)
            {
                if (!t.IsConstant)
                {
                    continue;
                }
                var type = TensorTypes.Name(t.Type);
                var stats = ValueStatistics.Of(t);
                tensors.Add(new ConstantTensorSize(s, t.Name, type, t.Shape, t.Data.Length, t.Sparsity is not null,
                    stats?.Sparsity, stats?.UniqueValues));
                var previous = byType.GetValueOrDefault(type) ?? new TensorTypeBytes(0, 0);
                var bytes = counted.Add(Identity(t.Data)) ? t.Data.Length : 0;
                byType[type] = new TensorTypeBytes(previous.Tensors + 1, previous.Bytes + bytes);
            }
        }

        return new SizeReport(
            FormatVersion: 1,
            File: fileName,
            Sha256: Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant(),
            Bytes: data.Length,
            GzipBytes: gzip,
            BrotliBytes: brotli,
            ZstdBytes: zstd,
            ConstantBytes: byType.Values.Sum(b => b.Bytes),
            BytesByType: byType,
            Tensors: tensors);
    }

    /// <summary>The JSON form: camelCase, indented.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses the JSON form.</summary>
    public static SizeReport FromJson(string json) =>
        JsonSerializer.Deserialize<SizeReport>(json, JsonOptions) ?? throw new JsonException("empty size report");

    internal static long GzipSize(byte[] data, CompressionLevel level)
    {
        var counter = new CountingStream();
        using (var gzip = new GZipStream(counter, level, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return counter.Length;
    }

    internal static long BrotliSize(byte[] data, int quality, int window)
    {
        var counter = new CountingStream();
        using (var encoder = new BrotliEncoder(quality, window))
        {
            var buffer = new byte[1 << 16];
            var source = data.AsSpan();
            while (true)
            {
                var status = encoder.Compress(source, buffer, out var consumed, out var written, isFinalBlock: true);
                counter.Write(buffer, 0, written);
                source = source[consumed..];
                if (status == System.Buffers.OperationStatus.Done)
                {
                    break;
                }
                if (status is not System.Buffers.OperationStatus.DestinationTooSmall)
                {
                    throw new InvalidOperationException($"Brotli compression failed: {status}");
                }
            }
        }
        return counter.Length;
    }

    internal static long ZstdSize(byte[] data, int level)
    {
        using var compressor = new Compressor(level);
        return compressor.Wrap(data).Length;
    }

    private static (object?, int, int) Identity(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var s) ? (s.Array, s.Offset, s.Count) : (data, 0, data.Length);

    /// <summary>A write-only stream that only counts bytes (compressed sizes without keeping the output).</summary>
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
