using System.Runtime.InteropServices;
using Google.FlatBuffers;
using Fb = ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model.Format;

/// <summary>
/// Reads a .tflite file into a <see cref="ModelGraph"/>. Weight data is not copied: tensors and metadata hold
/// slices of the file's bytes. Small tables (tensors, operators, options) go through the generated object API;
/// buffers are sliced directly. Every structural problem becomes a <see cref="ModelFormatException"/> that names
/// the file and the place; the result is validated with <see cref="ModelValidator"/>.
/// </summary>
public static class ModelReader
{
    /// <summary>The FlatBuffer file identifier of TFLite models.</summary>
    public const string FileIdentifier = "TFL3";

    /// <summary>Reads a model file. Files over 2 GB are supported when their weights live after the FlatBuffer.</summary>
    public static ModelGraph ReadFile(string path)
    {
        byte[] bytes;
        Func<ulong, ulong, ReadOnlyMemory<byte>>? external = null;
        try
        {
            var length = new FileInfo(path).Length;
            if (length <= Array.MaxLength)
            {
                bytes = File.ReadAllBytes(path);
            }
            else
            {
                // The FlatBuffer itself is limited to 2 GB; weights beyond it are read buffer by buffer.
                bytes = new byte[Array.MaxLength];
                using (var stream = File.OpenRead(path))
                {
                    stream.ReadExactly(bytes);
                }
                external = (offset, size) => ReadRange(path, offset, size, length);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException(ModelErrorCodes.FileUnreadable, $"cannot read the file: {e.Message}", path, e);
        }
        return Read(bytes, path, external);
    }

    /// <summary>Reads a model from memory; the graph keeps slices of <paramref name="bytes"/>.</summary>
    public static ModelGraph Read(ReadOnlyMemory<byte> bytes, string? sourceName = null)
    {
        // ByteBuffer needs an array whose start is the file's start: reuse the caller's array when it is one.
        if (!MemoryMarshal.TryGetArray(bytes, out var segment) || segment.Offset != 0 || segment.Count != segment.Array!.Length)
        {
            return Read(bytes.ToArray(), sourceName, null);
        }
        return Read(segment.Array, sourceName, null);
    }

    /// <summary>Reads a model from a stream (read to its end).</summary>
    public static ModelGraph Read(Stream stream, string? sourceName = null)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.ToArray(), sourceName, null);
    }

    private static ModelGraph Read(byte[] file, string? sourceName, Func<ulong, ulong, ReadOnlyMemory<byte>>? external)
    {
        try
        {
            var model = new Parser(file, external).Parse();
            ModelValidator.Validate(model);
            return model;
        }
        catch (ModelFormatException e) when (sourceName is not null)
        {
            throw e.WithFile(sourceName);
        }
    }

    private static ReadOnlyMemory<byte> ReadRange(string path, ulong offset, ulong size, long fileLength)
    {
        if (offset > (ulong)fileLength || size > (ulong)fileLength - offset || size > (ulong)Array.MaxLength)
        {
            throw new ModelFormatException(ModelErrorCodes.Truncated,
                $"buffer data at offset {offset} with size {size} lies outside the {fileLength}-byte file");
        }
        var data = new byte[size];
        using var stream = File.OpenRead(path);
        stream.Position = (long)offset;
        stream.ReadExactly(data);
        return data;
    }

    /// <summary>
    /// One parse of one file; tracks where it is so errors can say so. FlatBuffers let many offsets point at one table
    /// or string, so a small file can describe gigabytes of objects: the parse books what each table will cost against
    /// a budget proportional to the file size before unpacking it (see <see cref="Reserve"/>).
    /// </summary>
    private sealed class Parser(byte[] file, Func<ulong, ulong, ReadOnlyMemory<byte>>? external)
    {
        private string _where = "the file header";
        private readonly long _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
        private long _claimed;

        /// <summary>Bytes booked per table for the objects unpacking it creates, beyond its vectors and strings.</summary>
        private const int TableCost = 256;

        /// <summary>Allocations per byte of a vector while it is unpacked into a List and copied into the IR.</summary>
        private const int CopiesPerVector = 3;

        /// <summary>
        /// Bytes the parse may book: a real model's tables expand to a few times their size in the file (weights are
        /// not copied); plus a floor for the fixed cost of small files.
        /// </summary>
        private long Budget => 32L * file.Length + (8 << 20);

        public ModelGraph Parse()
        {
            if (file.Length < 8)
            {
                throw new ModelFormatException(ModelErrorCodes.Truncated,
                    $"the file is {file.Length} bytes long, too short for a TFLite model");
            }
            var bb = new ByteBuffer(file);
            if (!Fb.Model.ModelBufferHasIdentifier(bb))
            {
                var id = System.Text.Encoding.ASCII.GetString(file, 4, 4);
                throw new ModelFormatException(ModelErrorCodes.WrongIdentifier,
                    $"the FlatBuffer file identifier is '{Printable(id)}', expected '{FileIdentifier}': this is not a TFLite model");
            }
            var root = BitConverter.ToUInt32(file, 0);
            if (root < 8 || root > file.Length - 4)
            {
                throw new ModelFormatException(ModelErrorCodes.Truncated,
                    $"the root table offset {root} points outside the {file.Length}-byte file (the file is truncated or corrupt)");
            }

            try
            {
                return Build(Fb.Model.GetRootAsModel(bb));
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException
                                          or InvalidCastException or NullReferenceException or InvalidOperationException)
            {
                // The generated accessors bounds-check every read; a failed check means a corrupt or truncated file.
                throw new ModelFormatException(ModelErrorCodes.CorruptStructure,
                    $"malformed FlatBuffer while reading {_where}: an offset or length points outside the file; " +
                    $"the {file.Length}-byte file is truncated or corrupt", null, e);
            }
        }

        private ModelGraph Build(Fb.Model fb)
        {
            var model = new ModelGraph { Version = fb.Version };
            _where = "the model description";
            model.Description = fb.Description;

            _where = "the buffer table";
            var buffers = ReadBuffers(fb);

            _where = "the operator codes";
            var codes = new OperatorCode[CheckedLength(fb.OperatorCodesLength, 4, "operator_codes")];
            for (var i = 0; i < codes.Length; i++)
            {
                _where = $"operator code {i}";
                var c = Required(fb.OperatorCodes(i), "operator code", i);
                Reserve(2L * (c.GetCustomCodeBytes()?.Count ?? 0));
                // builtin_code replaced the int8 deprecated_builtin_code; old files only fill the latter.
                var builtin = (Fb.BuiltinOperator)Math.Max((int)c.BuiltinCode, c.DeprecatedBuiltinCode);
                codes[i] = new OperatorCode(builtin, c.CustomCode, c.Version);
            }

            _where = "the subgraphs";
            var subgraphCount = CheckedLength(fb.SubgraphsLength, 4, "subgraphs");
            for (var s = 0; s < subgraphCount; s++)
            {
                _where = $"subgraph {s}";
                model.Subgraphs.Add(ReadSubgraph(Required(fb.Subgraphs(s), "subgraph", s), s, buffers, codes));
            }

            _where = "the metadata";
            var metadataCount = CheckedLength(fb.MetadataLength, 4, "metadata");
            for (var i = 0; i < metadataCount; i++)
            {
                _where = $"metadata entry {i}";
                var m = Required(fb.Metadata(i), "metadata entry", i);
                Reserve(2L * (m.GetNameBytes()?.Count ?? 0));
                model.Metadata.Add(new MetadataEntry(m.Name ?? "", BufferAt(buffers, m.Buffer, $"metadata entry '{m.Name}'")));
            }

            _where = "metadata_buffer";
            var legacyCount = CheckedLength(fb.MetadataBufferLength, 4, "metadata_buffer");
            for (var i = 0; i < legacyCount; i++)
            {
                model.LegacyMetadataBuffers.Add(BufferAt(buffers, (uint)fb.MetadataBuffer(i), "metadata_buffer"));
            }

            _where = "the signature defs";
            var signatureCount = CheckedLength(fb.SignatureDefsLength, 4, "signature_defs");
            for (var i = 0; i < signatureCount; i++)
            {
                _where = $"signature {i}";
                model.Signatures.Add(ReadSignature(Required(fb.SignatureDefs(i), "signature", i), model));
            }

            _where = "the external buffer groups";
            var groupCount = CheckedLength(fb.ExternalBufferGroupsLength, 4, "external_buffer_groups");
            for (var i = 0; i < groupCount; i++)
            {
                _where = $"external buffer group {i}";
                var group = Required(fb.ExternalBufferGroups(i), "external buffer group", i);
                Reserve(2L * (group.GetNameBytes()?.Count ?? 0));
                model.ExternalBufferGroups.Add(group.UnPack());
            }
            _where = "the external buffers";
            var externalCount = CheckedLength(fb.ExternalBuffersLength, 4, "external_buffers");
            for (var i = 0; i < externalCount; i++)
            {
                _where = $"external buffer {i}";
                Reserve(0);
                model.ExternalBuffers.Add(Required(fb.ExternalBuffers(i), "external buffer", i).UnPack());
            }

            _where = "the associated files";
            model.AssociatedFiles = AssociatedFilesZip.Find(file);
            return model;
        }

        private ReadOnlyMemory<byte>[] ReadBuffers(Fb.Model fb)
        {
            var buffers = new ReadOnlyMemory<byte>[CheckedLength(fb.BuffersLength, 4, "buffers")];
            for (var i = 0; i < buffers.Length; i++)
            {
                _where = $"buffer {i}";
                var b = Required(fb.Buffers(i), "buffer", i);
                if (b.Offset > 1)
                {
                    // Large models keep data after the FlatBuffer, addressed from the start of the file.
                    buffers[i] = external is not null && b.Offset + b.Size > (ulong)file.Length
                        ? external(b.Offset, b.Size)
                        : Slice(b.Offset, b.Size, $"buffer {i}");
                }
                else if (b.GetDataBytes() is { } data)
                {
                    buffers[i] = new ReadOnlyMemory<byte>(data.Array, data.Offset, data.Count);
                }
            }
            return buffers;
        }

        private Subgraph ReadSubgraph(Fb.SubGraph fb, int index, ReadOnlyMemory<byte>[] buffers, OperatorCode[] codes)
        {
            var prefix = $"subgraph {index}";
            var subgraph = new Subgraph { Name = fb.Name, DebugMetadataIndex = fb.DebugMetadataIndex };
            _where = $"{prefix} tensors";
            var tensorCount = CheckedLength(fb.TensorsLength, 4, $"{prefix} tensors");
            for (var t = 0; t < tensorCount; t++)
            {
                _where = $"{prefix} tensor {t}";
                var tensor = fb.Tensors(t) ?? throw new ModelFormatException(ModelErrorCodes.CorruptStructure, $"{prefix} tensor {t} is missing (null offset)");
                Reserve(TensorClaim(tensor));
                var unpacked = tensor.UnPack();
                subgraph.Tensors.Add(ReadTensor(unpacked, buffers, $"{prefix} tensor {t} '{unpacked.Name}'"));
            }
            var tensors = subgraph.Tensors;
            Tensor? TensorAt(int i, string what)
            {
                if (i == -1)
                {
                    return null;
                }
                if ((uint)i >= (uint)tensors.Count)
                {
                    throw new ModelFormatException(ModelErrorCodes.IndexOutOfRange,
                        $"{what} refers to tensor {i}, but {prefix} has {tensors.Count} tensors");
                }
                return tensors[i];
            }
            Tensor Existing(int i, string what) => TensorAt(i, what) ?? throw new ModelFormatException(
                ModelErrorCodes.IndexOutOfRange, $"{what} refers to tensor -1 (no tensor)");

            _where = $"{prefix} inputs";
            for (int k = 0, n = CheckedLength(fb.InputsLength, 4, $"{prefix} inputs"); k < n; k++)
            {
                subgraph.Inputs.Add(Existing(fb.Inputs(k), $"{prefix} input {k}"));
            }
            _where = $"{prefix} outputs";
            for (int k = 0, n = CheckedLength(fb.OutputsLength, 4, $"{prefix} outputs"); k < n; k++)
            {
                subgraph.Outputs.Add(Existing(fb.Outputs(k), $"{prefix} output {k}"));
            }

            _where = $"{prefix} operators";
            var operatorCount = CheckedLength(fb.OperatorsLength, 4, $"{prefix} operators");
            for (var o = 0; o < operatorCount; o++)
            {
                _where = $"{prefix} operator {o}";
                var fbOp = fb.Operators(o) ?? throw new ModelFormatException(ModelErrorCodes.CorruptStructure, $"{prefix} operator {o} is missing (null offset)");
                Reserve(OperatorClaim(fbOp));
                var op = fbOp.UnPack();
                if (op.OpcodeIndex >= codes.Length)
                {
                    throw new ModelFormatException(ModelErrorCodes.IndexOutOfRange,
                        $"{prefix} operator {o} uses operator code {op.OpcodeIndex}, but the model has {codes.Length}");
                }
                var where = $"{prefix} operator {o} ({codes[op.OpcodeIndex].DisplayName})";
                var result = new Operator(codes[op.OpcodeIndex])
                {
                    Options = KnownOptions(op.BuiltinOptions, where),
                    Options2 = op.BuiltinOptions2 is { Type: not Fb.BuiltinOptions2.NONE, Value: null }
                        ? throw Unknown(where, $"options type {(int)op.BuiltinOptions2.Type} (builtin_options_2)")
                        : op.BuiltinOptions2 is { Type: Fb.BuiltinOptions2.NONE } ? null : op.BuiltinOptions2,
                    CustomOptionsFormat = op.CustomOptionsFormat,
                    MutatingVariableInputs = op.MutatingVariableInputs is { Count: > 0 } m ? [.. m] : null,
                    DebugMetadataIndex = op.DebugMetadataIndex,
                };
                result.CustomOptions = op.LargeCustomOptionsOffset > 1
                    ? Slice(op.LargeCustomOptionsOffset, op.LargeCustomOptionsSize, $"{where} custom options")
                    : op.CustomOptions is { Count: > 0 } c ? c.ToArray() : ReadOnlyMemory<byte>.Empty;
                var (inputs, outputs, intermediates) = (op.Inputs ?? [], op.Outputs ?? [], op.Intermediates ?? []);
                for (var k = 0; k < inputs.Count; k++)
                {
                    result.Inputs.Add(TensorAt(inputs[k], $"{where} input {k}"));
                }
                for (var k = 0; k < outputs.Count; k++)
                {
                    result.Outputs.Add(TensorAt(outputs[k], $"{where} output {k}"));
                }
                for (var k = 0; k < intermediates.Count; k++)
                {
                    result.Intermediates.Add(Existing(intermediates[k], $"{where} intermediate {k}"));
                }
                subgraph.Operators.Add(result);
            }
            return subgraph;
        }

        /// <summary>
        /// Bytes unpacking a tensor table will allocate for its vectors, each checked against the file size first.
        /// Unpacking copies shared vectors once per reference, so the sum is what the budget must allow.
        /// </summary>
        /// <remarks>
        /// The object API fills each vector into a List one element at a time (growth by doubling allocates up to twice
        /// the final size) and the IR then copies it into an array: hence <see cref="CopiesPerVector"/>.
        /// </remarks>
        private long TensorClaim(Fb.Tensor t)
        {
            long bytes = 2L * (t.GetNameBytes()?.Count ?? 0)
                         + 4L * CheckedField(t.ShapeLength, 4, "shape")
                         + 4L * CheckedField(t.ShapeSignatureLength, 4, "shape_signature")
                         + 16L * CheckedField(t.VariantTensorsLength, 4, "variant_tensors");
            if (t.Quantization is { } q)
            {
                bytes += 4L * CheckedField(q.ScaleLength, 4, "quantization scale")
                         + 8L * CheckedField(q.ZeroPointLength, 8, "quantization zero_point")
                         + 4L * CheckedField(q.MinLength, 4, "quantization min")
                         + 4L * CheckedField(q.MaxLength, 4, "quantization max");
            }
            if (t.Sparsity is { } s)
            {
                bytes += 4L * CheckedField(s.TraversalOrderLength, 4, "sparsity traversal_order")
                         + 4L * CheckedField(s.BlockMapLength, 4, "sparsity block_map");
                var dims = CheckedField(s.DimMetadataLength, 4, "sparsity dim_metadata");
                for (var d = 0; d < dims; d++)
                {
                    if (s.DimMetadata(d) is { } dim)
                    {
                        bytes += 64 + IndexVectorClaim(dim, dim.ArraySegmentsType, 10) + IndexVectorClaim(dim, dim.ArrayIndicesType, 14);
                    }
                }
            }
            return CopiesPerVector * bytes;
        }

        /// <summary>Bytes of one sparse index vector (a union of Int32Vector, Uint16Vector, Uint8Vector tables).</summary>
        private long IndexVectorClaim(Fb.DimensionMetadata dim, Fb.SparseIndexVector type, int field)
        {
            var elementSize = type switch
            {
                Fb.SparseIndexVector.Int32Vector => 4,
                Fb.SparseIndexVector.Uint16Vector => 2,
                Fb.SparseIndexVector.Uint8Vector => 1,
                _ => 0,
            };
            // The three vector tables share one layout: field 0 is the values vector.
            var table = field == 10 ? dim.ArraySegments<Fb.Int32Vector>() : dim.ArrayIndices<Fb.Int32Vector>();
            return elementSize == 0 || table is not { } v ? 0 : (long)elementSize * CheckedField(v.ValuesLength, elementSize, "sparsity index vector");
        }

        /// <summary>Bytes unpacking an operator table will allocate for its vectors (options tables are bounded per operator).</summary>
        private long OperatorClaim(Fb.Operator op) => CopiesPerVector * (
            4L * CheckedField(op.InputsLength, 4, "inputs")
            + 4L * CheckedField(op.OutputsLength, 4, "outputs")
            + 4L * CheckedField(op.IntermediatesLength, 4, "intermediates")
            + CheckedField(op.CustomOptionsLength, 1, "custom_options")
            + CheckedField(op.MutatingVariableInputsLength, 1, "mutating_variable_inputs"));

        /// <summary>
        /// Books <paramref name="claim"/> bytes (plus a fixed cost per table) for what unpacking the next table will
        /// allocate, and fails once the bookings pass the budget: the file refers to the same tables or strings many
        /// times over. The bookings are exact counts from the file, so the same file always fails at the same place.
        /// What they do not count (options tables) is covered by measuring what the parse really allocated.
        /// </summary>
        private void Reserve(long claim)
        {
            _claimed += claim + TableCost;
            if (_claimed > Budget || GC.GetAllocatedBytesForCurrentThread() - _allocatedAtStart > 2 * Budget)
            {
                throw new ModelFormatException(ModelErrorCodes.CorruptStructure,
                    $"reading {_where} would take more memory than the {file.Length}-byte file can describe (over {Budget} bytes): " +
                    "its tables or strings are referenced many times over; the file is corrupt or malicious");
            }
        }

        private static Fb.BuiltinOptionsUnion? KnownOptions(Fb.BuiltinOptionsUnion? options, string where) => options switch
        {
            null or { Type: Fb.BuiltinOptions.NONE } => null,
            // The object API leaves Value null for union types newer than our schema: refuse rather than drop them.
            { Value: null } => throw Unknown(where, $"options type {(int)options.Type}"),
            _ => options,
        };

        private static ModelFormatException Unknown(string where, string what) => new(ModelErrorCodes.Unsupported,
            $"{where} has {what}, which this version of the schema does not know; it cannot be preserved");

        private static Tensor ReadTensor(Fb.TensorT t, ReadOnlyMemory<byte>[] buffers, string where)
        {
            var tensor = new Tensor(t.Name ?? "", t.Type, [.. t.Shape ?? []])
            {
                ShapeSignature = t.ShapeSignature is null ? null : [.. t.ShapeSignature],
                Data = BufferAt(buffers, t.Buffer, where),
                IsVariable = t.IsVariable,
                HasRank = t.HasRank,
                Sparsity = t.Sparsity,
                VariantTensors = t.VariantTensors is { Count: > 0 } v ? v : null,
                ExternalBuffer = t.ExternalBuffer,
            };
            if (t.Quantization is { } q)
            {
                tensor.Quantization = new TensorQuantization
                {
                    Min = q.Min is { Count: > 0 } min ? [.. min] : null,
                    Max = q.Max is { Count: > 0 } max ? [.. max] : null,
                    Scale = [.. q.Scale ?? []],
                    ZeroPoint = [.. q.ZeroPoint ?? []],
                    QuantizedDimension = q.QuantizedDimension,
                    Details = q.Details is { Type: not Fb.QuantizationDetails.NONE } d
                        ? d.Value is null ? throw Unknown(where, $"quantization details type {(int)d.Type}") : d
                        : null,
                };
            }
            return tensor;
        }

        private SignatureDef ReadSignature(Fb.SignatureDef s, ModelGraph model)
        {
            var key = s.SignatureKey;
            var where = $"signature '{key}'";
            if (s.SubgraphIndex >= model.Subgraphs.Count)
            {
                throw new ModelFormatException(ModelErrorCodes.IndexOutOfRange,
                    $"{where} refers to subgraph {s.SubgraphIndex}, but the model has {model.Subgraphs.Count}");
            }
            var subgraph = model.Subgraphs[(int)s.SubgraphIndex];
            var signature = new SignatureDef(key ?? "", subgraph);
            SignatureTensor Map(Fb.TensorMap? entry, string role, int k)
            {
                var m = entry ?? throw new ModelFormatException(ModelErrorCodes.CorruptStructure, $"{where} {role} {k} is missing (null offset)");
                Reserve(2L * (m.GetNameBytes()?.Count ?? 0));
                return m.TensorIndex < subgraph.Tensors.Count
                    ? new SignatureTensor(m.Name ?? "", subgraph.Tensors[(int)m.TensorIndex])
                    : throw new ModelFormatException(ModelErrorCodes.IndexOutOfRange,
                        $"{where} maps '{m.Name}' to tensor {m.TensorIndex}, but subgraph {s.SubgraphIndex} has {subgraph.Tensors.Count} tensors");
            }
            for (int k = 0, n = CheckedLength(s.InputsLength, 4, $"{where} inputs"); k < n; k++)
            {
                signature.Inputs.Add(Map(s.Inputs(k), "input", k));
            }
            for (int k = 0, n = CheckedLength(s.OutputsLength, 4, $"{where} outputs"); k < n; k++)
            {
                signature.Outputs.Add(Map(s.Outputs(k), "output", k));
            }
            return signature;
        }

        private static ReadOnlyMemory<byte> BufferAt(ReadOnlyMemory<byte>[] buffers, uint index, string user) =>
            index < buffers.Length
                ? buffers[index]
                : throw new ModelFormatException(ModelErrorCodes.IndexOutOfRange,
                    $"{user} refers to buffer {index}, but the model has {buffers.Length} buffers");

        private ReadOnlyMemory<byte> Slice(ulong offset, ulong size, string what)
        {
            if (offset > (ulong)file.Length || size > (ulong)file.Length - offset)
            {
                throw new ModelFormatException(ModelErrorCodes.Truncated,
                    $"{what} has data at offset {offset} with size {size}, past the end of the {file.Length}-byte file");
            }
            return new ReadOnlyMemory<byte>(file, (int)offset, (int)size);
        }

        /// <summary>
        /// <see cref="CheckedLength"/> for a vector of the table being read (<see cref="_where"/>); the message is composed
        /// only on failure, since this runs for every vector of every tensor.
        /// </summary>
        private int CheckedField(int length, int elementSize, string field) =>
            length >= 0 && (long)length * elementSize <= file.Length ? length : CheckedLength(length, elementSize, $"{_where} {field}");

        /// <summary>A vector length, refused when the elements could not fit in the file (guards allocations).</summary>
        private int CheckedLength(int length, int elementSize, string what)
        {
            if (length < 0 || (long)length * elementSize > file.Length)
            {
                throw new ModelFormatException(ModelErrorCodes.CorruptStructure,
                    $"the {what} vector claims {length} entries, more than the {file.Length}-byte file can hold " +
                    "(the file is truncated or corrupt)");
            }
            return length;
        }

        private static T Required<T>(T? value, string what, int index) where T : struct =>
            value ?? throw new ModelFormatException(ModelErrorCodes.CorruptStructure, $"{what} {index} is missing (null offset)");

        private static string Printable(string s) =>
            new(s.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
    }
}
