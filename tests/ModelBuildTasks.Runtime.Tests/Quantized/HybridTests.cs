using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>Hybrid (dynamic-range) FULLY_CONNECTED and CONV_2D: float activations, int8 weights, against LiteRT.</summary>
[TestClass]
public sealed class HybridTests
{
    public TestContext TestContext { get; set; } = null!;

    private static Tensor FloatBias(QuantModelBuilder b, int n)
    {
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = (float)(b.Random.NextDouble() - 0.5);
        }
        var t = new Tensor($"bias_{n}_{b.Random.Next()}", TensorType.FLOAT32, [n])
        {
            Data = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        };
        return b.Add(t);
    }

    [TestMethod]
    public void HybridFullyConnectedMatchesLiteRT()
    {
        var b = new QuantModelBuilder(9);
        foreach (var (asymmetric, perChannel, activation, version) in new[]
                 {
                     (false, false, ActivationFunctionType.NONE, 3), (true, false, ActivationFunctionType.RELU, 9),
                     (false, true, ActivationFunctionType.NONE, 12), (true, true, ActivationFunctionType.RELU6, 12),
                 })
        {
            const int K = 40, N = 24;
            var x = b.FloatInput([3, K], -2f, 3f);
            var w = b.Weights([N, K], 0, perChannel, out _);
            var y = b.Output($"hybrid FC asymmetric={asymmetric} per-channel={perChannel} {activation}", TensorType.FLOAT32, [3, N]);
            var options = new FullyConnectedOptionsT { FusedActivationFunction = activation, AsymmetricQuantizeInputs = asymmetric };
            b.Op(BuiltinOperator.FULLY_CONNECTED, version, BuiltinOptionsUnion.FromFullyConnectedOptions(options), [x, w, FloatBias(b, N)], y);
        }
        Agreement.Check(b, TestContext);
    }

    [TestMethod]
    public void HybridConv2DMatchesLiteRT()
    {
        var b = new QuantModelBuilder(10);
        foreach (var (perChannel, padding, stride, activation) in new[]
                 {
                     (false, Padding.SAME, 1, ActivationFunctionType.NONE), (true, Padding.SAME, 2, ActivationFunctionType.RELU),
                     (true, Padding.VALID, 1, ActivationFunctionType.RELU6),
                 })
        {
            int[] shape = [2, 7, 8, 6];
            const int OutC = 9;
            var x = b.FloatInput(shape, -1f, 2f);
            var w = b.Weights([OutC, 3, 3, shape[3]], 0, perChannel, out _);
            var oh = Compute.ConvGeometry.OutputSize(padding, shape[1], 3, stride, 1);
            var ow = Compute.ConvGeometry.OutputSize(padding, shape[2], 3, stride, 1);
            var y = b.Output($"hybrid conv per-channel={perChannel} {padding}/{stride} {activation}", TensorType.FLOAT32, [2, oh, ow, OutC]);
            var options = new Conv2DOptionsT
            {
                Padding = padding, StrideH = stride, StrideW = stride, DilationHFactor = 1, DilationWFactor = 1, FusedActivationFunction = activation,
            };
            b.Op(BuiltinOperator.CONV_2D, perChannel ? 5 : 2, BuiltinOptionsUnion.FromConv2DOptions(options), [x, w, FloatBias(b, OutC)], y);
        }
        Agreement.Check(b, TestContext);
    }
}
