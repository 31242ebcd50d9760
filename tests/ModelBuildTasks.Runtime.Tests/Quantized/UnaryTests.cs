using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>Activations, QUANTIZE and DEQUANTIZE in int8, uint8 and int16 against LiteRT.</summary>
[TestClass]
public sealed class UnaryTests
{
    public TestContext TestContext { get; set; } = null!;

    private static void AddUnary(QuantModelBuilder b, BuiltinOperator op, int version, TensorType type, float inScale, long inZero,
        float outScale, long outZero, BuiltinOptionsUnion? options = null, TensorType? outType = null, string? note = null)
    {
        int[] shape = [2, 5, 7, 3];
        var x = b.Input(type, shape, inScale, inZero);
        var y = b.Output($"{op} {type}->{outType ?? type} {note}", outType ?? type, shape, outScale, outZero);
        b.Op(op, version, options, [x], y);
    }

    [TestMethod]
    public void ActivationsMatchLiteRT()
    {
        var b = new QuantModelBuilder(6);
        const TensorType I8 = TensorType.INT8;
        const TensorType I16 = TensorType.INT16;
        AddUnary(b, BuiltinOperator.RELU, 2, I8, 0.05f, -3, 0.03f, -128);
        AddUnary(b, BuiltinOperator.RELU6, 2, I8, 0.05f, 10, 0.025f, -128);
        AddUnary(b, BuiltinOperator.RELU_N1_TO_1, 1, I8, 0.02f, 0, 0.01f, 0);
        AddUnary(b, BuiltinOperator.RELU, 3, I16, 0.0005f, 0, 0.0004f, 0);
        AddUnary(b, BuiltinOperator.LEAKY_RELU, 2, I8, 0.05f, 5, 0.04f, 20, BuiltinOptionsUnion.FromLeakyReluOptions(new LeakyReluOptionsT { Alpha = 0.2f }));
        AddUnary(b, BuiltinOperator.LEAKY_RELU, 2, I16, 0.0005f, 0, 0.0004f, 0, BuiltinOptionsUnion.FromLeakyReluOptions(new LeakyReluOptionsT { Alpha = 0.1f }));
        AddUnary(b, BuiltinOperator.LOGISTIC, 2, I8, 0.06f, 4, 1f / 256, -128);
        AddUnary(b, BuiltinOperator.TANH, 2, I8, 0.03f, -4, 1f / 128, 0);
        AddUnary(b, BuiltinOperator.HARD_SWISH, 1, I8, 0.05f, -10, 0.04f, -40);
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void QuantizeAndDequantizeMatchLiteRT()
    {
        var b = new QuantModelBuilder(7);
        int[] shape = [3, 4, 9];
        foreach (var (type, scale, zero, version) in new[] { (TensorType.INT8, 0.02f, -5L, 2), (TensorType.UINT8, 0.03f, 120L, 1), (TensorType.INT16, 0.0002f, 0L, 3) })
        {
            var f = b.FloatInput(shape, -3f, 3f);
            var q = b.Output($"QUANTIZE float32->{type}", type, shape, scale, zero);
            b.Op(BuiltinOperator.QUANTIZE, version, null, [f], q);
        }
        AddUnary(b, BuiltinOperator.QUANTIZE, 2, TensorType.INT8, 0.05f, 3, 0.07f, -9, note: "requantize");
        AddUnary(b, BuiltinOperator.QUANTIZE, 2, TensorType.INT8, 0.05f, 3, 0.05f, 131, outType: TensorType.UINT8);
        AddUnary(b, BuiltinOperator.QUANTIZE, 3, TensorType.INT16, 0.0003f, 0, 0.03f, 4, outType: TensorType.INT8);
        AddUnary(b, BuiltinOperator.QUANTIZE, 3, TensorType.INT8, 0.03f, -7, 0.0002f, 0, outType: TensorType.INT16);
        foreach (var (type, scale, zero, version) in new[] { (TensorType.INT8, 0.02f, -5L, 2), (TensorType.UINT8, 0.03f, 120L, 1), (TensorType.INT16, 0.0002f, 0L, 4) })
        {
            var x = b.Input(type, shape, scale, zero);
            var y = b.Output($"DEQUANTIZE {type}->float32", TensorType.FLOAT32, shape);
            b.Op(BuiltinOperator.DEQUANTIZE, version, null, [x], y);
        }
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void L2NormalizationMatchesLiteRT()
    {
        var b = new QuantModelBuilder(24);
        foreach (var (zero, depth, lo, hi) in new[] { (0L, 16, -128, 127), (-10L, 5, -128, 127), (3L, 300, -20, 30), (0L, 3, -2, 2) })
        {
            var x = b.Input(TensorType.INT8, [4, depth], 0.05f, zero, lo, hi);
            var y = b.Output($"L2_NORMALIZATION int8 depth {depth} zp {zero} range [{lo},{hi}]", TensorType.INT8, [4, depth], 1f / 128, 0);
            b.Op(BuiltinOperator.L2_NORMALIZATION, 2, BuiltinOptionsUnion.FromL2NormOptions(new L2NormOptionsT()), [x], y);
        }
        Agreement.Check(b, TestContext);
    }
}
