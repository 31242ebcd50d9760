using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Quantization;
using ModelBuildTasks.Optimization.Targets;

namespace ModelBuildTasks.Optimization.FullInteger;

/// <summary>
/// Rewrites the main subgraph once every op's kind is chosen. Each float activation keeps its identity (and name) in
/// the kind of whoever "owns" it — the model's I/O type for inputs and outputs, else its producer's kind; readers of
/// another kind get a twin tensor made by a QUANTIZE or DEQUANTIZE inserted before the first of them. Then the
/// constants of integer ops are quantized: weights int8 symmetric per channel (fully-connected per tensor), bias
/// int32 (int64 for 16x8) at input scale × weight scale, other constants with their tensor group's parameters.
/// </summary>
internal sealed class IntegerRewriter(
    ModelGraph model, Subgraph main, OptimizationOptions options, Dictionary<Operator, Kind> kinds, ScaleGroups groups,
    List<OptimizationChange> changes, string pass, Clustering.ClusteredWeights? clustered = null)
{
    private readonly SubgraphEditor _editor = new(model, main);

    public void Run()
    {
        var inputKind = IoKind(options.InputType);
        var outputKind = IoKind(options.OutputType);
        var inputs = new HashSet<Tensor>(main.Inputs, ReferenceEqualityComparer.Instance);
        var outputs = new HashSet<Tensor>(main.Outputs, ReferenceEqualityComparer.Instance);
        foreach (var tensor in main.Tensors.ToList())
        {
            if (tensor is { Type: TensorType.FLOAT32, IsConstant: false })
            {
                RewriteActivation(tensor, inputs.Contains(tensor) ? inputKind : null, outputs.Contains(tensor) ? outputKind : null);
            }
        }
        foreach (var op in main.Operators)
        {
            if (kinds[op] != Kind.Float)
            {
                QuantizeConstants(op, kinds[op]);
                AdjustOptions(op, kinds[op]);
            }
        }
        _editor.Commit();
    }

    private Kind IoKind(ModelIoType? type)
    {
        var integer = options.Optimization == Optimization.Int16x8 ? Kind.Int16 : Kind.Int8;
        return (type ?? TargetCheck.DefaultIoType(options.Target)) switch
        {
            ModelIoType.Float32 => Kind.Float,
            ModelIoType.UInt8 => Kind.UInt8,
            _ => integer,
        };
    }

    private Kind KindOf(Operator op) => kinds.TryGetValue(op, out var k) ? k : Kind.Float;

    private void RewriteActivation(Tensor tensor, Kind? inputKind, Kind? outputKind)
    {
        var producer = _editor.ProducerOf(tensor);
        var producerKind = inputKind ?? (producer is null ? Kind.Float : KindOf(producer));
        var ownKind = inputKind ?? outputKind ?? producerKind;
        var readers = _editor.ConsumersOf(tensor);
        if (ownKind == Kind.Float && producerKind == Kind.Float && readers.All(r => KindOf(r) == Kind.Float))
        {
            return;
        }
        var forms = new Dictionary<Kind, Tensor> { [ownKind] = tensor };
        if (ownKind != Kind.Float)
        {
            tensor.Type = IntegerKernels.TypeOf(ownKind);
            tensor.Quantization = groups.Params(tensor, ownKind);
        }
        if (producer is not null && producerKind != ownKind)
        {
            var written = Twin(tensor, producerKind);
            producer.Outputs[producer.Outputs.IndexOf(tensor)] = written;
            forms[producerKind] = written;
            Convert(written, tensor, after: producer, before: null);
        }
        foreach (var group in readers.GroupBy(KindOf))
        {
            var kind = group.Key;
            if (!forms.TryGetValue(kind, out var form))
            {
                form = Twin(tensor, kind);
                forms[kind] = form;
                Convert(tensor, form, after: null, before: _editor.First(group));
            }
            foreach (var reader in group)
            {
                for (var i = 0; i < reader.Inputs.Count; i++)
                {
                    if (ReferenceEquals(reader.Inputs[i], tensor))
                    {
                        reader.Inputs[i] = form;
                    }
                }
            }
        }
    }

    private Tensor Twin(Tensor tensor, Kind kind)
    {
        var twin = new Tensor(_editor.UniqueName(tensor.Name + IntegerKernels.Suffix(kind)), IntegerKernels.TypeOf(kind), [.. tensor.Shape])
        {
            ShapeSignature = tensor.ShapeSignature is null ? null : [.. tensor.ShapeSignature],
            HasRank = tensor.HasRank,
            Quantization = kind == Kind.Float ? null : groups.Params(tensor, kind),
        };
        _editor.AddTensorAfter(tensor, twin);
        return twin;
    }

    /// <summary>
    /// Inserts the op that converts <paramref name="from"/> into <paramref name="to"/>: DEQUANTIZE to float, QUANTIZE
    /// from float or between int8/uint8 and int16→int8; other integer pairs go through a float intermediate.
    /// </summary>
    private void Convert(Tensor from, Tensor to, Operator? after, Operator? before)
    {
        if (from.Type != TensorType.FLOAT32 && to.Type != TensorType.FLOAT32 && !DirectRequantize(from.Type, to.Type))
        {
            var middle = new Tensor(_editor.UniqueName(from.Name + "_float"), TensorType.FLOAT32, [.. from.Shape]) { HasRank = from.HasRank };
            _editor.AddTensorAfter(from, middle);
            Convert(from, middle, after, before);
            Convert(middle, to, after, before);
            return;
        }
        var op = new Operator(new OperatorCode(to.Type == TensorType.FLOAT32 ? BuiltinOperator.DEQUANTIZE : BuiltinOperator.QUANTIZE));
        op.Inputs.Add(from);
        op.Outputs.Add(to);
        OperatorVersions.Update(op);
        if (after is not null)
        {
            _editor.InsertOperatorAfter(after, op);
        }
        else
        {
            _editor.InsertOperatorBefore(before!, op);
        }
    }

    private static bool DirectRequantize(TensorType from, TensorType to) => (from, to) is
        (TensorType.INT8, TensorType.INT8) or (TensorType.INT8, TensorType.UINT8) or (TensorType.UINT8, TensorType.INT8) or
        (TensorType.INT16, TensorType.INT8) or (TensorType.INT16, TensorType.INT16);

    private void QuantizeConstants(Operator op, Kind kind)
    {
        // Weights first: the bias scale depends on them.
        float[]? weightScales = null;
        for (var i = 0; i < op.Inputs.Count; i++)
        {
            if (op.Inputs[i] is { Type: TensorType.FLOAT32, IsConstant: true } w && WeightOperands.WeightAxis(op, i) is { } axis)
            {
                var perTensor = op.Code.Builtin == BuiltinOperator.FULLY_CONNECTED || axis >= w.Shape.Length;
                var values = MemoryMarshal.Cast<byte, float>(w.Data.Span);
                var q = clustered?.Quantize(w, values, perTensor, axis) ??
                    (perTensor ? SymmetricQuantizer.PerTensor(values) : SymmetricQuantizer.PerChannel(values, w.Shape, axis));
                // A channel of zeros has scale 0; any positive scale represents it, and 1 keeps its bias exact.
                var scales = q.Scales.Select(s => s > 0 ? s : 1f).ToArray();
                weightScales = scales;
                Replace(op, i, w, TensorType.INT8, MemoryMarshal.AsBytes(q.Values.AsSpan()).ToArray(),
                    TensorQuantization.PerAxis(scales, new long[scales.Length], scales.Length == 1 ? 0 : axis), "float32 -> int8 weights");
            }
        }
        var biasIndex = WeightOperands.BiasIndex(op);
        for (var i = 0; i < op.Inputs.Count; i++)
        {
            if (op.Inputs[i] is not { Type: TensorType.FLOAT32, IsConstant: true } c)
            {
                continue;
            }
            if (i == biasIndex && weightScales is not null && op.Inputs[0]?.Quantization is { Scale.Length: 1 } inQ)
            {
                QuantizeBias(op, i, c, inQ.Scale[0], weightScales, kind);
            }
            else
            {
                var constantKind = IntegerKernels.ConstantKind(op.Code.Builtin, i, kind);
                var q = groups.Params(c, constantKind);
                Replace(op, i, c, IntegerKernels.TypeOf(constantKind), QuantizeValues(c, q, constantKind), q,
                    $"float32 -> {TensorTypes.Name(IntegerKernels.TypeOf(constantKind))} constant");
            }
        }
    }

    private void QuantizeBias(Operator op, int index, Tensor bias, float inputScale, float[] weightScales, Kind kind)
    {
        var values = MemoryMarshal.Cast<byte, float>(bias.Data.Span);
        var wide = kind == Kind.Int16;
        var data = new byte[values.Length * (wide ? 8 : 4)];
        var scales = new float[values.Length];
        for (var c = 0; c < values.Length; c++)
        {
            var scale = inputScale * weightScales[weightScales.Length == 1 ? 0 : Math.Min(c, weightScales.Length - 1)];
            scales[c] = scale;
            var q = Math.Round(values[c] / (double)scale, MidpointRounding.AwayFromZero);
            if (wide)
            {
                BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(c * 8), (long)Math.Clamp(q, long.MinValue / 2, long.MaxValue / 2));
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(c * 4), (int)Math.Clamp(q, -int.MaxValue, int.MaxValue));
            }
        }
        var quantization = weightScales.Length == 1
            ? TensorQuantization.PerTensor(scales.Length > 0 ? scales[0] : inputScale, 0)
            : TensorQuantization.PerAxis(scales, new long[scales.Length], 0);
        Replace(op, index, bias, wide ? TensorType.INT64 : TensorType.INT32, data, quantization, wide ? "float32 -> int64 bias" : "float32 -> int32 bias");
    }

    private static byte[] QuantizeValues(Tensor c, TensorQuantization q, Kind kind)
    {
        var values = MemoryMarshal.Cast<byte, float>(c.Data.Span);
        var scale = q.Scale[0];
        var zeroPoint = q.ZeroPoint[0];
        var size = kind == Kind.Int16 ? 2 : 1;
        var data = new byte[values.Length * size];
        var (lo, hi) = kind switch { Kind.Int16 => (-32767, 32767), Kind.UInt8 => (0, 255), _ => (-128, 127) };
        for (var i = 0; i < values.Length; i++)
        {
            var v = (int)Math.Clamp(Math.Round(values[i] / scale, MidpointRounding.AwayFromZero) + zeroPoint, lo, hi);
            if (size == 2)
            {
                BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(i * 2), (short)v);
            }
            else
            {
                data[i] = unchecked((byte)v);
            }
        }
        return data;
    }

    /// <summary>Gives op input <paramref name="index"/> the quantized data: in place when it is the constant's only use, else a new tensor.</summary>
    private void Replace(Operator op, int index, Tensor constant, TensorType type, byte[] data, TensorQuantization quantization, string action)
    {
        var before = constant.Data.Length;
        var readers = _editor.ConsumersOf(constant);
        var uses = readers.Sum(r => r.Inputs.Count(t => ReferenceEquals(t, constant)));
        var target = constant;
        if (uses != 1 || _editor.IsProtected(constant))
        {
            target = new Tensor(_editor.UniqueName(constant.Name + IntegerKernels.Suffix(type == TensorType.INT16 ? Kind.Int16 : Kind.Int8)), type, [.. constant.Shape])
            {
                HasRank = constant.HasRank,
            };
            _editor.AddTensorAfter(constant, target);
            op.Inputs[index] = target;
            _editor.MaybeOrphaned(constant);
        }
        target.Type = type;
        target.Data = data;
        target.Quantization = quantization;
        changes.Add(new OptimizationChange(pass, target.Name, action, before, data.Length));
    }

    /// <summary>16x8 ADD/SUB with general scales need pot_scale_int16 = false (the schema's default is true).</summary>
    private static void AdjustOptions(Operator op, Kind kind)
    {
        if (kind != Kind.Int16)
        {
            return;
        }
        if (op.Code.Builtin == BuiltinOperator.ADD)
        {
            var a = op.OptionsAs<AddOptionsT>();
            op.Options = BuiltinOptionsUnion.FromAddOptions(new AddOptionsT { FusedActivationFunction = a?.FusedActivationFunction ?? default, PotScaleInt16 = false });
        }
        else if (op.Code.Builtin == BuiltinOperator.SUB)
        {
            var s = op.OptionsAs<SubOptionsT>();
            op.Options = BuiltinOptionsUnion.FromSubOptions(new SubOptionsT { FusedActivationFunction = s?.FusedActivationFunction ?? default, PotScaleInt16 = false });
        }
    }
}
