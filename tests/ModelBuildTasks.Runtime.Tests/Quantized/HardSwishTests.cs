using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// 8-bit HARD_SWISH against LiteRT on every input value, with input scales whose "relu-ish" rescale shifts left
/// (saturating) and right. (LiteRT has no int16 HARD_SWISH: <see cref="MissingInLiteRtTests"/>.)
/// </summary>
[TestClass]
public sealed class HardSwishTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void HardSwishIsBitExactWithLiteRTOnEveryInput()
    {
        var b = new QuantModelBuilder(81);
        foreach (var (type, inScale, inZero, outScale, outZero) in new[]
                 {
                     (TensorType.INT8, 0.05f, -10L, 0.04f, -40L),
                     (TensorType.INT8, 0.1f, 0L, 0.05f, -100L),
                     (TensorType.INT8, 0.02f, 20L, 0.01f, -128L),
                     (TensorType.INT8, 0.005f, 0L, 0.003f, -20L),
                     (TensorType.INT8, 1.0f, 5L, 0.6f, -110L),
                     (TensorType.UINT8, 0.05f, 128L, 0.04f, 80L),
                     (TensorType.UINT8, 0.003f, 200L, 0.002f, 10L),
                 })
        {
            var x = b.Input(type, [256], inScale, inZero);
            var values = b.InputData[^1];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (byte)i;
            }
            b.Op(BuiltinOperator.HARD_SWISH, 1, null, [x], b.Output($"HARD_SWISH {type} {inScale}/{inZero} -> {outScale}/{outZero}", type, [256], outScale, outZero));
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(256, r.Elements);
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }
}
