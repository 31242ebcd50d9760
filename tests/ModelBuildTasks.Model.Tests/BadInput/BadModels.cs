using System.Buffers.Binary;
using Google.FlatBuffers;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using Fb = ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model.Tests.BadInput;

/// <summary>
/// A small valid baseline model and ways to break it: through the FlatBuffers object API (<see cref="ModelT"/>, which
/// bypasses the writer's validation), or by patching bytes at positions a <see cref="FlatBufferProbe"/> finds.
/// </summary>
/// <remarks>
/// Baseline (subgraph 0 "main"): tensors 0 x float32[1,4] (input), 1 w float32[4] (constant, buffer 1),
/// 2 y float32[1,4], 3 z float32[1,4] (output); operators 0 ADD(x, w) → y and 1 MUL(y, y) → z; operator codes
/// 0 ADD, 1 MUL; signature "serving_default" x → tensor 0, z → tensor 3; metadata "min_runtime_version".
/// </remarks>
internal static class BadModels
{
    public const int X = 0, W = 1, Y = 2, Z = 3;

    private static readonly Lazy<byte[]> LazyBaseline = new(() => ModelWriter.ToBytes(BaselineGraph()));

    /// <summary>The baseline file (a fresh copy).</summary>
    public static byte[] Baseline() => (byte[])LazyBaseline.Value.Clone();

    public static ModelGraph BaselineGraph()
    {
        var model = new ModelGraph { Description = "bad-input baseline" };
        var main = new Subgraph { Name = "main" };
        model.Subgraphs.Add(main);
        var x = main.AddTensor(new Tensor("x", TensorType.FLOAT32, [1, 4]));
        var w = main.AddTensor(new Tensor("w", TensorType.FLOAT32, [4])
        {
            Data = new byte[] { 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64 },
        });
        var y = main.AddTensor(new Tensor("y", TensorType.FLOAT32, [1, 4]));
        var z = main.AddTensor(new Tensor("z", TensorType.FLOAT32, [1, 4]));
        main.Inputs.Add(x);
        main.Outputs.Add(z);
        var add = new Operator(new OperatorCode(BuiltinOperator.ADD))
        {
            Options = BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()),
        };
        add.Inputs.AddRange([x, w]);
        add.Outputs.Add(y);
        var mul = new Operator(new OperatorCode(BuiltinOperator.MUL))
        {
            Options = BuiltinOptionsUnion.FromMulOptions(new MulOptionsT()),
        };
        mul.Inputs.AddRange([y, y]);
        mul.Outputs.Add(z);
        main.Operators.AddRange([add, mul]);
        var signature = new SignatureDef("serving_default", main);
        signature.Inputs.Add(new SignatureTensor("x", x));
        signature.Outputs.Add(new SignatureTensor("z", z));
        model.Signatures.Add(signature);
        model.Metadata.Add(new MetadataEntry(ModelGraph.MinRuntimeVersionName, "1.5.0\0"u8.ToArray()));
        return model;
    }

    /// <summary>The baseline changed through the object API and packed again.</summary>
    public static byte[] Mutate(Action<ModelT> change)
    {
        var model = ModelT.DeserializeFromBinary(Baseline());
        change(model);
        return model.SerializeToBinary();
    }

    /// <summary>The baseline's subgraph 0 changed through the object API.</summary>
    public static byte[] MutateMain(Action<SubGraphT> change) => Mutate(m => change(m.Subgraphs[0]));

    /// <summary>The baseline with <paramref name="value"/> written at the position <paramref name="where"/> finds.</summary>
    public static byte[] Patch(Func<FlatBufferProbe, int> where, int value) => Patch(Baseline(), where, value);

    public static byte[] Patch(byte[] file, Func<FlatBufferProbe, int> where, int value)
    {
        var position = where(new FlatBufferProbe(file));
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(position), value);
        return file;
    }

    /// <summary>
    /// A model whose subgraph lists <paramref name="count"/> tensors that all point at one tensor table with a
    /// <paramref name="shapeLength"/>-entry shape: a few hundred kilobytes that the object API would expand to
    /// count × shapeLength integers (gigabytes) if nothing stopped it.
    /// </summary>
    public static byte[] SharedTensorTableBomb(int count = 30_000, int shapeLength = 30_000)
    {
        var b = new FlatBufferBuilder(1 << 20);
        var buffer0 = EmptyTable(b);
        var buffers = Fb.Model.CreateBuffersVector(b, [buffer0]);
        var shape = Fb.Tensor.CreateShapeVectorBlock(b, Enumerable.Repeat(1, shapeLength).ToArray());
        var name = b.CreateString("shared");
        Fb.Tensor.StartTensor(b);
        Fb.Tensor.AddShape(b, shape);
        Fb.Tensor.AddName(b, name);
        var tensor = Fb.Tensor.EndTensor(b);
        var tensors = Fb.SubGraph.CreateTensorsVector(b, Enumerable.Repeat(tensor, count).ToArray());
        Fb.SubGraph.StartSubGraph(b);
        Fb.SubGraph.AddTensors(b, tensors);
        var subgraphs = Fb.Model.CreateSubgraphsVector(b, [Fb.SubGraph.EndSubGraph(b)]);
        var root = Fb.Model.CreateModel(b, version: 3, subgraphsOffset: subgraphs, buffersOffset: buffers);
        Fb.Model.FinishModelBuffer(b, root);
        return b.SizedByteArray();
    }

    /// <summary>
    /// A model with <paramref name="count"/> operator codes that all share one <paramref name="nameLength"/>-byte
    /// custom_code string: each code would become its own copy of the string.
    /// </summary>
    public static byte[] SharedStringBomb(int count = 40_000, int nameLength = 100_000)
    {
        var b = new FlatBufferBuilder(1 << 20);
        var buffers = Fb.Model.CreateBuffersVector(b, [EmptyTable(b)]);
        var custom = b.CreateString(new string('c', nameLength));
        var code = Fb.OperatorCode.CreateOperatorCode(b, custom_codeOffset: custom, builtin_code: BuiltinOperator.CUSTOM);
        var codes = Fb.Model.CreateOperatorCodesVector(b, Enumerable.Repeat(code, count).ToArray());
        var root = Fb.Model.CreateModel(b, version: 3, operator_codesOffset: codes, buffersOffset: buffers);
        Fb.Model.FinishModelBuffer(b, root);
        return b.SizedByteArray();
    }

    private static Offset<Fb.Buffer> EmptyTable(FlatBufferBuilder b)
    {
        Fb.Buffer.StartBuffer(b);
        return Fb.Buffer.EndBuffer(b);
    }
}

/// <summary>
/// Finds positions inside a FlatBuffer by walking its raw bytes (no bounds checks: for building test inputs from a
/// known-good file). Field numbers follow tflite.fbs: Model 1 operator_codes, 2 subgraphs, 4 buffers; SubGraph 0
/// tensors, 1 inputs, 2 outputs, 3 operators; Tensor 0 shape, 1 type, 2 buffer, 3 name.
/// </summary>
internal sealed class FlatBufferProbe(byte[] file)
{
    public const int ModelOperatorCodes = 1, ModelSubgraphs = 2, ModelBuffers = 4;
    public const int SubGraphTensors = 0, SubGraphOperators = 3;
    public const int TensorShape = 0;

    /// <summary>Position of the root table (the Model).</summary>
    public int Root => BinaryPrimitives.ReadInt32LittleEndian(file);

    /// <summary>Position of a field's value inside a table; throws when the field is absent.</summary>
    public int Field(int table, int field)
    {
        var vtable = table - BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(table));
        var vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(vtable));
        var slot = 4 + (2 * field);
        var offset = slot < vtableSize ? BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(vtable + slot)) : 0;
        return offset != 0 ? table + offset : throw new InvalidOperationException($"field {field} of the table at {table} is absent");
    }

    /// <summary>Where the offset stored at <paramref name="position"/> points.</summary>
    public int Target(int position) => position + BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(position));

    /// <summary>Position of the length word of the vector held by a table field.</summary>
    public int Vector(int table, int field) => Target(Field(table, field));

    /// <summary>Position of the table that element <paramref name="index"/> of an offset vector points at.</summary>
    public int Element(int vector, int index) => Target(vector + 4 + (4 * index));

    public int Subgraph(int index) => Element(Vector(Root, ModelSubgraphs), index);

    public int Tensor(int subgraph, int index) => Element(Vector(Subgraph(subgraph), SubGraphTensors), index);
}
