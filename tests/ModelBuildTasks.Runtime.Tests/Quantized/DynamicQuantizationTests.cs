using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// The run-time quantizers of the hybrid kernels: exact halves round away from zero (TFLite, per image or row) or
/// to even (XNNPACK, per pixel) in the vector loop and in the scalar tail alike, written as int16 q or byte q + 128.
/// </summary>
[TestClass]
public sealed unsafe class DynamicQuantizationTests
{
    // With the range [−128, 127] the scale is 1 and the zero point 0, so each value is quantized as itself.
    // Ties sit both in the first eight values (vector loop) and after them (scalar tail).
    private static readonly float[] Values = [-128f, 0.5f, -0.5f, 2.5f, -2.5f, 126.5f, -127.5f, 1.5f, 127f, 0.5f, -1.5f, 2.5f, 0.49999997f];

    [TestMethod]
    public void PerImageRoundsHalvesAwayFromZero()
    {
        int[] expected = [-128, 1, -1, 3, -3, 127, -128, 2, 127, 1, -2, 3, 0];
        var (shorts, bytes, scale, offset) = Quantize(perRow: false);
        Assert.AreEqual(1f, scale);
        Assert.AreEqual(0, offset);
        CollectionAssert.AreEqual(expected, shorts);
        CollectionAssert.AreEqual(expected.Select(q => q + 128).ToArray(), bytes);
    }

    [TestMethod]
    public void PerRowRoundsHalvesToEven()
    {
        int[] expected = [-128, 0, 0, 2, -2, 126, -128, 2, 127, 0, -2, 2, 0];
        var (shorts, bytes, scale, offset) = Quantize(perRow: true);
        Assert.AreEqual(1f, scale);
        Assert.AreEqual(0, offset);
        CollectionAssert.AreEqual(expected, shorts);
        CollectionAssert.AreEqual(expected.Select(q => q + 128).ToArray(), bytes);
    }

    [TestMethod]
    public void ConstantRowsQuantizeToZeroWithScaleOne()
    {
        var zeros = new float[11];
        var shorts = new short[11];
        var bytes = new byte[11];
        fixed (float* v = zeros)
        fixed (short* s = shorts)
        fixed (byte* b = bytes)
        {
            Assert.AreEqual(1f, DynamicQuantization.Asymmetric(v, zeros.Length, s, out var offset));
            Assert.AreEqual(0, offset);
            Assert.AreEqual(1f, DynamicQuantization.AsymmetricPerRow(v, zeros.Length, b, out offset));
            Assert.AreEqual(0, offset);
        }
        Assert.IsTrue(shorts.All(q => q == 0));
        Assert.IsTrue(bytes.All(q => q == 128));
    }

    [TestMethod]
    public void PositiveRangesGetTheLowestZeroPoint()
    {
        // All values ≥ 0: the range is [0, 25.5], scale 0.1, zero point −128; 25.5 maps to 127 and 0 to −128.
        float[] values = [0f, 25.5f, 12.75f, 0f, 25.5f, 5f, 10f, 20f, 25.5f, 0f];
        var shorts = new short[values.Length];
        fixed (float* v = values)
        fixed (short* s = shorts)
        {
            var scale = DynamicQuantization.Asymmetric(v, values.Length, s, out var offset);
            Assert.AreEqual(0.1f, scale, 1e-7f);
            Assert.AreEqual(-128, offset);
        }
        Assert.AreEqual(-128, shorts[0]);
        Assert.AreEqual(127, shorts[1]);
        Assert.AreEqual(127, shorts[8]);
        Assert.AreEqual(-128, shorts[9]);
        Assert.AreEqual(-78, shorts[5]);
    }

    private static (int[] Shorts, int[] Bytes, float Scale, int Offset) Quantize(bool perRow)
    {
        var shorts = new short[Values.Length];
        var bytes = new byte[Values.Length];
        float scale, byteScale;
        int offset, byteOffset;
        fixed (float* v = Values)
        fixed (short* s = shorts)
        fixed (byte* b = bytes)
        {
            scale = perRow ? DynamicQuantization.AsymmetricPerRow(v, Values.Length, s, out offset) : DynamicQuantization.Asymmetric(v, Values.Length, s, out offset);
            byteScale = perRow ? DynamicQuantization.AsymmetricPerRow(v, Values.Length, b, out byteOffset) : DynamicQuantization.Asymmetric(v, Values.Length, b, out byteOffset);
        }
        Assert.AreEqual(scale, byteScale);
        Assert.AreEqual(offset, byteOffset);
        return (shorts.Select(q => (int)q).ToArray(), bytes.Select(q => (int)q).ToArray(), scale, offset);
    }
}
