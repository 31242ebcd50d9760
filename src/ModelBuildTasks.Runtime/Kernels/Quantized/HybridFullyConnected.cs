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
/// 1e-7 and differ from TFLite's symmetric builtin kernel by up to 0.5 % of the output range). All rows are
/// quantized first; (4-row block × 16-channel panel) items of the packed GEMM are then split over the threads.
/// </summary>
internal sealed unsafe class HybridFullyConnected : Kernel
{
    private readonly short[] weights;
    private readonly float[] filterScales;
    private readonly long[] rowSums;
    private readonly float[] bias;
    private readonly FusedActivation activation;
    private readonly HybridWeights? packed;
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
        MultiplyAccumulates = (long)rows * n * k;
        input = x.Index;
        output = y.Index;
        if (HybridPaths.PerChannel)
        {
            ScratchBytesPerThread = (long)(k + 16) * sizeof(short);
            return;
        }
        packed = new HybridWeights(weights, n, k, filterScales, bias, rowSums);
        // Thread 0's scratch holds every quantized row (shared by the threads) and the rows' scales and zero points.
        ScratchBytesPerThread = SharedBytes(rows, k, packed.DotPath) + 64 * sizeof(int) + 64;
    }

    /// <summary>Bytes of the quantized rows (VNNI: bytes, else int16) and their scales and zero points.</summary>
    internal static long SharedBytes(int rows, int k, Int8DotPath path) =>
        (long)rows * HybridWeights.RowStride(k) * (path == Int8DotPath.Vnni ? sizeof(byte) : sizeof(short)) + (long)rows * 8;

    /// <summary>The 8-bit dot-product path this kernel was prepared for (null: the per-channel reference loop).</summary>
    internal Int8DotPath? DotPath => packed?.DotPath;

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
        if (packed is null)
        {
            RunPerChannel(context);
        }
        else if (packed.DotPath == Int8DotPath.Vnni)
        {
            RunPacked<byte>(context, packed);
        }
        else
        {
            RunPacked<short>(context, packed);
        }
    }

    /// <summary>Quantizes every row, then splits (four-row block × 16-channel panel) items over the threads.</summary>
    private void RunPacked<T>(RunContext context, HybridWeights weightsPacked) where T : unmanaged
    {
        var stride = HybridWeights.RowStride(k);
        var quantized = (T*)context.Scratch(0);
        var scales = (float*)(quantized + (nint)rows * stride);
        var offsets = (int*)(scales + rows);
        var src = context.F(input);
        for (var r = 0; r < rows; r++)
        {
            var row = quantized + (nint)r * stride;
            scales[r] = DynamicQuantization.Asymmetric(src + (nint)r * k, k, row, out offsets[r]);
            new Span<T>(row + k, stride - k).Clear();
        }
        HybridRows.Multiply(context, weightsPacked.View, quantized, scales, offsets, rows, k, context.F(output),
            SharedBytes(rows, k, weightsPacked.DotPath));
        activation.Apply(context.F(output), (long)rows * n);
    }

    /// <summary>The per-channel reference: one output channel's dot product at a time, on one thread.</summary>
    private void RunPerChannel(RunContext context)
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
