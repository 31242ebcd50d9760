using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;
using static ModelBuildTasks.Model.Tests.BadInput.BadModels;
using Probe = ModelBuildTasks.Model.Tests.BadInput.FlatBufferProbe;

namespace ModelBuildTasks.Model.Tests.BadInput;

/// <summary>
/// One malformed model per test, each derived from a small valid baseline (<see cref="BadModels"/>) or from
/// face_detection_short_range: the reader must throw exactly a ModelFormatException with the expected code and a
/// message naming the problem, the place (subgraph, operator, tensor) and the file.
/// </summary>
[TestClass]
public sealed class HandcraftedBadInputTests
{
    private const string RealModel = "face_detection_short_range";

    [TestMethod]
    public void TheBaselineIsValid()
    {
        var model = ModelReader.Read(Baseline());
        Assert.HasCount(4, model.Main.Tensors);
        Assert.HasCount(2, model.Main.Operators);
        Assert.IsNull(ModelComparer.FirstDifference(BaselineGraph(), model));
        // The object-API route used to break it packs an unchanged model into a valid file too.
        Assert.IsNull(ModelComparer.FirstDifference(model, ModelReader.Read(Mutate(_ => { }))));
    }

    // ---- Truncation and header ----

    [TestMethod]
    [DataRow(0)]
    [DataRow(3)]
    [DataRow(7)]
    public void TooShortForAHeader(int length)
    {
        var bytes = Baseline()[..length];
        BadInputAssert.Fails(bytes, ModelErrorCodes.Truncated, $"truncated_{length}.tflite",
            $"the file is {length} bytes long, too short for a TFLite model");
    }

    [TestMethod]
    [DataRow(8, ModelErrorCodes.Truncated, "root table offset")]
    [DataRow(12, ModelErrorCodes.Truncated, "root table offset")]
    [DataRow(100, ModelErrorCodes.CorruptStructure, "truncated or corrupt")]
    public void BaselineCutShort(int length, string code, string fragment)
    {
        BadInputAssert.Fails(Baseline()[..length], code, $"baseline_cut_{length}.tflite", fragment, $"{length}-byte file");
    }

    [TestMethod]
    [DataRow(8)]
    [DataRow(64)]
    [DataRow(4096)]
    [DataRow(-2)] // negative: counted from the end (the middle of the file, the end)
    [DataRow(-1)]
    public void RealModelCutShort(int cut)
    {
        var full = File.ReadAllBytes(Corpus.GetPath(RealModel));
        var length = cut switch { -2 => full.Length / 2, -1 => full.Length - 1, _ => cut };
        var e = BadInputAssert.Fails(full[..length], ExpectedCode(), $"{RealModel}_cut_{length}.tflite", $"{length}-byte file");
        Assert.Contains("truncated", e.Message);

        // Up to the root table the header check catches it; past that a structure runs off the end.
        string ExpectedCode() => length <= BitConverter.ToInt32(full) + 4 ? ModelErrorCodes.Truncated : ModelErrorCodes.CorruptStructure;
    }

    [TestMethod]
    public void WrongFileIdentifier()
    {
        var bytes = Baseline();
        "TFL2"u8.CopyTo(bytes.AsSpan(4));
        BadInputAssert.Fails(bytes, ModelErrorCodes.WrongIdentifier, "wrong_identifier.tflite", "'TFL2'", "expected 'TFL3'");
    }

    [TestMethod]
    public void NotAFlatBufferAtAll()
    {
        var bytes = "{\"this is\": \"json, not a model\"}"u8.ToArray();
        BadInputAssert.Fails(bytes, ModelErrorCodes.WrongIdentifier, "json.tflite", "not a TFLite model");
    }

    [TestMethod]
    [DataRow(int.MaxValue)]
    [DataRow(-8)]
    [DataRow(2)]
    public void RootOffsetOutOfRange(int root)
    {
        var bytes = Patch(_ => 0, root);
        BadInputAssert.Fails(bytes, ModelErrorCodes.Truncated, "root_offset_out_of_range.tflite",
            $"root table offset {(uint)root}", $"outside the {bytes.Length}-byte file");
    }

    // ---- Corrupt offsets and lengths ----

    [TestMethod]
    public void VtableOffsetOutOfRange()
    {
        // The root table's soffset to its vtable, pointing far past the end.
        var bytes = Patch(p => p.Root, -0x4000_0000);
        BadInputAssert.Fails(bytes, ModelErrorCodes.CorruptStructure, "vtable_out_of_range.tflite",
            "malformed FlatBuffer", "points outside the file");
    }

    [TestMethod]
    public void TensorVtableOffsetOutOfRange()
    {
        var bytes = Patch(p => p.Tensor(0, W), 0x2000_0000);
        BadInputAssert.Fails(bytes, ModelErrorCodes.CorruptStructure, "tensor_vtable_out_of_range.tflite",
            "subgraph 0 tensor 1", "points outside the file");
    }

    [TestMethod]
    public void SubgraphsVectorOffsetOutOfRange()
    {
        var bytes = Patch(p => p.Field(p.Root, Probe.ModelSubgraphs), 0x3FFF_FFF0);
        BadInputAssert.Fails(bytes, ModelErrorCodes.CorruptStructure, "subgraphs_offset_out_of_range.tflite",
            "the subgraphs", "points outside the file");
    }

    [TestMethod]
    public void OperatorsVectorOffsetOutOfRange()
    {
        var bytes = Patch(p => p.Field(p.Subgraph(0), Probe.SubGraphOperators), 0x3FFF_FFF0);
        BadInputAssert.Fails(bytes, ModelErrorCodes.CorruptStructure, "operators_offset_out_of_range.tflite",
            "subgraph 0", "points outside the file");
    }

    [TestMethod]
    public void OperatorCodesVectorClaimsBillionsOfEntries() =>
        AssertHugeLengthFailsCheaply(p => p.Vector(p.Root, Probe.ModelOperatorCodes), "operator_codes vector claims 2147483632 entries");

    [TestMethod]
    public void BuffersVectorClaimsBillionsOfEntries() =>
        AssertHugeLengthFailsCheaply(p => p.Vector(p.Root, Probe.ModelBuffers), "buffers vector claims 2147483632 entries");

    [TestMethod]
    public void TensorsVectorClaimsBillionsOfEntries() =>
        AssertHugeLengthFailsCheaply(p => p.Vector(p.Subgraph(0), Probe.SubGraphTensors), "subgraph 0 tensors vector claims 2147483632 entries");

    [TestMethod]
    public void ShapeVectorClaimsBillionsOfEntries() =>
        AssertHugeLengthFailsCheaply(p => p.Vector(p.Tensor(0, 0), Probe.TensorShape), "subgraph 0 tensor 0");

    /// <summary>
    /// A length word of face_detection_short_range set to 0x7FFFFFF0: the read must fail without allocating memory
    /// for the claimed entries (less than 16× the file size).
    /// </summary>
    private static void AssertHugeLengthFailsCheaply(Func<Probe, int> lengthWord, string fragment)
    {
        var original = File.ReadAllBytes(Corpus.GetPath(RealModel));
        var bytes = Patch((byte[])original.Clone(), lengthWord, 0x7FFF_FFF0);
        BadInputAssert.Fails(bytes, ModelErrorCodes.CorruptStructure, "huge_vector_length.tflite", fragment);

        ModelReader.Read(original); // warm up: type loading and JIT allocate too
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsExactly<ModelFormatException>(() => ModelReader.Read(bytes));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(16L * bytes.Length, allocated, $"allocated {allocated} bytes for a {bytes.Length}-byte file");
    }

    [TestMethod]
    public void TensorTableSharedManyTimesDoesNotExpandToGigabytes()
    {
        var bytes = SharedTensorTableBomb();
        var e = BadInputAssert.Fails(bytes, ModelErrorCodes.CorruptStructure, "shared_tensor_table.tflite", "subgraph 0 tensor", "more memory than");
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsExactly<ModelFormatException>(() => ModelReader.Read(bytes));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(512L * bytes.Length, allocated, $"allocated {allocated} bytes for a {bytes.Length}-byte file: {e.Message}");
    }

    [TestMethod]
    public void StringSharedManyTimesDoesNotExpandToGigabytes()
    {
        var bytes = SharedStringBomb();
        var e = BadInputAssert.Fails(bytes, ModelErrorCodes.CorruptStructure, "shared_string.tflite", "operator code", "more memory than");
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsExactly<ModelFormatException>(() => ModelReader.Read(bytes));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(512L * bytes.Length, allocated, $"allocated {allocated} bytes for a {bytes.Length}-byte file: {e.Message}");
    }

    // ---- Shapes and data ----

    [TestMethod]
    public void NegativeDimension()
    {
        var bytes = MutateMain(g => g.Tensors[Y].Shape = [1, -4]);
        BadInputAssert.Fails(bytes, ModelErrorCodes.InvalidShape, "negative_dimension.tflite",
            "subgraph 0 tensor 2 'y'", "negative dimension -4");
    }

    [TestMethod]
    public void OverflowingShape()
    {
        var bytes = MutateMain(g => g.Tensors[Y].Shape = [1 << 20, 1 << 20, 1 << 20]);
        BadInputAssert.Fails(bytes, ModelErrorCodes.InvalidShape, "overflowing_shape.tflite",
            "subgraph 0 tensor 2 'y'", "[1048576,1048576,1048576]", "overflows");
    }

    [TestMethod]
    public void HugeShapeOfAWideTypeDoesNotOverflowTheByteSize()
    {
        // 2^56 elements pass the element-count check; 16 bytes each would overflow a long.
        var bytes = MutateMain(g =>
        {
            g.Tensors[W].Type = TensorType.COMPLEX128;
            g.Tensors[W].Shape = [1 << 28, 1 << 28];
        });
        BadInputAssert.Fails(bytes, ModelErrorCodes.InvalidShape, "complex128_huge_shape.tflite",
            "subgraph 0 tensor 1 'w'", "[268435456,268435456]");
    }

    [TestMethod]
    public void ShapeSignatureDisagreesWithShape()
    {
        var bytes = MutateMain(g => g.Tensors[Y].ShapeSignature = [-1, 4, 4]);
        BadInputAssert.Fails(bytes, ModelErrorCodes.InvalidShape, "shape_signature_mismatch.tflite",
            "subgraph 0 tensor 2 'y'", "shape signature [-1,4,4]");
    }

    [TestMethod]
    public void ConstantDataShorterThanItsShape()
    {
        var bytes = Mutate(m => m.Buffers[(int)m.Subgraphs[0].Tensors[W].Buffer].Data.RemoveRange(8, 8));
        BadInputAssert.Fails(bytes, ModelErrorCodes.DataTooShort, "data_too_short.tflite",
            "subgraph 0 tensor 1 'w'", "needs 16 bytes", "holds 8");
    }

    [TestMethod]
    public void BufferDataOffsetPastTheEnd()
    {
        var bytes = Mutate(m =>
        {
            var buffer = m.Buffers[(int)m.Subgraphs[0].Tensors[W].Buffer];
            buffer.Data = null;
            buffer.Offset = 1 << 20;
            buffer.Size = 16;
        });
        BadInputAssert.Fails(bytes, ModelErrorCodes.Truncated, "buffer_offset_past_end.tflite",
            "buffer 1 has data at offset 1048576 with size 16", "past the end");
    }

    [TestMethod]
    public void UnknownTensorType()
    {
        var bytes = MutateMain(g => g.Tensors[X].Type = (TensorType)99);
        BadInputAssert.Fails(bytes, ModelErrorCodes.Unsupported, "unknown_tensor_type.tflite",
            "subgraph 0 tensor 0 'x'", "unknown element type 99");
    }

    // ---- Indices ----

    [TestMethod]
    public void OperatorInputIndexPastTheTensorList()
    {
        var bytes = MutateMain(g => g.Operators[1].Inputs[1] = 42);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "operator_input_out_of_range.tflite",
            "subgraph 0 operator 1 (MUL) input 1 refers to tensor 42", "subgraph 0 has 4 tensors");
    }

    [TestMethod]
    public void OperatorOutputIndexPastTheTensorList()
    {
        var bytes = MutateMain(g => g.Operators[0].Outputs[0] = 4);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "operator_output_out_of_range.tflite",
            "subgraph 0 operator 0 (ADD) output 0 refers to tensor 4", "subgraph 0 has 4 tensors");
    }

    [TestMethod]
    public void OperatorInputIndexNegative()
    {
        var bytes = MutateMain(g => g.Operators[0].Inputs[0] = -7);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "operator_input_negative.tflite",
            "subgraph 0 operator 0 (ADD) input 0 refers to tensor -7");
    }

    [TestMethod]
    public void SubgraphOutputIndexOutOfRange()
    {
        var bytes = MutateMain(g => g.Outputs[0] = 1000);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "subgraph_output_out_of_range.tflite",
            "subgraph 0 output 0 refers to tensor 1000");
    }

    [TestMethod]
    public void OpcodeIndexOutOfRange()
    {
        var bytes = MutateMain(g => g.Operators[1].OpcodeIndex = 7);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "opcode_index_out_of_range.tflite",
            "subgraph 0 operator 1 uses operator code 7", "the model has 2");
    }

    [TestMethod]
    public void TensorBufferIndexOutOfRange()
    {
        var bytes = MutateMain(g => g.Tensors[W].Buffer = 42);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "buffer_index_out_of_range.tflite",
            "subgraph 0 tensor 1 'w' refers to buffer 42", "the model has 3 buffers");
    }

    [TestMethod]
    public void MetadataBufferIndexOutOfRange()
    {
        var bytes = Mutate(m => m.Metadata[0].Buffer = 9);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "metadata_buffer_out_of_range.tflite",
            "metadata entry 'min_runtime_version' refers to buffer 9");
    }

    [TestMethod]
    public void SignatureTensorIndexOutOfRange()
    {
        var bytes = Mutate(m => m.SignatureDefs[0].Outputs[0].TensorIndex = 17);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "signature_tensor_out_of_range.tflite",
            "signature 'serving_default' maps 'z' to tensor 17", "subgraph 0 has 4 tensors");
    }

    [TestMethod]
    public void SignatureSubgraphIndexOutOfRange()
    {
        var bytes = Mutate(m => m.SignatureDefs[0].SubgraphIndex = 3);
        BadInputAssert.Fails(bytes, ModelErrorCodes.IndexOutOfRange, "signature_subgraph_out_of_range.tflite",
            "signature 'serving_default' refers to subgraph 3", "the model has 1");
    }

    // ---- Graph structure ----

    [TestMethod]
    public void TwoOperatorCycle()
    {
        // ADD reads z, which MUL computes from ADD's output y.
        var bytes = MutateMain(g => g.Operators[0].Inputs[1] = Z);
        BadInputAssert.Fails(bytes, ModelErrorCodes.GraphCycle, "two_op_cycle.tflite",
            "subgraph 0", "operators form a cycle", "operator 0 (ADD)");
    }

    [TestMethod]
    public void OperatorReadingItsOwnOutput()
    {
        var bytes = MutateMain(g => g.Operators[1].Inputs[0] = Z);
        BadInputAssert.Fails(bytes, ModelErrorCodes.GraphCycle, "self_loop.tflite", "subgraph 0", "operator 1 (MUL)");
    }

    [TestMethod]
    public void TensorWrittenByTwoOperators()
    {
        var bytes = MutateMain(g => g.Operators[1].Outputs[0] = Y);
        BadInputAssert.Fails(bytes, ModelErrorCodes.InvalidGraph, "two_producers.tflite",
            "subgraph 0 tensor 2 'y'", "operator 0 (ADD)", "operator 1 (MUL)");
    }

    [TestMethod]
    public void UnknownBuiltinOptionsType()
    {
        // The object API cannot pack an unknown union member, so patch the type byte instead.
        BadInputAssert.Fails(PatchOptionsType(Baseline()), ModelErrorCodes.Unsupported, "unknown_options_type.tflite",
            "subgraph 0 operator 0 (ADD)", "options type 250");
    }

    [TestMethod]
    public void StreamAndFileReadsAgree()
    {
        var bytes = MutateMain(g => g.Tensors[Y].Shape = [1, -4]);
        using var stream = new MemoryStream(bytes);
        var e = BadInputAssert.Throws(() => ModelReader.Read(stream, "from-stream.tflite"), "stream");
        Assert.AreEqual(ModelErrorCodes.InvalidShape, e.Code);
        Assert.StartsWith("MBT1006: from-stream.tflite: subgraph 0 tensor 2 'y'", e.Message);
    }

    [TestMethod]
    public void MissingFileIsUnreadable()
    {
        using var temp = new TempFolder();
        var path = temp.File("no_such_model.tflite");
        var e = BadInputAssert.Throws(() => ModelReader.ReadFile(path), path);
        Assert.AreEqual(ModelErrorCodes.FileUnreadable, e.Code);
        Assert.Contains(path, e.Message);
    }

    /// <summary>Sets the builtin_options_type byte of subgraph 0 operator 0 (field 3 of Operator) to 250.</summary>
    private static byte[] PatchOptionsType(byte[] bytes)
    {
        var p = new Probe(bytes);
        var op = p.Element(p.Vector(p.Subgraph(0), Probe.SubGraphOperators), 0);
        bytes[p.Field(op, 3)] = 250;
        return bytes;
    }
}
