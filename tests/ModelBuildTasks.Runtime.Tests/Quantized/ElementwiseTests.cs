using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>ADD, SUB, MUL, MAXIMUM, MINIMUM and PRELU in int8 and int16, with broadcasting, against LiteRT.</summary>
[TestClass]
public sealed class ElementwiseTests
{
    public TestContext TestContext { get; set; } = null!;

    private static void AddBinary(QuantModelBuilder b, BuiltinOperator op, TensorType type, int[] shapeA, int[] shapeB, int[] outShape,
        float scaleA, float scaleB, float scaleOut, ActivationFunctionType activation = ActivationFunctionType.NONE)
    {
        var wide = type == TensorType.INT16;
        var sameScale = op is BuiltinOperator.MAXIMUM or BuiltinOperator.MINIMUM;
        var x = b.Input(type, shapeA, scaleA, wide ? 0 : 3);
        var y = b.Input(type, shapeB, sameScale ? scaleA : scaleB, wide ? 0 : sameScale ? 3 : -20);
        var label = $"{op} {type} {string.Join("x", shapeA)} ∘ {string.Join("x", shapeB)} {activation}";
        var z = b.Output(label, type, outShape, sameScale ? scaleA : scaleOut, wide ? 0 : sameScale ? 3 : 7);
        var (options, version) = op switch
        {
            BuiltinOperator.ADD => (BuiltinOptionsUnion.FromAddOptions(new AddOptionsT { FusedActivationFunction = activation, PotScaleInt16 = false }), wide ? 3 : 2),
            BuiltinOperator.SUB => (BuiltinOptionsUnion.FromSubOptions(new SubOptionsT { FusedActivationFunction = activation, PotScaleInt16 = false }), wide ? 3 : 2),
            BuiltinOperator.MUL => (BuiltinOptionsUnion.FromMulOptions(new MulOptionsT { FusedActivationFunction = activation }), wide ? 4 : 2),
            _ => ((BuiltinOptionsUnion?)null, wide ? 4 : 2),
        };
        b.Op(op, version, options, [x, y], z);
    }

    [TestMethod]
    public void AddSubMulInt8And16MatchLiteRT()
    {
        var b = new QuantModelBuilder(4);
        AddBinary(b, BuiltinOperator.ADD, TensorType.INT8, [2, 5, 7], [2, 5, 7], [2, 5, 7], 0.05f, 0.02f, 0.06f);
        AddBinary(b, BuiltinOperator.ADD, TensorType.INT8, [1, 4, 4, 8], [8], [1, 4, 4, 8], 0.03f, 0.1f, 0.08f, ActivationFunctionType.RELU6);
        AddBinary(b, BuiltinOperator.ADD, TensorType.INT8, [3, 1, 5], [1, 4, 1], [3, 4, 5], 0.03f, 0.03f, 0.05f, ActivationFunctionType.RELU);
        AddBinary(b, BuiltinOperator.ADD, TensorType.INT16, [2, 6, 5], [6, 1], [2, 6, 5], 0.0003f, 0.0007f, 0.001f);
        AddBinary(b, BuiltinOperator.SUB, TensorType.INT8, [2, 3, 9], [2, 3, 9], [2, 3, 9], 0.05f, 0.07f, 0.1f);
        AddBinary(b, BuiltinOperator.SUB, TensorType.INT8, [1, 3, 3, 4], [1, 1, 1, 4], [1, 3, 3, 4], 0.05f, 0.02f, 0.06f, ActivationFunctionType.RELU);
        AddBinary(b, BuiltinOperator.SUB, TensorType.INT16, [4, 9], [4, 9], [4, 9], 0.0004f, 0.0002f, 0.0009f);
        AddBinary(b, BuiltinOperator.MUL, TensorType.INT8, [2, 4, 6], [2, 4, 6], [2, 4, 6], 0.05f, 0.04f, 0.1f);
        AddBinary(b, BuiltinOperator.MUL, TensorType.INT8, [1, 5, 5, 3], [3], [1, 5, 5, 3], 0.02f, 0.01f, 0.001f, ActivationFunctionType.RELU6);
        AddBinary(b, BuiltinOperator.MUL, TensorType.INT16, [3, 7], [1, 7], [3, 7], 0.0004f, 0.0003f, 0.00005f);
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void MaximumMinimumPreluMatchLiteRT()
    {
        var b = new QuantModelBuilder(5);
        AddBinary(b, BuiltinOperator.MAXIMUM, TensorType.INT8, [2, 3, 4], [2, 3, 4], [2, 3, 4], 0.1f, 0.1f, 0.1f);
        AddBinary(b, BuiltinOperator.MINIMUM, TensorType.INT8, [2, 3, 4], [4], [2, 3, 4], 0.1f, 0.1f, 0.1f);
        AddBinary(b, BuiltinOperator.MAXIMUM, TensorType.INT16, [5, 6], [5, 6], [5, 6], 0.001f, 0.001f, 0.001f);
        AddBinary(b, BuiltinOperator.MINIMUM, TensorType.INT16, [5, 6], [1, 6], [5, 6], 0.001f, 0.001f, 0.001f);

        // PRELU with a constant per-channel alpha, as converters emit it.
        var x = b.Input(TensorType.INT8, [1, 4, 5, 6], 0.05f, 10);
        var alpha = b.Const(TensorType.INT8, [1, 1, 6], [10, -20, 30, 127, -128, 64],
            QuantModelBuilder.Quant(0.004f, 0));
        var y = b.Output("PRELU int8 alpha per channel", TensorType.INT8, [1, 4, 5, 6], 0.04f, -5);
        b.Op(BuiltinOperator.PRELU, 1, null, [x, alpha], y);
        Agreement.Check(b, TestContext);
    }
}
