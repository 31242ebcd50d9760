using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Float32;

/// <summary>
/// GATHER along one axis (batch_dims 0): output = params[outer…, indices…, inner…]. Indices are int32 or int64,
/// constant or computed; an index outside the axis is an input-data error. Any element type for params.
/// </summary>
internal sealed unsafe class Gather : Kernel
{
    private readonly long outer;
    private readonly int axisSize;
    private readonly long innerBytes;
    private readonly long indexCount;
    private readonly bool longIndices;
    private readonly int operatorIndex;
    private readonly int parameters;
    private readonly int indices;
    private readonly int output;

    private Gather(KernelSetup s)
    {
        var p = s.Input(0);
        var idx = s.Input(1);
        var y = s.Output(0);
        var o = s.Options<GatherOptionsT>();
        if (o.BatchDims != 0)
        {
            throw s.Unsupported("batch_dims other than 0 is not supported");
        }
        if (idx.Type is not (TensorType.INT32 or TensorType.INT64))
        {
            throw s.Unsupported($"indices {idx} must be int32 or int64");
        }
        var axis = o.Axis < 0 ? o.Axis + p.Rank : o.Axis;
        s.Require(axis >= 0 && axis < p.Rank, $"axis {o.Axis} is out of range for {p}");
        s.Require(y.Type == p.Type, $"output {y} must have the type of {p}");
        outer = 1;
        for (var d = 0; d < axis; d++)
        {
            outer *= p.Shape[d];
        }
        long inner = 1;
        for (var d = axis + 1; d < p.Rank; d++)
        {
            inner *= p.Shape[d];
        }
        axisSize = p.Shape[axis];
        indexCount = idx.ElementCount;
        s.Require(y.ElementCount == outer * indexCount * inner, $"output {y} does not match gathering {idx} from {p}");
        innerBytes = inner * p.ElementSize;
        longIndices = idx.Type == TensorType.INT64;
        operatorIndex = s.OperatorIndex;
        parameters = p.Index;
        indices = idx.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new Gather(s);

    public override void Run(RunContext context)
    {
        var src = context.B(parameters);
        var dst = context.B(output);
        var idx = context.B(indices);
        for (long o = 0; o < outer; o++)
        {
            for (long i = 0; i < indexCount; i++)
            {
                var k = longIndices ? ((long*)idx)[i] : ((int*)idx)[i];
                if ((ulong)k >= (ulong)axisSize)
                {
                    throw new ModelRuntimeException(RuntimeErrorCodes.InvalidInputData,
                        $"operator {operatorIndex} (GATHER): index {k} is outside [0, {axisSize})", operatorIndex);
                }
                Buffer.MemoryCopy(src + (o * axisSize + k) * innerBytes, dst, innerBytes, innerBytes);
                dst += innerBytes;
            }
        }
    }
}
