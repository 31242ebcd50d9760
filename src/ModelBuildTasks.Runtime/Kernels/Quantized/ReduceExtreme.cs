using System.Numerics;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer REDUCE_MAX and REDUCE_MIN over constant axes (keep_dims or not). As in TFLite the raw values are compared
/// and written unchanged, so input and output share their quantization (the quantizer ties them).
/// </summary>
internal sealed unsafe class ReduceExtreme : Kernel
{
    private readonly bool max;
    private readonly int[] shape;
    /// <summary>Per input dimension, the output stride it advances (0 when the dimension is reduced).</summary>
    private readonly long[] outStrides;
    private readonly long inCount, outCount;
    private readonly TensorType type;
    private readonly int input, output;

    private ReduceExtreme(KernelSetup s)
    {
        var x = s.Input(0);
        var y = s.Output(0);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        QuantInfo.Of(s, x);
        QuantInfo.Of(s, y);
        max = s.Op.Code.Builtin == BuiltinOperator.REDUCE_MAX;
        var reduced = new bool[x.Rank];
        foreach (var a in s.ConstInts(s.Input(1)))
        {
            var axis = a < 0 ? a + x.Rank : a;
            s.Require(axis >= 0 && axis < x.Rank, $"axis {a} is out of range for {x}");
            reduced[axis] = true;
        }
        shape = x.Rank == 0 ? [1] : x.Shape;
        outStrides = new long[shape.Length];
        long stride = 1;
        for (var d = x.Rank - 1; d >= 0; d--)
        {
            outStrides[d] = reduced[d] ? 0 : stride;
            stride *= reduced[d] ? 1 : shape[d];
        }
        outCount = stride;
        s.Require(y.ElementCount == outCount, $"output {y} must hold {outCount} values");
        inCount = x.ElementCount;
        type = x.Type;
        input = x.Index;
        output = y.Index;
    }

    public static Kernel Create(KernelSetup s) => new ReduceExtreme(s);

    public override void Run(RunContext context)
    {
        switch (type)
        {
            case TensorType.INT8: Reduce(context.P<sbyte>(input), context.P<sbyte>(output), sbyte.MinValue, sbyte.MaxValue); break;
            case TensorType.UINT8: Reduce(context.B(input), context.B(output), byte.MinValue, byte.MaxValue); break;
            default: Reduce(context.P<short>(input), context.P<short>(output), short.MinValue, short.MaxValue); break;
        }
    }

    private void Reduce<T>(T* src, T* dst, int typeMin, int typeMax) where T : unmanaged, IBinaryInteger<T>
    {
        for (long o = 0; o < outCount; o++)
        {
            IntElements.Set(dst, (nint)o, max ? typeMin : typeMax);
        }
        if (inCount == 0)
        {
            return;
        }
        // Walk the input in order with an odometer; the output offset follows the non-reduced dimensions.
        var rank = shape.Length;
        Span<int> index = stackalloc int[rank];
        long offset = 0;
        var inner = shape[rank - 1];
        var innerStride = outStrides[rank - 1];
        for (long i = 0; i < inCount; i += inner)
        {
            for (var j = 0; j < inner; j++)
            {
                var at = (nint)(offset + j * innerStride);
                var v = IntElements.Get(src, (nint)(i + j));
                var current = IntElements.Get(dst, at);
                IntElements.Set(dst, at, max ? Math.Max(current, v) : Math.Min(current, v));
            }
            for (var d = rank - 2; d >= 0; d--)
            {
                index[d]++;
                offset += outStrides[d];
                if (index[d] < shape[d])
                {
                    break;
                }
                offset -= outStrides[d] * shape[d];
                index[d] = 0;
            }
        }
    }
}
