using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// Integer op/type combinations LiteRT 2.5.3 has no kernel for: it refuses them (the oracle exits with an error), and
/// the runtime refuses them at load, naming operator, index and type, instead of inventing an arithmetic.
/// </summary>
[TestClass]
public sealed class MissingInLiteRtTests
{
    public static IEnumerable<object[]> Cases =>
    [
        [BuiltinOperator.HARD_SWISH, TensorType.INT16],
        [BuiltinOperator.L2_NORMALIZATION, TensorType.INT16],
        [BuiltinOperator.LOG_SOFTMAX, TensorType.INT16],
        [BuiltinOperator.BATCH_MATMUL, TensorType.UINT8],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void LiteRtAndTheRuntimeBothRefuse(BuiltinOperator op, TensorType type)
    {
        var b = new QuantModelBuilder(40);
        var zero = type == TensorType.UINT8 ? 128 : 0;
        int[] shape = [2, 4, 4];
        var x = b.Input(type, shape, 0.01f, zero);
        var (outScale, outZero) = op switch
        {
            BuiltinOperator.L2_NORMALIZATION => (1f / 128, 0L),
            BuiltinOperator.LOG_SOFTMAX => (16f / 256, 0L),
            _ => (0.01f, (long)zero),
        };
        var y = b.Output($"{op} {type}", type, shape, outScale, outZero);
        Tensor?[] inputs = op == BuiltinOperator.BATCH_MATMUL ? [x, b.Input(type, shape, 0.01f, zero)] : [x];
        b.Op(op, 1, null, inputs, y);
        var bytes = b.Build();

        var path = Path.Combine(Path.GetTempPath(), $"mbt-missing-{Guid.NewGuid():N}.tflite");
        File.WriteAllBytes(path, bytes);
        try
        {
            Assert.ThrowsExactly<OracleException>(() => Oracle.Run(path, b.InputData), $"LiteRT ran {op} {type}");
        }
        finally
        {
            File.Delete(path);
        }
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => ModelSession.Load(bytes));
        Assert.AreEqual(RuntimeErrorCodes.UnsupportedOperator, e.Code);
        Assert.AreEqual(0, e.OperatorIndex);
        StringAssert.Contains(e.Message, op.ToString());
        StringAssert.Contains(e.Message, TensorTypes.Name(type));
    }
}
