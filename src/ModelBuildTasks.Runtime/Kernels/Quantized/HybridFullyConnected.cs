using System.Runtime.CompilerServices;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Hybrid (dynamic-range) FULLY_CONNECTED: float32 activations, int8 weights (per-tensor or per-channel), float
/// bias. Each input row is quantized to int8 at run time, multiplied in integers, and the int32 sums are scaled
/// back: y = bias + (Σ w·q − offset·Σ w)·s_row·s_w, then the fused activation in float. Rows are quantized
/// asymmetrically whatever <c>asymmetric_quantize_inputs</c> says, because that is what LiteRT's default CPU
/// path computes (measured against the oracle: its outputs for the flag unset match asymmetric quantization to
/// 1e-7 and differ from TFLite's symmetric builtin kernel by up to 0.5 % of the output range).
/// </summary>
internal sealed unsafe class HybridFullyConnected : Kernel
{
    private readonly short[] weights;
    private readonly float[] filterScales;
    private readonly long[] rowSums;
    private readonly float[] bias;
    private readonly FusedActivation activation;
    private readonly int rows;
    private readonly int k;
    private readonly int n;
    private readonly int input;
    private readonly int output;

    private HybridFullyConnected(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var b = s.OptionalInput(2);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(f, TensorType.INT8);
        s.RequireType(y, TensorType.FLOAT32);
        var o = s.Options<FullyConnectedOptionsT>();
        s.Require(o.WeightsFormat == FullyConnectedOptionsWeightsFormat.DEFAULT, $"weights format {o.WeightsFormat} is not supported");
        s.RequireRank(f, 2);
        n = f.Dim(0);
        k = f.Dim(1);
        s.Require(k > 0 && x.ElementCount % k == 0, $"input {x} is not a whole number of rows of {k}");
        rows = checked((int)(x.ElementCount / k));
        s.Require(y.ElementCount == (long)rows * n, $"output {y} must hold {rows} rows of {n}");
        weights = ChannelRequantizer.WidenedWeights(s, f, 0);
        filterScales = ChannelRequantizer.FilterScales(s, f, n).Select(v => (float)v).ToArray();
        rowSums = RowSums(weights, n, k);
        bias = b is null ? new float[n] : s.ConstFloats(b).ToArray();
        s.Require(bias.Length == n, $"bias {b} must have {n} elements");
        activation = FusedActivation.From(o.FusedActivationFunction, s);
        ScratchBytesPerThread = (long)(k + 16) * sizeof(short);
        MultiplyAccumulates = (long)rows * n * k;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new HybridFullyConnected(s);

    internal static long[] RowSums(short[] weights, int n, int k)
    {
        var sums = new long[n];
        for (var r = 0; r < n; r++)
        {
            for (var i = 0; i < k; i++)
            {
                sums[r] += weights[r * k + i];
            }
        }
        return sums;
    }

    public override void Run(RunContext context)
    {
        var quantized = (short*)context.Scratch(0);
        var src = context.F(input);
        var dst = context.F(output);
        var w = (short*)Unsafe.AsPointer(ref weights[0]);
        for (var r = 0; r < rows; r++)
        {
            var rowScale = DynamicQuantization.Asymmetric(src + (nint)r * k, k, quantized, out var offset);
            var y = dst + (nint)r * n;
            for (var c = 0; c < n; c++)
            {
                var dot = IntDot.Dot(quantized, w + (nint)c * k, k) - offset * rowSums[c];
                y[c] = bias[c] + dot * (rowScale * filterScales[c]);
            }
        }
        activation.Apply(dst, (long)rows * n);
    }
}
