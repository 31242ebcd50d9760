using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels;

/// <summary>
/// What a kernel factory sees of one operator while the model loads: its tensors (with constant data where
/// known), its options, and helpers that turn a bad configuration into a coded error naming the operator.
/// </summary>
internal sealed class KernelSetup
{
    private readonly RuntimeTensor?[] inputs;
    private readonly RuntimeTensor?[] outputs;

    public KernelSetup(Operator op, int operatorIndex, RuntimeTensor?[] inputs, RuntimeTensor?[] outputs)
    {
        Op = op;
        OperatorIndex = operatorIndex;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    public Operator Op { get; }

    public int OperatorIndex { get; }

    public int InputCount => inputs.Length;

    public int OutputCount => outputs.Length;

    public RuntimeTensor Input(int i) =>
        i < inputs.Length && inputs[i] is { } t ? t : throw Invalid($"input {i} is missing");

    public TensorType? OptionalOutputType() => outputs.Length > 0 ? outputs[0]?.Type : null;

    public RuntimeTensor? OptionalInput(int i) => i < inputs.Length ? inputs[i] : null;

    public RuntimeTensor Output(int i) =>
        i < outputs.Length && outputs[i] is { } t ? t : throw Invalid($"output {i} is missing");

    /// <summary>The options table, or one with the format's defaults when the operator has none.</summary>
    public T Options<T>() where T : class, new() => Op.OptionsAs<T>() ?? new T();

    /// <summary>Constant data of an input that must be constant (weights, axes, shapes).</summary>
    public ReadOnlySpan<float> ConstFloats(RuntimeTensor t)
    {
        RequireType(t, TensorType.FLOAT32);
        return t.Constant is { } c ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(c.AsSpan(0, checked((int)t.ByteLength)))
            : throw Unsupported($"tensor {t} must be constant");
    }

    /// <summary>Integer constant (int32 or int64) as int values.</summary>
    public int[] ConstInts(RuntimeTensor t)
    {
        if (t.Constant is not { } c)
        {
            throw Unsupported($"tensor {t} must be constant");
        }
        var n = checked((int)t.ElementCount);
        var values = new int[n];
        switch (t.Type)
        {
            case TensorType.INT32:
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(c.AsSpan(0, n * 4)).CopyTo(values);
                break;
            case TensorType.INT64:
                var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(c.AsSpan(0, n * 8));
                for (var i = 0; i < n; i++)
                {
                    values[i] = checked((int)longs[i]);
                }
                break;
            default:
                throw Unsupported($"tensor {t} must be int32 or int64");
        }
        return values;
    }

    public void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw Invalid(message);
        }
    }

    public void RequireType(RuntimeTensor t, TensorType type)
    {
        if (t.Type != type)
        {
            throw Unsupported($"tensor {t} has type {TensorTypes.Name(t.Type)}; this kernel needs {TensorTypes.Name(type)}");
        }
    }

    public void RequireRank(RuntimeTensor t, int rank)
    {
        if (t.Rank != rank)
        {
            throw Invalid($"tensor {t} must have rank {rank}");
        }
    }

    public void RequireSameShape(RuntimeTensor a, RuntimeTensor b)
    {
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
        {
            throw Invalid($"tensors {a} and {b} must have the same shape");
        }
    }

    public ModelRuntimeException Invalid(string message) =>
        new(RuntimeErrorCodes.InvalidOperator, $"operator {OperatorIndex} ({Op.Code}): {message}", OperatorIndex);

    public ModelRuntimeException Unsupported(string message) =>
        new(RuntimeErrorCodes.UnsupportedOperator, $"operator {OperatorIndex} ({Op.Code}) {DescribeTypes()}: {message}", OperatorIndex);

    public string DescribeTypes() =>
        $"[{string.Join(", ", inputs.Select(t => t is null ? "-" : TensorTypes.Name(t.Type)))}] -> " +
        $"[{string.Join(", ", outputs.Select(t => t is null ? "-" : TensorTypes.Name(t.Type)))}]";
}
