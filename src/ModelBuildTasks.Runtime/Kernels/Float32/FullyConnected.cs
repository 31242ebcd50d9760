using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// FULLY_CONNECTED with float32 input and constant float32 weights [units, depth]: every run of depth
/// consecutive input values is one row, multiplied by the packed weights with the GEMM micro-kernel. Hybrid
/// (int8 weight) forms belong to the integer phase and are rejected at load for now.
/// </summary>
internal sealed unsafe class FullyConnected : Kernel
{
    private readonly PackedWeights weights;
    private readonly FusedActivation activation;
    private readonly int rows;
    private readonly int input;
    private readonly int output;

    private FullyConnected(KernelSetup s)
    {
        var x = s.Input(0);
        var w = s.Input(1);
        var bias = s.OptionalInput(2);
        var y = s.Output(0);
        s.RequireType(x, TensorType.FLOAT32);
        s.RequireType(w, TensorType.FLOAT32);
        s.RequireType(y, TensorType.FLOAT32);
        s.RequireRank(w, 2);
        var o = s.Options<FullyConnectedOptionsT>();
        if (o.WeightsFormat != FullyConnectedOptionsWeightsFormat.DEFAULT)
        {
            throw s.Unsupported($"weights format {o.WeightsFormat} is not supported");
        }
        var units = w.Dim(0);
        var depth = w.Dim(1);
        s.Require(depth > 0 && x.ElementCount % depth == 0, $"input {x} is not a whole number of rows of {depth}");
        rows = checked((int)(x.ElementCount / depth));
        s.Require(y.ElementCount == (long)rows * units, $"output {y} must hold {rows}×{units} values");
        MultiplyAccumulates = (long)rows * units * depth;
        var biasValues = ReadOnlySpan<float>.Empty;
        if (bias is not null)
        {
            s.Require(bias.ElementCount == units, $"bias {bias} must have {units} elements");
            biasValues = s.ConstFloats(bias);
        }
        weights = new PackedWeights(s.ConstFloats(w), units, depth, biasValues);
        activation = FusedActivation.From(o.FusedActivationFunction, s);
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new FullyConnected(s);

    public override void Run(RunContext context)
    {
        var job = new Job { W = weights.Matrix, Input = context.F(input), Output = context.F(output), Rows = rows, Min = activation.Min, Max = activation.Max };
        var items = Gemm.Partition(rows, weights.Panels, 72, context.ThreadCount, out job.RowsPerBlock, out job.PanelGroups, out job.PanelsPerGroup);
        context.Pool.For(items, 1, &Body, &job);
        if (activation.IsTanh)
        {
            activation.Apply(job.Output, (long)rows * weights.N);
        }
    }

    private struct Job
    {
        public PackedMatrix W;
        public float* Input;
        public float* Output;
        public int Rows;
        public float Min;
        public float Max;
        public int RowsPerBlock;
        public int PanelGroups;
        public int PanelsPerGroup;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        for (var item = begin; item < end; item++)
        {
            var m0 = item / j.PanelGroups * j.RowsPerBlock;
            var p0 = item % j.PanelGroups * j.PanelsPerGroup;
            var count = Math.Min(j.RowsPerBlock, j.Rows - m0);
            Gemm.Multiply(j.Input + (nint)m0 * j.W.K, j.W.K, count, j.W, p0, Math.Min(j.W.Panels, p0 + j.PanelsPerGroup),
                j.Output + (nint)m0 * j.W.N, j.W.N, j.Min, j.Max);
        }
    }
}
