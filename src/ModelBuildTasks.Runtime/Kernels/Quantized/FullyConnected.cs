using System.Runtime.CompilerServices;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer FULLY_CONNECTED: int8, uint8 and 16x8, weights [N, K] per-tensor or per-channel. Each input row is
/// widened to int16 and multiplied with the weight rows; accumulators are requantized per output column.
/// Threads split rows and blocks of columns, so a batch of one still uses every thread.
/// </summary>
internal sealed unsafe class FullyConnected : Kernel
{
    private const int ColumnsPerItem = 64;

    private readonly short[] weights;
    private readonly PackedInt16Weights? packed;
    private readonly PackedInt8Weights? vnni;
    private readonly ChannelRequantizer requantizer;
    private readonly TensorType type;
    private readonly int rows;
    private readonly int k;
    private readonly int n;
    private readonly int input;
    private readonly int output;

    private FullyConnected(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var bias = s.OptionalInput(2);
        var y = s.Output(0);
        var o = s.Options<FullyConnectedOptionsT>();
        s.Require(o.WeightsFormat == FullyConnectedOptionsWeightsFormat.DEFAULT, $"weights format {o.WeightsFormat} is not supported");
        s.RequireRank(f, 2);
        n = f.Dim(0);
        k = f.Dim(1);
        s.Require(k > 0 && x.ElementCount % k == 0, $"input {x} is not a whole number of rows of {k}");
        rows = checked((int)(x.ElementCount / k));
        s.Require(y.ElementCount == (long)rows * n && y.Dim(-1) == n, $"output {y} must hold {rows} rows of {n}");
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        weights = ChannelRequantizer.WidenedWeights(s, f, 0);
        if (x.Type != TensorType.INT16 && Int8DotPaths.Current == Int8DotPath.Vnni)
        {
            vnni = PackedInt8Weights.TryCreate(weights, n, k, signedActivations: x.Type == TensorType.INT8);
        }
        // The int16 panels serve 8-bit activations when VNNI is off or a weight does not fit a signed byte.
        packed = vnni is null && x.Type != TensorType.INT16 ? new PackedInt16Weights(weights, n, k) : null;
        // LiteRT's 16x8 FULLY_CONNECTED rounds once with the full int32 multiplier (unlike its 16x8 convolutions).
        requantizer = ChannelRequantizer.Create(s, x, f, bias, y, o.FusedActivationFunction, weights, n, k, wideRequantize: false);
        type = x.Type;
        MultiplyAccumulates = (long)rows * n * k;
        ScratchBytesPerThread = Math.Max((long)PackedInt8Gemm.Rows * RowStride(k) * sizeof(short),
            (long)VnniInt8Gemm.Rows * VnniInt8Gemm.RowStride(k)) + 64 * sizeof(int) + 64;
        input = x.Index;
        output = y.Index;
    }

    /// <summary>The 8-bit dot-product path this kernel was prepared for (tests check which one ran).</summary>
    internal Int8DotPath DotPath => vnni is null ? Int8DotPath.Int16Pairs : Int8DotPath.Vnni;

    public static Kernel Create(KernelSetup s) => new FullyConnected(s);

    private static int RowStride(int k) => (k + 1) / 2 * 2 + 16;

    /// <summary>Batches of four or more 8-bit rows use the packed 4×16 kernel; fewer rows the per-row dot products.</summary>
    private bool UsePacked => type != TensorType.INT16 && rows >= PackedInt8Gemm.Rows;

    public override void Run(RunContext context)
    {
        var job = new Job
        {
            W = (short*)Unsafe.AsPointer(ref weights[0]),
            Rq = requantizer.View,
            Type = type,
            K = k,
            N = n,
            Blocks = (n + ColumnsPerItem - 1) / ColumnsPerItem,
            Input = context.B(input),
            Output = context.B(output),
            Scratch = context.ScratchTable,
        };
        if (UsePacked)
        {
            if (vnni is not null)
            {
                job.Vnni = vnni.Data;
                job.Quads = vnni.Quads;
                job.Corrections = vnni.Corrections;
                job.Panels = vnni.Panels;
            }
            else
            {
                job.Packed = packed!.Data;
                job.Pairs = packed.Pairs;
                job.Panels = packed.Panels;
            }
            job.Rows = rows;
            context.Pool.For((rows + PackedInt8Gemm.Rows - 1) / PackedInt8Gemm.Rows, 1, &PackedBody, &job);
            return;
        }
        context.Pool.For(rows * job.Blocks, 1, &Body, &job);
    }

    private struct Job
    {
        public short* W;
        public short* Packed;
        public int Pairs;
        public int Panels;
        public sbyte* Vnni;
        public int Quads;
        public int* Corrections;
        public int Rows;
        public RequantizerView Rq;
        public TensorType Type;
        public int K;
        public int N;
        public int Blocks;
        public byte* Input;
        public byte* Output;
        public nint* Scratch;
    }

    private static void PackedBody(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        for (var item = begin; item < end; item++)
        {
            var r0 = item * PackedInt8Gemm.Rows;
            var count = Math.Min(PackedInt8Gemm.Rows, j.Rows - r0);
            switch (j.Type)
            {
                case TensorType.INT8 when j.Vnni != null: RowsVnni(ref j, (sbyte*)j.Input, (sbyte*)j.Output, r0, count, thread); break;
                case TensorType.INT8: Rows8(ref j, (sbyte*)j.Input, (sbyte*)j.Output, r0, count, thread); break;
                case TensorType.UINT8 when j.Vnni != null: RowsVnni(ref j, j.Input, j.Output, r0, count, thread); break;
                default: Rows8(ref j, j.Input, j.Output, r0, count, thread); break;
            }
        }
    }

    private static void Rows8<T>(ref Job j, T* input, T* output, int r0, int count, int thread)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var stride = RowStride(j.K);
        var rows = (short*)j.Scratch[thread];
        var sums = (int*)(rows + PackedInt8Gemm.Rows * stride);
        for (var r = 0; r < count; r++)
        {
            IntElements.Widen(input + (nint)(r0 + r) * j.K, rows + r * stride, j.K);
            rows[r * stride + j.K] = 0;
        }
        var a1 = rows + (count > 1 ? stride : 0);
        var a2 = rows + (count > 2 ? 2 * stride : 0);
        var a3 = rows + (count > 3 ? 3 * stride : 0);
        for (var p = 0; p < j.Panels; p++)
        {
            PackedInt8Gemm.Panel(rows, a1, a2, a3, j.Packed + (nint)p * j.Pairs * 32, j.Pairs, sums);
            j.Rq.StorePanel(output, sums, r0, count, p * PackedInt16Weights.Columns, j.N);
        }
    }

    /// <summary>8-bit rows on VNNI: up to four rows as unsigned bytes against each 16-column panel.</summary>
    private static void RowsVnni<T>(ref Job j, T* input, T* output, int r0, int count, int thread)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var stride = VnniInt8Gemm.RowStride(j.K);
        var rows = (byte*)j.Scratch[thread];
        var sums = (int*)(rows + VnniInt8Gemm.Rows * stride);
        for (var r = 0; r < count; r++)
        {
            VnniInt8Gemm.ToUnsigned(input + (nint)(r0 + r) * j.K, rows + r * stride, j.K);
            for (var i = j.K; i < stride; i++)
            {
                rows[r * stride + i] = 0;
            }
        }
        var a1 = rows + (count > 1 ? stride : 0);
        var a2 = rows + (count > 2 ? 2 * stride : 0);
        var a3 = rows + (count > 3 ? 3 * stride : 0);
        var panelBytes = j.Quads * PackedInt8Weights.Columns * 4;
        for (var p = 0; p < j.Panels; p++)
        {
            var c0 = p * PackedInt8Weights.Columns;
            VnniInt8Gemm.Panel(rows, a1, a2, a3, j.Vnni + (nint)p * panelBytes, j.Quads, j.Corrections + c0, sums);
            j.Rq.StorePanel(output, sums, r0, count, c0, j.N);
        }
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        var row = (short*)j.Scratch[thread];
        for (var item = begin; item < end; item++)
        {
            var r = item / j.Blocks;
            var n0 = item % j.Blocks * ColumnsPerItem;
            var n1 = Math.Min(j.N, n0 + ColumnsPerItem);
            var offset = (nint)r * j.K;
            var outOffset = (nint)r * j.N;
            switch (j.Type)
            {
                case TensorType.INT8:
                    IntElements.Widen((sbyte*)j.Input + offset, row, j.K);
                    IntGemm.Row(row, j.W, j.K, n0, n1, j.Rq, (sbyte*)j.Output + outOffset, false);
                    break;
                case TensorType.UINT8:
                    IntElements.Widen(j.Input + offset, row, j.K);
                    IntGemm.Row(row, j.W, j.K, n0, n1, j.Rq, j.Output + outOffset, false);
                    break;
                default:
                    IntElements.Widen((short*)j.Input + offset, row, j.K);
                    IntGemm.Row(row, j.W, j.K, n0, n1, j.Rq, (short*)j.Output + outOffset, true);
                    break;
            }
        }
    }
}
