using System.Runtime.InteropServices;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// int16 LOGISTIC and TANH against LiteRT on every one of the 65 536 input values, for input scales from tiny to
/// saturating, and the power-of-two input scales (2^-12; for TANH also 2^-11) for which LiteRT uses gemmlowp's
/// fixed-point functions instead of the table.
/// </summary>
[TestClass]
public sealed class Int16ActivationTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>A [256, 256] int16 input holding each int16 value once.</summary>
    internal static Model.Tensor EveryInt16(QuantModelBuilder b, float scale)
    {
        var x = b.Input(TensorType.INT16, [256, 256], scale, 0);
        var values = MemoryMarshal.Cast<byte, short>(b.InputData[^1].AsSpan());
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (short)(i + short.MinValue);
        }
        return x;
    }

    private static void AddCase(QuantModelBuilder b, BuiltinOperator op, float inScale)
    {
        var x = EveryInt16(b, inScale);
        var y = b.Output($"{op} int16 in scale {inScale:G4}", TensorType.INT16, [256, 256], 1f / 32768, 0);
        b.Op(op, 3, null, [x], y);
    }

    [TestMethod]
    [DataRow(BuiltinOperator.LOGISTIC)]
    [DataRow(BuiltinOperator.TANH)]
    public void Int16SigmoidsAreBitExactWithLiteRT(BuiltinOperator op)
    {
        var b = new QuantModelBuilder(31);
        foreach (var scale in new[] { 1e-5f, 0.0003f, 0.00123f, 0.000245f, 1f / 2048 * 1.01f, 0.02f, 0.7f })
        {
            AddCase(b, op, scale);
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(65536, r.Elements);
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    [TestMethod]
    [DataRow(BuiltinOperator.LOGISTIC)]
    [DataRow(BuiltinOperator.TANH)]
    public void PowerOfTwoInputScalesFollowLiteRTsGemmlowpPath(BuiltinOperator op)
    {
        var b = new QuantModelBuilder(32);
        AddCase(b, op, 1f / 4096);
        if (op == BuiltinOperator.TANH)
        {
            AddCase(b, op, 1f / 2048);
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(65536, r.Elements);
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    [TestMethod]
    public void Int16LogisticNeedsTheFixedOutputScale()
    {
        var b = new QuantModelBuilder(33);
        var x = EveryInt16(b, 0.001f);
        b.Op(BuiltinOperator.LOGISTIC, 3, null, [x], b.Output("LOGISTIC wrong output scale", TensorType.INT16, [256, 256], 1f / 30000, 0));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => ModelSession.Load(b.Build()));
        StringAssert.Contains(e.Message, "1/32768");
    }
}
