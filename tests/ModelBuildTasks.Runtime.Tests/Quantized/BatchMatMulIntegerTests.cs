using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// BATCH_MATMUL beyond int8 → int8 against LiteRT: int16 × int16 and int16 × int8 → int16 (16x8), and int8 × int8
/// → int32, with broadcast batch dimensions and both adjoint flags.
/// </summary>
[TestClass]
public sealed class BatchMatMulIntegerTests
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly (int[] A, int[] B, int[] Out, bool AdjX, bool AdjY)[] Shapes =
    [
        ([2, 5, 12], [2, 12, 7], [2, 5, 7], false, false),
        ([3, 1, 4, 9], [2, 9, 6], [3, 2, 4, 6], false, false),
        ([2, 12, 5], [2, 7, 12], [2, 5, 7], true, true),
        ([1, 33, 64], [64, 17], [1, 33, 17], false, false),
    ];

    private static BuiltinOptionsUnion Options(bool adjX, bool adjY) =>
        BuiltinOptionsUnion.FromBatchMatMulOptions(new BatchMatMulOptionsT { AdjX = adjX, AdjY = adjY });

    [TestMethod]
    [DataRow(TensorType.INT16)]
    [DataRow(TensorType.INT8)]
    public void Int16BatchMatMulIsBitExactWithLiteRT(TensorType rightType)
    {
        var b = new QuantModelBuilder(61);
        foreach (var (shapeA, shapeB, outShape, adjX, adjY) in Shapes)
        {
            var k = adjX ? shapeA[^2] : shapeA[^1];
            var x = b.Input(TensorType.INT16, shapeA, 0.0005f, 0);
            var rightScale = rightType == TensorType.INT16 ? 0.0004f : 0.02f;
            var y = b.Input(rightType, shapeB, rightScale, 0);
            var typical = Math.Sqrt(k) * 18918 * (rightType == TensorType.INT16 ? 18918 : 74);
            var z = b.Output($"BATCH_MATMUL int16 x {rightType} {string.Join("x", shapeA)} · {string.Join("x", shapeB)} adj {adjX}/{adjY}",
                TensorType.INT16, outShape, (float)(typical * 0.0005 * rightScale / 20000), 0);
            b.Op(BuiltinOperator.BATCH_MATMUL, rightType == TensorType.INT16 ? 3 : 4, Options(adjX, adjY), [x, y], z);
        }
        // A constant right operand, as the 16x8 quantizer writes a constant matrix.
        var (lo, hi) = QuantModelBuilder.Range(rightType);
        var values = new long[24 * 10];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = b.Random.Next(lo + 1, hi + 1);
        }
        var constScale = rightType == TensorType.INT16 ? 0.0004f : 0.02f;
        var w = b.Const(rightType, [24, 10], values, QuantModelBuilder.Quant(constScale, 0));
        var a = b.Input(TensorType.INT16, [3, 24], 0.0005f, 0);
        var outScale = (float)(Math.Sqrt(24) * 18918 * (rightType == TensorType.INT16 ? 18918 : 74) * 0.0005 * constScale / 20000);
        b.Op(BuiltinOperator.BATCH_MATMUL, rightType == TensorType.INT16 ? 3 : 4, Options(false, false), [a, w],
            b.Output($"BATCH_MATMUL int16 x constant {rightType}", TensorType.INT16, [3, 10], outScale, 0));
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    [TestMethod]
    public void Int8BatchMatMulWithAConstantRightOperandIsBitExactWithLiteRT()
    {
        var b = new QuantModelBuilder(64);
        // Zero point 0 takes LiteRT's XNNPACK path (float rescale), others TFLite's fixed-point one.
        foreach (var (zero, shapeW, adjY) in new (long, int[], bool)[] { (0, [24, 10], false), (-7, [24, 10], false), (0, [2, 10, 24], true), (5, [2, 10, 24], true) })
        {
            var values = new long[24 * 10 * (shapeW.Length == 3 ? 2 : 1)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = b.Random.Next(-128, 128);
            }
            var w = b.Const(TensorType.INT8, shapeW, values, QuantModelBuilder.Quant(0.02f, zero));
            var a = b.Input(TensorType.INT8, [2, 3, 24], 0.05f, 4);
            b.Op(BuiltinOperator.BATCH_MATMUL, 2, Options(false, adjY), [a, w],
                b.Output($"BATCH_MATMUL int8 x constant int8 {string.Join("x", shapeW)} zp {zero}", TensorType.INT8, [2, 3, 10],
                    (float)(Math.Sqrt(24) * 74 * 74 * 0.05 * 0.02 / 40), -3));
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    [TestMethod]
    public void PerChannelIntegerRightOperandIsRefusedAtLoad()
    {
        var b = new QuantModelBuilder(65);
        var w = b.Const(TensorType.INT8, [4, 3], new long[12], Model.TensorQuantization.PerAxis([0.1f, 0.2f, 0.3f], new long[3], 1));
        var a = b.Input(TensorType.INT8, [2, 4], 0.05f, 0);
        b.Op(BuiltinOperator.BATCH_MATMUL, 2, Options(false, false), [a, w], b.Output("per-channel", TensorType.INT8, [2, 3], 0.1f, 0));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => ModelSession.Load(b.Build()));
        Assert.AreEqual(RuntimeErrorCodes.UnsupportedOperator, e.Code);
        StringAssert.Contains(e.Message, "per-channel");
    }

    [TestMethod]
    public void Int8ToInt32BatchMatMulIsExactWithLiteRT()
    {
        var b = new QuantModelBuilder(62);
        foreach (var (shapeA, shapeB, outShape, adjX, adjY) in Shapes)
        {
            // Non-zero zero points: the int32 form multiplies the raw values (TFLite ignores them there).
            var x = b.Input(TensorType.INT8, shapeA, 0.05f, 3);
            var y = b.Input(TensorType.INT8, shapeB, 0.04f, -2);
            var z = b.Output($"BATCH_MATMUL int8 -> int32 {string.Join("x", shapeA)} · {string.Join("x", shapeB)} adj {adjX}/{adjY}",
                TensorType.INT32, outShape, 0.002f, 0);
            b.Op(BuiltinOperator.BATCH_MATMUL, 4, Options(adjX, adjY), [x, y], z);
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }

    [TestMethod]
    public void HybridBatchMatMulMatchesLiteRT()
    {
        var b = new QuantModelBuilder(63);
        foreach (var (shapeA, shapeB, outShape, adjX, adjY, perColumn) in new (int[], int[], int[], bool, bool, bool)[]
                 {
                     ([2, 5, 12], [12, 7], [2, 5, 7], false, false, false),
                     ([3, 1, 4, 9], [2, 9, 6], [3, 2, 4, 6], false, false, true),
                     ([2, 12, 5], [2, 7, 12], [2, 5, 7], true, true, false),
                     ([1, 33, 64], [64, 17], [1, 33, 17], false, false, true),
                 })
        {
            var x = b.FloatInput(shapeA, -2f, 3f);
            var n = outShape[^1];
            var values = new long[shapeB.Aggregate(1, (p, d) => p * d)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = b.Random.Next(-127, 128);
            }
            var scales = Enumerable.Range(0, perColumn ? n : 1).Select(i => 0.01f + 0.002f * i).ToArray();
            var quantization = perColumn ? Model.TensorQuantization.PerAxis(scales, new long[n], shapeB.Length - 1) : QuantModelBuilder.Quant(scales[0], 0);
            var w = b.Const(TensorType.INT8, shapeB, values, quantization);
            var z = b.Output($"BATCH_MATMUL hybrid {string.Join("x", shapeA)} · {string.Join("x", shapeB)} adj {adjX}/{adjY}{(perColumn ? " per column" : "")}",
                TensorType.FLOAT32, outShape);
            b.Op(BuiltinOperator.BATCH_MATMUL, 4, Options(adjX, adjY), [x, w], z);
        }
        Agreement.Check(b, TestContext);
    }
}
