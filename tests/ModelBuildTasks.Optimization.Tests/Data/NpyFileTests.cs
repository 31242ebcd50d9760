using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Data;

[TestClass]
public sealed class NpyFileTests
{
    [TestMethod]
    [DataRow("<f4", NpyType.Float32, 4)]
    [DataRow("<f2", NpyType.Float16, 2)]
    [DataRow("<f8", NpyType.Float64, 8)]
    [DataRow("|i1", NpyType.Int8, 1)]
    [DataRow("|u1", NpyType.UInt8, 1)]
    [DataRow("<i2", NpyType.Int16, 2)]
    [DataRow("<i4", NpyType.Int32, 4)]
    [DataRow("<i8", NpyType.Int64, 8)]
    [DataRow("|b1", NpyType.Bool, 1)]
    public void Reads_header_of_every_supported_dtype(string descr, NpyType type, int size)
    {
        using var temp = new TempFolder();
        var path = temp.File("a.npy");
        TestFiles.WriteNpy(path, descr, [2, 3], new byte[6 * size]);
        var npy = NpyFile.Open(path);
        Assert.AreEqual(type, npy.Type);
        Assert.AreEqual(size, npy.ElementSize);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, npy.Shape.ToArray());
        Assert.AreEqual(6, npy.ElementCount);
        Assert.AreEqual(0, npy.DataOffset % 64, "numpy pads the header to 64 bytes");
    }

    [TestMethod]
    public void Reads_version_2_headers_and_swaps_big_endian_data()
    {
        using var temp = new TempFolder();
        var path = temp.File("big.npy");
        TestFiles.WriteNpy(path, ">i4", [2], [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE], version: 2);
        var npy = NpyFile.Open(path);
        var values = new double[2];
        npy.ReadAsDoubles(0, values);
        CollectionAssert.AreEqual(new double[] { 258, -2 }, values);
    }

    [TestMethod]
    public void Rejects_fortran_order_unknown_dtype_truncation_and_bad_magic_naming_the_file()
    {
        using var temp = new TempFolder();
        var fortran = temp.File("f.npy");
        TestFiles.WriteNpy(fortran, "<f4", [2, 2], new byte[16], fortran: true);
        var complex = temp.File("c.npy");
        TestFiles.WriteNpy(complex, "<c8", [2], new byte[16]);
        var truncated = temp.File("t.npy");
        TestFiles.WriteNpy(truncated, "<f4", [100], new byte[12]);
        var notNpy = temp.File("n.npy");
        File.WriteAllText(notNpy, "hello, this is not numpy");

        AssertError(fortran, DataErrorCodes.MalformedNpy, "Fortran");
        AssertError(complex, DataErrorCodes.UnsupportedDtype, "<c8");
        AssertError(truncated, DataErrorCodes.MalformedNpy, "truncated");
        AssertError(notNpy, DataErrorCodes.MalformedNpy, "magic");
        AssertError(temp.File("missing.npy"), DataErrorCodes.DataNotFound, "cannot read");
    }

    private static void AssertError(string path, string code, string words)
    {
        var e = Assert.ThrowsExactly<DataException>(() => NpyFile.Open(path));
        Assert.AreEqual(code, e.Code);
        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, words);
    }
}
