using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Tests.Data;

/// <summary>Writes test inputs in the formats users bring: .npy (written here from the format description) and PNG.</summary>
internal static class TestFiles
{
    public static byte[] Bytes<T>(params T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Writes a .npy (format 1.0 or 2.0) with the given dtype descriptor, shape and raw data.</summary>
    public static void WriteNpy(string path, string descr, long[] shape, byte[] data, bool fortran = false, int version = 1)
    {
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var header = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shapeText}, }}";
        var prefix = version == 1 ? 10 : 12;
        var padded = (prefix + header.Length + 1 + 63) / 64 * 64 - prefix;
        header = header.PadRight(padded - 1) + "\n";
        using var file = System.IO.File.Create(path);
        file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        var length = new byte[version == 1 ? 2 : 4];
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }
        file.Write(length);
        file.Write(Encoding.ASCII.GetBytes(header));
        file.Write(data);
    }

    public static void WriteNpy(string path, float[] values, params long[] shape) =>
        WriteNpy(path, "<f4", shape.Length == 0 ? [values.Length] : shape, Bytes(values));

    /// <summary>Writes an 8-bit PNG (grey, RGB or RGBA) without filtering.</summary>
    public static void WritePng(string path, int width, int height, int channels, byte[] pixels)
    {
        using var file = System.IO.File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = channels switch { 1 => 0, 3 => 2, _ => 6 };
        Chunk(file, "IHDR", ihdr);
        var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            raw.Write(pixels, y * width * channels, width * channels);
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(z);
        }
        Chunk(file, "IDAT", compressed.ToArray());
        Chunk(file, "IEND", []);
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        s.Write(buffer);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, Crc32(typed));
        s.Write(buffer);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}

/// <summary>Models built with the IR for data and evaluation tests.</summary>
internal static class TestModels
{
    /// <summary>A model with the given inputs (and no operators): enough for reading data against it.</summary>
    public static ModelGraph WithInputs(params (string Name, TensorType Type, int[] Shape, TensorQuantization? Quantization)[] inputs)
    {
        var model = new ModelGraph();
        var main = new Subgraph { Name = "main" };
        model.Subgraphs.Add(main);
        foreach (var (name, type, shape, q) in inputs)
        {
            var t = main.AddTensor(new Tensor(name, type, shape) { Quantization = q });
            main.Inputs.Add(t);
            main.Outputs.Add(t);
        }
        return model;
    }

    public static ModelGraph Float(params int[] shape) => WithInputs(("x", TensorType.FLOAT32, shape, null));
}
