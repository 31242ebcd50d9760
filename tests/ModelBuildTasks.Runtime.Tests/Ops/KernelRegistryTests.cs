using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Kernels;

namespace ModelBuildTasks.Runtime.Tests.Ops;

[TestClass]
public sealed class KernelRegistryTests
{
    /// <summary>The issue's operator list (QUANTIZE aside: its output is an integer type) has float32 kernels.</summary>
    [TestMethod]
    public void EveryListedOperatorHasAFloat32Kernel()
    {
        string[] listed =
        [
            "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "ADD", "SUB", "MUL", "DIV", "MAXIMUM",
            "MINIMUM", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "PRELU", "LOGISTIC", "TANH", "HARD_SWISH", "SOFTMAX",
            "LOG_SOFTMAX", "PAD", "PADV2", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "SUM", "RESHAPE", "SQUEEZE",
            "EXPAND_DIMS", "TRANSPOSE", "CONCATENATION", "SPLIT", "SLICE", "STRIDED_SLICE", "GATHER", "RESIZE_BILINEAR",
            "RESIZE_NEAREST_NEIGHBOR", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "DEQUANTIZE", "L2_NORMALIZATION",
            "BATCH_MATMUL", "Convolution2DTransposeBias",
        ];
        var float32 = KernelRegistry.Default.Entries.Where(e => e.Type == TensorType.FLOAT32).Select(e => e.Operator).ToHashSet();
        var missing = listed.Where(op => !float32.Contains(op)).ToList();
        Assert.IsEmpty(missing, $"no float32 kernel: {string.Join(", ", missing)}");
    }
}
