using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// 16x8 PRELU (int16 data, int8 alpha) against LiteRT: alpha per channel, per element and as one value, with inputs
/// spanning the whole int16 range and alphas of both signs.
/// </summary>
[TestClass]
public sealed class Int16PreluTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Int16PreluWithInt8AlphaIsBitExactWithLiteRT()
    {
        var b = new QuantModelBuilder(41);
        int[] shape = [2, 9, 11, 8];
        foreach (var (alphaShape, inScale, alphaScale, alphaZero, outScale) in new (int[], float, float, long, float)[]
                 {
                     ([8], 0.0004f, 0.01f, 0, 0.0003f),
                     ([9, 11, 8], 0.001f, 0.004f, -20, 0.002f),
                     ([1], 0.00005f, 0.02f, 5, 0.00009f),
                     ([8], 0.003f, 0.05f, 0, 0.0001f),
                 })
        {
            var x = b.Input(TensorType.INT16, shape, inScale, 0);
            var alpha = b.Input(TensorType.INT8, alphaShape, alphaScale, alphaZero);
            var y = b.Output($"PRELU int16 alpha {string.Join("x", alphaShape)} zp {alphaZero} out {outScale:G3}", TensorType.INT16, shape, outScale, 0);
            b.Op(BuiltinOperator.PRELU, 1, null, [x, alpha], y);
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    [TestMethod]
    public void Int16AlphaIsRefusedAtLoad()
    {
        var b = new QuantModelBuilder(42);
        var x = b.Input(TensorType.INT16, [2, 4], 0.001f, 0);
        var alpha = b.Input(TensorType.INT16, [4], 0.001f, 0);
        b.Op(BuiltinOperator.PRELU, 1, null, [x, alpha], b.Output("PRELU int16 alpha", TensorType.INT16, [2, 4], 0.001f, 0));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => ModelSession.Load(b.Build()));
        Assert.AreEqual(RuntimeErrorCodes.UnsupportedOperator, e.Code);
        StringAssert.Contains(e.Message, "int8 alpha");
    }
}
