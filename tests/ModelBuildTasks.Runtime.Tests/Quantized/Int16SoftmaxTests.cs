using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>int16 SOFTMAX (the 16x8 quantizer emits it) against LiteRT: ranks 1–4, several input scales and betas.</summary>
[TestClass]
public sealed class Int16SoftmaxTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Int16SoftmaxIsBitExactWithLiteRT()
    {
        var b = new QuantModelBuilder(91);
        foreach (var (shape, scale, beta, lo, hi) in new (int[], float, float, int?, int?)[]
                 {
                     ([1000], 0.0003f, 1f, null, null),
                     ([16, 10], 0.0003f, 1f, null, null),
                     ([4, 6, 33], 0.001f, 0.5f, null, null),
                     ([2, 3, 4, 7], 0.00002f, 1f, null, null),
                     ([32, 5], 0.01f, 2f, -2000, 2000),
                     ([8, 300], 0.0001f, 1f, -30000, 1000),
                 })
        {
            var x = b.Input(TensorType.INT16, shape, scale, 0, lo, hi);
            var y = b.Output($"SOFTMAX int16 {string.Join("x", shape)} scale {scale} beta {beta}", TensorType.INT16, shape, 1f / 32768, 0);
            b.Op(BuiltinOperator.SOFTMAX, 3, BuiltinOptionsUnion.FromSoftmaxOptions(new SoftmaxOptionsT { Beta = beta }), [x], y);
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }
}
