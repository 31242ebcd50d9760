using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>The int16 dot products (AVX-512BW, AVX2 and scalar tails) against exact int64 sums.</summary>
[TestClass]
public sealed unsafe class IntDotTests
{
    [TestMethod]
    public void DotAndDot4AreExactForEveryTailLength()
    {
        var random = new Random(7);
        foreach (var k in new[] { 1, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 96, 127, 130, 200 })
        {
            var a = new short[k];
            var w = new short[4 * k];
            for (var i = 0; i < k; i++)
            {
                a[i] = (short)random.Next(-256, 256);
            }
            for (var i = 0; i < 4 * k; i++)
            {
                w[i] = (short)random.Next(-128, 128);
            }
            var expected = new long[4];
            for (var r = 0; r < 4; r++)
            {
                for (var i = 0; i < k; i++)
                {
                    expected[r] += a[i] * w[r * k + i];
                }
            }
            var sums = new int[4];
            fixed (short* pa = a)
            fixed (short* pw = w)
            fixed (int* ps = sums)
            {
                IntDot.Dot4(pa, pw, pw + k, pw + 2 * k, pw + 3 * k, k, ps);
                for (var r = 0; r < 4; r++)
                {
                    Assert.AreEqual(expected[r], sums[r], $"Dot4 row {r}, k={k}");
                    Assert.AreEqual(expected[r], IntDot.Dot(pa, pw + r * k, k), $"Dot row {r}, k={k}");
                }
            }
        }
    }

    [TestMethod]
    public void LongSixteenBitDotProductsDoNotOverflow()
    {
        // Extreme 16x8 operands: every product is +2^22, so 1500 of them exceed int32 by far.
        const int k = 1500;
        var a = Enumerable.Repeat(short.MinValue, k).ToArray();
        var w = Enumerable.Repeat((short)-128, k).ToArray();
        fixed (short* pa = a)
        fixed (short* pw = w)
        {
            Assert.AreEqual((long)k << 22, IntDot.DotLong(pa, pw, k));
            // The longest run the int32 path takes still fits.
            Assert.AreEqual((long)IntDot.SafeRun16 << 22, IntDot.Dot(pa, pw, IntDot.SafeRun16));
        }
    }
}
