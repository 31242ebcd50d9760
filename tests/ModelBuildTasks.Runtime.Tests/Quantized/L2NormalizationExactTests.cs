using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>8-bit L2_NORMALIZATION against LiteRT, bit for bit: uint8 (output 1/128, zero point 128) and int8 (1/128, 0).</summary>
[TestClass]
public sealed class L2NormalizationExactTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void L2NormalizationIsBitExactWithLiteRT()
    {
        var b = new QuantModelBuilder(71);
        foreach (var (zero, depth, lo, hi) in new[] { (128L, 16, 0, 255), (100L, 5, 0, 255), (131L, 300, 100, 160), (128L, 3, 126, 130), (0L, 7, 0, 255) })
        {
            var x = b.Input(TensorType.UINT8, [4, depth], 0.05f, zero, lo, hi);
            var y = b.Output($"L2_NORMALIZATION uint8 depth {depth} zp {zero} range [{lo},{hi}]", TensorType.UINT8, [4, depth], 1f / 128, 128);
            b.Op(BuiltinOperator.L2_NORMALIZATION, 1, BuiltinOptionsUnion.FromL2NormOptions(new L2NormOptionsT()), [x], y);
        }
        foreach (var (zero, depth, lo, hi) in new[] { (0L, 16, -128, 127), (-10L, 5, -128, 127), (3L, 300, -20, 30), (0L, 64, -1, 1) })
        {
            var x = b.Input(TensorType.INT8, [4, depth], 0.05f, zero, lo, hi);
            var y = b.Output($"L2_NORMALIZATION int8 depth {depth} zp {zero} range [{lo},{hi}]", TensorType.INT8, [4, depth], 1f / 128, 0);
            b.Op(BuiltinOperator.L2_NORMALIZATION, 2, BuiltinOptionsUnion.FromL2NormOptions(new L2NormOptionsT()), [x], y);
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }
}
