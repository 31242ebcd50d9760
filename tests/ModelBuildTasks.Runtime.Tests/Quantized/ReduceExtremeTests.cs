using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>Integer REDUCE_MAX / REDUCE_MIN (the quantizer emits REDUCE_MAX in int8 and 16x8) against LiteRT.</summary>
[TestClass]
public sealed class ReduceExtremeTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ReduceMaxAndMinAreExactWithLiteRT()
    {
        var b = new QuantModelBuilder(95);
        foreach (var op in new[] { BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN })
        {
            foreach (var (type, shape, axes, keep, outShape) in new (TensorType, int[], int[], bool, int[])[]
                     {
                         (TensorType.INT8, [2, 5, 7, 3], [1, 2], true, [2, 1, 1, 3]),
                         (TensorType.INT16, [2, 5, 7, 3], [-1], false, [2, 5, 7]),
                         (TensorType.UINT8, [4, 9], [0], false, [9]),
                         (TensorType.INT16, [3, 4, 5], [0, 2], true, [1, 4, 1]),
                     })
            {
                var (scale, zero) = type switch { TensorType.INT16 => (0.001f, 0L), TensorType.UINT8 => (0.02f, 128L), _ => (0.02f, -3L) };
                var x = b.Input(type, shape, scale, zero);
                var y = b.Output($"{op} {type} {string.Join("x", shape)} axes {string.Join(",", axes)} keep {keep}", type, outShape, scale, zero);
                b.Op(op, type == TensorType.INT16 ? 3 : 2, BuiltinOptionsUnion.FromReducerOptions(new ReducerOptionsT { KeepDims = keep }), [x, b.ConstInts(axes)], y);
            }
        }
        foreach (var r in Agreement.Measure(b, TestContext))
        {
            Assert.AreEqual(1.0, r.ExactFraction, r.ToString());
        }
    }
}
