using System.Runtime.InteropServices;
using Google.FlatBuffers;
using Fb = ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model.Format;

/// <summary>Where the writer puts tensor data.</summary>
public enum BufferPlacement
{
    /// <summary>Inside the FlatBuffer unless that would pass the 2 GB FlatBuffer limit.</summary>
    Auto,
    /// <summary>Always inside the FlatBuffer (fails for models over 2 GB).</summary>
    Inline,
    /// <summary>Always after the FlatBuffer, addressed by Buffer.offset/size.</summary>
    External,
}

/// <summary>
/// Serializes a <see cref="ModelGraph"/> to the .tflite format. Output is deterministic: the same graph always
/// gives the same bytes. Weight data is block-copied once, 16-byte aligned; identical slices are stored once.
/// </summary>
public static class ModelWriter
{
    /// <summary>Above this much tensor data the FlatBuffer would risk its 2 GB limit, so data goes after it.</summary>
    public const long InlineLimit = 2_000_000_000;

    private const int DataAlignment = 16;

    /// <summary>Writes the model to a new byte array.</summary>
    public static byte[] ToBytes(ModelGraph model, BufferPlacement placement = BufferPlacement.Auto)
    {
        var plan = Plan(model, placement);
        var output = new MemoryStream((int)Math.Min(plan.TotalSize, Array.MaxLength));
        plan.WriteTo(output);
        return output.Length == output.Capacity ? output.GetBuffer() : output.ToArray();
    }

    /// <summary>Writes the model to a stream.</summary>
    public static void Write(ModelGraph model, Stream output, BufferPlacement placement = BufferPlacement.Auto) =>
        Plan(model, placement).WriteTo(output);

    /// <summary>
    /// Writes the model to a file atomically: it goes to a temporary file beside the target that is then renamed,
    /// so readers never see a partial model and a failure leaves the old file in place.
    /// </summary>
    public static void WriteFile(ModelGraph model, string path, BufferPlacement placement = BufferPlacement.Auto)
    {
        var plan = Plan(model, placement);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                plan.WriteTo(stream);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static WritePlan Plan(ModelGraph model, BufferPlacement placement)
    {
        ModelValidator.Validate(model);
        var buffers = new BufferTable();
        foreach (var tensor in model.AllTensors())
        {
            buffers.Add(tensor.Data);
        }
        foreach (var entry in model.Metadata)
        {
            buffers.Add(entry.Data, forceEntry: true);
        }
        foreach (var data in model.LegacyMetadataBuffers)
        {
            buffers.Add(data, forceEntry: true);
        }

        var external = placement == BufferPlacement.External ||
                       (placement == BufferPlacement.Auto && buffers.TotalBytes > InlineLimit);
        if (!external && buffers.TotalBytes > InlineLimit)
        {
            throw new ModelFormatException(ModelErrorCodes.Unsupported,
                $"the model holds {buffers.TotalBytes} bytes of tensor data, too much to store inside the FlatBuffer; " +
                "write it with external buffers");
        }
        if (!external)
        {
            var flatBuffer = Serialize(model, buffers, null);
            return new WritePlan(flatBuffer, [], [], model.AssociatedFiles);
        }

        // Data offsets depend on the FlatBuffer's size, which depends on nothing else: serialize once with
        // placeholder offsets of the same width, then again with the real ones.
        var sizing = Serialize(model, buffers, Enumerable.Repeat(ulong.MaxValue, buffers.Count).ToArray());
        var offsets = new ulong[buffers.Count];
        var padding = new int[buffers.Count];
        var position = (long)sizing.Count;
        for (var i = 0; i < buffers.Count; i++)
        {
            if (buffers[i].IsEmpty)
            {
                continue;
            }
            var aligned = (position + DataAlignment - 1) / DataAlignment * DataAlignment;
            padding[i] = (int)(aligned - position);
            offsets[i] = (ulong)aligned;
            position = aligned + buffers[i].Length;
        }
        var final = Serialize(model, buffers, offsets);
        if (final.Count != sizing.Count)
        {
            throw new InvalidOperationException("FlatBuffer size changed between sizing and final pass");
        }
        return new WritePlan(final, buffers.Entries, padding, model.AssociatedFiles);
    }

    /// <summary>Builds the FlatBuffer. With <paramref name="externalOffsets"/>, data is referenced, not embedded.</summary>
    private static ArraySegment<byte> Serialize(ModelGraph model, BufferTable buffers, ulong[]? externalOffsets)
    {
        var inlineBytes = externalOffsets is null ? buffers.TotalBytes + buffers.Count * DataAlignment : 0;
        var tables = model.Subgraphs.Sum(s => s.Tensors.Count + s.Operators.Count) + model.Metadata.Count;
        var builder = new FlatBufferBuilder((int)Math.Min(Array.MaxLength, inlineBytes + 4096 + 256L * tables));

        // Data first: the builder fills from the back, so this puts weights at the end of the file as converters do.
        var bufferOffsets = new Offset<Fb.Buffer>[buffers.Count];
        for (var i = buffers.Count - 1; i >= 0; i--)
        {
            var data = buffers[i];
            if (data.IsEmpty)
            {
                Fb.Buffer.StartBuffer(builder);
                bufferOffsets[i] = Fb.Buffer.EndBuffer(builder);
            }
            else if (externalOffsets is not null)
            {
                bufferOffsets[i] = Fb.Buffer.CreateBuffer(builder, default, externalOffsets[i], (ulong)data.Length);
            }
            else
            {
                builder.StartVector(1, data.Length, DataAlignment);
                AddBytes(builder, data);
                bufferOffsets[i] = Fb.Buffer.CreateBuffer(builder, builder.EndVector());
            }
        }

        var codes = new Dictionary<OperatorCode, int>();
        var codeList = new List<OperatorCode>();
        int CodeIndex(OperatorCode code)
        {
            if (!codes.TryGetValue(code, out var index))
            {
                codes[code] = index = codeList.Count;
                codeList.Add(code);
            }
            return index;
        }

        var subgraphOffsets = new Offset<Fb.SubGraph>[model.Subgraphs.Count];
        var tensorIndex = new List<Dictionary<Tensor, int>>();
        for (var s = 0; s < model.Subgraphs.Count; s++)
        {
            var index = IndexTensors(model.Subgraphs[s]);
            tensorIndex.Add(index);
            var sg = ToSchema(model.Subgraphs[s], index, buffers, CodeIndex);
            subgraphOffsets[s] = Fb.SubGraph.Pack(builder, sg);
        }

        var codeOffsets = codeList.Select(c => Fb.OperatorCode.Pack(builder, new Fb.OperatorCodeT
        {
            BuiltinCode = c.Builtin,
            // Old runtimes read only the int8 field; 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) tells new ones to look further.
            DeprecatedBuiltinCode = (sbyte)Math.Min((int)c.Builtin, 127),
            CustomCode = c.CustomCode,
            Version = c.Version,
        })).ToArray();

        var metadataOffsets = model.Metadata.Select(m => Fb.Metadata.Pack(builder, new Fb.MetadataT
        {
            Name = m.Name,
            Buffer = (uint)buffers.IndexOf(m.Data, forceEntry: true),
        })).ToArray();

        var signatureOffsets = model.Signatures.Select(s =>
        {
            var subgraph = model.Subgraphs.IndexOf(s.Subgraph);
            if (subgraph < 0)
            {
                throw new ModelFormatException(ModelErrorCodes.InvalidGraph, $"signature '{s.Key}' refers to a subgraph the model does not contain");
            }
            var index = tensorIndex[subgraph];
            return Fb.SignatureDef.Pack(builder, new Fb.SignatureDefT
            {
                SignatureKey = s.Key,
                SubgraphIndex = (uint)subgraph,
                Inputs = s.Inputs.Select(t => new Fb.TensorMapT { Name = t.Name, TensorIndex = (uint)index[t.Tensor] }).ToList(),
                Outputs = s.Outputs.Select(t => new Fb.TensorMapT { Name = t.Name, TensorIndex = (uint)index[t.Tensor] }).ToList(),
            });
        }).ToArray();

        var groupOffsets = model.ExternalBufferGroups.Select(g => Fb.ExternalBufferGroup.Pack(builder, g)).ToArray();
        var externalOffsetsTable = model.ExternalBuffers.Select(b => Fb.ExternalBuffer.Pack(builder, b)).ToArray();
        var legacy = model.LegacyMetadataBuffers.Select(b => buffers.IndexOf(b, forceEntry: true)).ToArray();

        var root = Fb.Model.CreateModel(builder,
            version: model.Version,
            operator_codesOffset: Fb.Model.CreateOperatorCodesVector(builder, codeOffsets),
            subgraphsOffset: Fb.Model.CreateSubgraphsVector(builder, subgraphOffsets),
            descriptionOffset: model.Description is null ? default : builder.CreateString(model.Description),
            buffersOffset: Fb.Model.CreateBuffersVector(builder, bufferOffsets),
            metadata_bufferOffset: legacy.Length == 0 ? default : Fb.Model.CreateMetadataBufferVector(builder, legacy),
            metadataOffset: metadataOffsets.Length == 0 ? default : Fb.Model.CreateMetadataVector(builder, metadataOffsets),
            signature_defsOffset: signatureOffsets.Length == 0 ? default : Fb.Model.CreateSignatureDefsVector(builder, signatureOffsets),
            external_buffer_groupsOffset: groupOffsets.Length == 0 ? default : Fb.Model.CreateExternalBufferGroupsVector(builder, groupOffsets),
            external_buffersOffset: externalOffsetsTable.Length == 0 ? default : Fb.Model.CreateExternalBuffersVector(builder, externalOffsetsTable));
        Fb.Model.FinishModelBuffer(builder, root);
        var bb = builder.DataBuffer;
        return bb.ToArraySegment(bb.Position, bb.Length - bb.Position);
    }

    private static Dictionary<Tensor, int> IndexTensors(Subgraph subgraph)
    {
        var index = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < subgraph.Tensors.Count; i++)
        {
            index[subgraph.Tensors[i]] = i;
        }
        return index;
    }

    private static Fb.SubGraphT ToSchema(Subgraph subgraph, Dictionary<Tensor, int> index, BufferTable buffers, Func<OperatorCode, int> codeIndex)
    {
        int IndexOf(Tensor? t) => t is null ? -1 : index[t];
        return new Fb.SubGraphT
        {
            Name = subgraph.Name,
            DebugMetadataIndex = subgraph.DebugMetadataIndex,
            Inputs = subgraph.Inputs.Select(IndexOf).ToList(),
            Outputs = subgraph.Outputs.Select(IndexOf).ToList(),
            Tensors = subgraph.Tensors.Select(t => new Fb.TensorT
            {
                Name = t.Name,
                Type = t.Type,
                Shape = [.. t.Shape],
                ShapeSignature = t.ShapeSignature is null ? null : [.. t.ShapeSignature],
                Buffer = (uint)buffers.IndexOf(t.Data),
                Quantization = ToSchema(t.Quantization),
                IsVariable = t.IsVariable,
                Sparsity = t.Sparsity,
                HasRank = t.HasRank,
                VariantTensors = t.VariantTensors,
                ExternalBuffer = t.ExternalBuffer,
            }).ToList(),
            Operators = subgraph.Operators.Select(op => new Fb.OperatorT
            {
                OpcodeIndex = (uint)codeIndex(op.Code),
                Inputs = op.Inputs.Select(IndexOf).ToList(),
                Outputs = op.Outputs.Select(IndexOf).ToList(),
                BuiltinOptions = op.Options ?? new Fb.BuiltinOptionsUnion(),
                BuiltinOptions2 = op.Options2 ?? new Fb.BuiltinOptions2Union(),
                CustomOptions = op.CustomOptions.IsEmpty ? null : [.. op.CustomOptions.Span],
                CustomOptionsFormat = op.CustomOptionsFormat,
                MutatingVariableInputs = op.MutatingVariableInputs is null ? null : [.. op.MutatingVariableInputs],
                Intermediates = op.Intermediates.Count == 0 ? null : op.Intermediates.Select(IndexOf).ToList(),
                DebugMetadataIndex = op.DebugMetadataIndex,
            }).ToList(),
        };
    }

    private static Fb.QuantizationParametersT? ToSchema(TensorQuantization? q) => q is null ? null : new Fb.QuantizationParametersT
    {
        Min = q.Min is null ? null : [.. q.Min],
        Max = q.Max is null ? null : [.. q.Max],
        Scale = q.Scale.Length == 0 ? null : [.. q.Scale],
        ZeroPoint = q.ZeroPoint.Length == 0 ? null : [.. q.ZeroPoint],
        Details = q.Details ?? new Fb.QuantizationDetailsUnion(),
        QuantizedDimension = q.QuantizedDimension,
    };

    private static void AddBytes(FlatBufferBuilder builder, ReadOnlyMemory<byte> data)
    {
        if (MemoryMarshal.TryGetArray(data, out var segment))
        {
            builder.Add(segment);
            return;
        }
        builder.Add(new ArraySegment<byte>(data.ToArray()));
    }

    /// <summary>The model's distinct buffers in first-use order; entry 0 is the empty sentinel the format requires.</summary>
    private sealed class BufferTable
    {
        private readonly Dictionary<(object? Array, int Offset, int Length), int> _index = new();

        public List<ReadOnlyMemory<byte>> Entries { get; } = [ReadOnlyMemory<byte>.Empty];

        public int Count => Entries.Count;

        public long TotalBytes { get; private set; }

        public ReadOnlyMemory<byte> this[int i] => Entries[i];

        /// <summary>Registers data; empty tensor data maps to the sentinel, metadata always gets its own entry.</summary>
        public void Add(ReadOnlyMemory<byte> data, bool forceEntry = false)
        {
            if ((data.IsEmpty && !forceEntry) || _index.ContainsKey(Key(data)))
            {
                return;
            }
            _index[Key(data)] = Entries.Count;
            Entries.Add(data);
            TotalBytes += data.Length;
        }

        public int IndexOf(ReadOnlyMemory<byte> data, bool forceEntry = false) =>
            data.IsEmpty && !forceEntry ? 0 : _index[Key(data)];

        private static (object?, int, int) Key(ReadOnlyMemory<byte> data)
        {
            if (data.IsEmpty)
            {
                return (null, 0, 0);
            }
            return MemoryMarshal.TryGetArray(data, out var segment)
                ? (segment.Array, segment.Offset, segment.Count)
                : (data, 0, data.Length); // not array-backed: identity of the memory itself
        }
    }

    /// <summary>A serialized FlatBuffer plus what follows it in the file.</summary>
    private sealed class WritePlan(ArraySegment<byte> flatBuffer, List<ReadOnlyMemory<byte>> externalData, int[] padding, ReadOnlyMemory<byte> associatedFiles)
    {
        private readonly ReadOnlyMemory<byte> _trailer = AssociatedFilesZip.PlaceAt(associatedFiles,
            flatBuffer.Count + padding.Sum(p => (long)p) + externalData.Sum(d => (long)d.Length));

        public long TotalSize => flatBuffer.Count + padding.Sum(p => (long)p) + externalData.Sum(d => (long)d.Length) + _trailer.Length;

        public void WriteTo(Stream output)
        {
            output.Write(flatBuffer);
            Span<byte> zeros = stackalloc byte[DataAlignment];
            for (var i = 0; i < externalData.Count; i++)
            {
                if (externalData[i].IsEmpty)
                {
                    continue;
                }
                output.Write(zeros[..padding[i]]);
                output.Write(externalData[i].Span);
            }
            // The zip last, with offsets from the file start, as TFLite's metadata tools append it.
            output.Write(_trailer.Span);
        }
    }
}
