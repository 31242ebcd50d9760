using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Npy;

namespace ModelBuildTasks.Runtime.Tests.Session;

[TestClass]
public sealed class NpyArrayTests
{
    [TestMethod]
    public void ReadsWhatNumPyWrites()
    {
        // The bytes numpy.save writes for np.arange(6, dtype='<f4').reshape(2, 3) (format 1.0, header padded to 64).
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        var array = NpyArray.Parse(Npy(1, header, [0f, 1f, 2f, 3f, 4f, 5f]), "test");
        Assert.AreEqual(TensorType.FLOAT32, array.Type);
        CollectionAssert.AreEqual(new[] { 2, 3 }, array.Shape);
        Assert.AreEqual(5f, BitConverter.ToSingle(array.Data, 20));
    }

    [TestMethod]
    public void ReadsVersionTwoAndScalars()
    {
        var array = NpyArray.Parse(Npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", [7.5f]), "test");
        Assert.IsEmpty(array.Shape);
        Assert.AreEqual(1, array.ElementCount);
    }

    [TestMethod]
    [DataRow(TensorType.FLOAT32, new[] { 1, 4, 4, 3 }, 4)]
    [DataRow(TensorType.INT8, new[] { 5 }, 1)]
    [DataRow(TensorType.INT64, new[] { 2, 1 }, 8)]
    public void WriteThenReadIsLossless(TensorType type, int[] shape, int size)
    {
        var data = new byte[shape.Aggregate(1, (a, b) => a * b) * size];
        new Random(1).NextBytes(data);
        var stream = new MemoryStream();
        new NpyArray(type, shape, data).Write(stream);
        Assert.AreEqual(0, (stream.Length - data.Length) % 64, "header padded to 64 bytes");
        var back = NpyArray.Parse(stream.ToArray(), "test");
        Assert.AreEqual(type, back.Type);
        CollectionAssert.AreEqual(shape, back.Shape);
        CollectionAssert.AreEqual(data, back.Data);
    }

    [TestMethod]
    [DataRow("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", "little-endian")]
    [DataRow("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "Fortran")]
    [DataRow("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", "not supported")]
    [DataRow("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", "data bytes")]
    [DataRow("{'descr': '<f4', 'shape': (2, 3), }", "fortran_order")]
    [DataRow("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "malformed")]
    public void BadFilesAreCodedErrors(string header, string message)
    {
        var e = Assert.ThrowsExactly<ModelFormatException>(() => NpyArray.Parse(Npy(1, header, new float[6]), "bad.npy"));
        Assert.AreEqual(RuntimeErrorCodes.InvalidNpyFile, e.Code);
        StringAssert.Contains(e.Message, "bad.npy");
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void TruncatedAndForeignBytesAreCodedErrors()
    {
        Assert.AreEqual(RuntimeErrorCodes.InvalidNpyFile,
            Assert.ThrowsExactly<ModelFormatException>(() => NpyArray.Parse("PK\x03\x04 a zip"u8, "x")).Code);
        var good = Npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new float[6]);
        Assert.AreEqual(RuntimeErrorCodes.InvalidNpyFile,
            Assert.ThrowsExactly<ModelFormatException>(() => NpyArray.Parse(good.AsSpan(0, 40), "x")).Code);
    }

    private static byte[] Npy(int version, string dict, float[] values)
    {
        var prefix = version == 1 ? 10 : 12;
        var total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 };
        bytes.AddRange(version == 1 ? BitConverter.GetBytes((ushort)header.Length) : BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(Encoding.Latin1.GetBytes(header));
        foreach (var v in values)
        {
            bytes.AddRange(BitConverter.GetBytes(v));
        }
        return bytes.ToArray();
    }
}
