using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Tests.Quantized;

/// <summary>
/// Builds small quantized test models with the IR: several independent single-op cases can share one model
/// (one oracle process for all of them). Graph inputs and outputs are named in creation order with zero-padded
/// numbers, and a signature lists them in that order, so LiteRT and our runtime agree on positions.
/// </summary>
internal sealed class QuantModelBuilder
{
    private readonly ModelGraph graph = new();
    private readonly Subgraph main = new() { Name = "main" };
    private readonly Random random;
    private readonly List<byte[]> inputData = [];

    public QuantModelBuilder(int seed)
    {
        random = new Random(seed);
        graph.Subgraphs.Add(main);
    }

    public Random Random => random;

    /// <summary>Input bytes, in graph-input order.</summary>
    public IReadOnlyList<byte[]> InputData => inputData;

    /// <summary>A label for each output, in graph-output order (used in agreement reports).</summary>
    public List<string> OutputLabels { get; } = [];

    /// <summary>A graph input filled with uniformly random values of its type (or of [lo, hi] when given).</summary>
    public Tensor Input(TensorType type, int[] shape, float scale, long zeroPoint, int? lo = null, int? hi = null)
    {
        var t = Add(new Tensor($"in_{main.Inputs.Count:D2}", type, shape) { Quantization = Quant(scale, zeroPoint) });
        main.Inputs.Add(t);
        var n = (int)t.ElementCount;
        var (min, max) = Range(type);
        var from = lo ?? min;
        var to = hi ?? max;
        var bytes = new byte[t.DenseByteSize];
        for (var i = 0; i < n; i++)
        {
            Write(type, bytes, i, random.Next(from, to + 1));
        }
        inputData.Add(bytes);
        return t;
    }

    /// <summary>A float32 graph input with uniform values in [lo, hi).</summary>
    public Tensor FloatInput(int[] shape, float lo, float hi)
    {
        var t = Add(new Tensor($"in_{main.Inputs.Count:D2}", TensorType.FLOAT32, shape));
        main.Inputs.Add(t);
        var values = new float[t.ElementCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = lo + (float)random.NextDouble() * (hi - lo);
        }
        inputData.Add(MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return t;
    }

    /// <summary>An activation tensor that becomes a graph output.</summary>
    public Tensor Output(string label, TensorType type, int[] shape, float scale = 0, long zeroPoint = 0)
    {
        var t = Add(new Tensor($"out_{main.Outputs.Count:D2}", type, shape)
        {
            Quantization = type == TensorType.FLOAT32 ? null : Quant(scale, zeroPoint),
        });
        main.Outputs.Add(t);
        OutputLabels.Add(label);
        return t;
    }

    /// <summary>A constant tensor with the given raw values (converted to its type).</summary>
    public Tensor Const(TensorType type, int[] shape, long[] values, TensorQuantization? quantization = null)
    {
        var t = new Tensor($"const_{main.Tensors.Count}", type, shape) { Quantization = quantization };
        var bytes = new byte[t.DenseByteSize];
        for (var i = 0; i < values.Length; i++)
        {
            Write(type, bytes, i, values[i]);
        }
        t.Data = bytes;
        return Add(t);
    }

    public Tensor ConstInts(params int[] values) =>
        Const(TensorType.INT32, [values.Length], values.Select(v => (long)v).ToArray());

    /// <summary>Random int8 weights in [-127, 127], quantized on <paramref name="axis"/> when per-channel.</summary>
    public Tensor Weights(int[] shape, int axis, bool perChannel, out float[] scales)
    {
        var channels = perChannel ? shape[axis] : 1;
        scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            scales[c] = 0.002f + (float)random.NextDouble() * 0.01f;
        }
        var q = perChannel
            ? TensorQuantization.PerAxis(scales, new long[channels], axis)
            : TensorQuantization.PerTensor(scales[0], 0);
        var values = new long[shape.Aggregate(1, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(-127, 128);
        }
        return Const(TensorType.INT8, shape, values, q);
    }

    /// <summary>Random bias (int32, or int64 for 16x8) with scale input_scale·weight_scale[c].</summary>
    public Tensor Bias(int channels, float inputScale, float[] weightScales, bool wide, int magnitude = 3000)
    {
        var values = new long[channels];
        for (var c = 0; c < channels; c++)
        {
            values[c] = random.Next(-magnitude, magnitude + 1);
        }
        var scales = weightScales.Select(s => s * inputScale).ToArray();
        var q = scales.Length == 1 ? TensorQuantization.PerTensor(scales[0], 0) : TensorQuantization.PerAxis(scales, new long[scales.Length], 0);
        return Const(wide ? TensorType.INT64 : TensorType.INT32, [channels], values, q);
    }

    public Operator Op(BuiltinOperator code, int version, BuiltinOptionsUnion? options, Tensor?[] inputs, params Tensor[] outputs)
    {
        var op = new Operator(new OperatorCode(code, null, version)) { Options = options };
        op.Inputs.AddRange(inputs);
        op.Outputs.AddRange(outputs);
        main.Operators.Add(op);
        return op;
    }

    public byte[] Build()
    {
        var signature = new SignatureDef("serving_default", main);
        signature.Inputs.AddRange(main.Inputs.Select(t => new SignatureTensor(t.Name, t)));
        signature.Outputs.AddRange(main.Outputs.Select(t => new SignatureTensor(t.Name, t)));
        graph.Signatures.Add(signature);
        return ModelBuildTasks.Model.Format.ModelWriter.ToBytes(graph);
    }

    public static TensorQuantization Quant(float scale, long zeroPoint) => TensorQuantization.PerTensor(scale, zeroPoint);

    public static (int Min, int Max) Range(TensorType type) => type switch
    {
        TensorType.INT8 => (sbyte.MinValue, sbyte.MaxValue),
        TensorType.UINT8 => (0, byte.MaxValue),
        TensorType.INT16 => (short.MinValue, short.MaxValue),
        _ => (-1000, 1000),
    };

    /// <summary>Adds a tensor made by the caller (e.g. a float constant).</summary>
    public Tensor Add(Tensor t)
    {
        main.Tensors.Add(t);
        return t;
    }

    private static void Write(TensorType type, byte[] bytes, int i, long value)
    {
        switch (type)
        {
            case TensorType.INT8: bytes[i] = unchecked((byte)(sbyte)value); break;
            case TensorType.UINT8: bytes[i] = (byte)value; break;
            case TensorType.INT16: MemoryMarshal.Write(bytes.AsSpan(i * 2), (short)value); break;
            case TensorType.INT32: MemoryMarshal.Write(bytes.AsSpan(i * 4), (int)value); break;
            case TensorType.INT64: MemoryMarshal.Write(bytes.AsSpan(i * 8), value); break;
            default: throw new ArgumentException($"cannot write {type}");
        }
    }
}
