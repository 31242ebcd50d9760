using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>int8 and uint8 LOG_SOFTMAX against LiteRT: short and long rows, narrow and wide input scales.</summary>
[TestClass]
public sealed class LogSoftmaxTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void LogSoftmaxIsBitExactWithLiteRT()
    {
        var b = new QuantModelBuilder(51);
        foreach (var (type, rows, depth, scale, zero, lo, hi) in new (TensorType, int, int, float, long, int?, int?)[]
                 {
                     (TensorType.INT8, 64, 10, 0.1f, -3, null, null),
                     (TensorType.INT8, 8, 1001, 0.05f, 20, null, null),
                     (TensorType.INT8, 300, 1, 0.2f, 0, null, null),
                     (TensorType.INT8, 50, 33, 0.01f, -100, null, null),
                     (TensorType.INT8, 40, 17, 0.5f, 0, -20, 10),
                     (TensorType.UINT8, 64, 10, 0.1f, 128, null, null),
                     (TensorType.UINT8, 16, 257, 0.03f, 10, null, null),
                 })
        {
            var x = b.Input(type, [rows, depth], scale, zero, lo, hi);
            var outZero = type == TensorType.INT8 ? 127L : 255L;
            var y = b.Output($"LOG_SOFTMAX {type} {rows}x{depth} scale {scale}", type, [rows, depth], 16f / 256, outZero);
            b.Op(BuiltinOperator.LOG_SOFTMAX, type == TensorType.INT8 ? 2 : 1, null, [x], y);
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    [TestMethod]
    public void LogSoftmaxNeedsTheFixedOutputQuantization()
    {
        var b = new QuantModelBuilder(52);
        var x = b.Input(TensorType.INT8, [2, 5], 0.1f, 0);
        b.Op(BuiltinOperator.LOG_SOFTMAX, 2, null, [x], b.Output("wrong zero point", TensorType.INT8, [2, 5], 16f / 256, 0));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => ModelSession.Load(b.Build()));
        Assert.AreEqual(RuntimeErrorCodes.InvalidOperator, e.Code);
        StringAssert.Contains(e.Message, "zero point 127");
    }
}
