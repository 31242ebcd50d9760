using Google.FlatBuffers;

namespace ModelBuildTasks.TestSupport.Tests;

/// <summary>
/// Hand-built minimal .tflite files (raw FlatBufferBuilder, TFLite schema field ids): one float32 [1,4] input
/// "x", one float32 [1,4] output "y", one operator with both inputs = x.
/// </summary>
internal static class TinyTflite
{
    private const int BuiltinAdd = 0;
    private const int BuiltinCustom = 32;

    /// <summary>y = x + x (builtin ADD): a valid model.</summary>
    public static byte[] Add() => Build(BuiltinAdd, customCode: null);

    /// <summary>y = MbtNoSuchOp(x, x): a custom op no runtime resolves.</summary>
    public static byte[] UnresolvedCustomOp() => Build(BuiltinCustom, "MbtNoSuchOp");

    private static byte[] Build(int builtinCode, string? customCode)
    {
        var b = new FlatBufferBuilder(1024);

        // Buffer 0: the empty sentinel every model has.
        b.StartTable(1);
        var buffer0 = b.EndTable();
        var buffers = Offsets(b, buffer0);

        var tensors = Offsets(b, Tensor(b, "x"), Tensor(b, "y"));
        var opInputs = Ints(b, 0, 0);
        var opOutputs = Ints(b, 1);
        b.StartTable(3); // Operator: opcode_index 0 (default), inputs, outputs
        b.AddOffset(1, opInputs, 0);
        b.AddOffset(2, opOutputs, 0);
        var op = b.EndTable();
        var operators = Offsets(b, op);

        var graphInputs = Ints(b, 0);
        var graphOutputs = Ints(b, 1);
        var graphName = b.CreateString("main").Value;
        b.StartTable(5); // SubGraph: tensors, inputs, outputs, operators, name
        b.AddOffset(0, tensors, 0);
        b.AddOffset(1, graphInputs, 0);
        b.AddOffset(2, graphOutputs, 0);
        b.AddOffset(3, operators, 0);
        b.AddOffset(4, graphName, 0);
        var subgraphs = Offsets(b, b.EndTable());

        var custom = customCode is null ? 0 : b.CreateString(customCode).Value;
        b.StartTable(4); // OperatorCode: deprecated_builtin_code, custom_code, version, builtin_code
        b.AddSbyte(0, (sbyte)Math.Min(builtinCode, 127), 0);
        if (custom != 0)
        {
            b.AddOffset(1, custom, 0);
        }

        b.AddInt(2, 1, 1);
        b.AddInt(3, builtinCode, 0);
        var opcodes = Offsets(b, b.EndTable());

        var signatures = Offsets(b, Signature(b));
        var description = b.CreateString("ModelBuildTasks test model").Value;
        b.StartTable(8); // Model
        b.AddUint(0, 3, 0);
        b.AddOffset(1, opcodes, 0);
        b.AddOffset(2, subgraphs, 0);
        b.AddOffset(3, description, 0);
        b.AddOffset(4, buffers, 0);
        b.AddOffset(7, signatures, 0);
        b.Finish(b.EndTable(), "TFL3");
        return b.SizedByteArray();
    }

    private static int Tensor(FlatBufferBuilder b, string name)
    {
        var shape = Ints(b, 1, 4);
        var n = b.CreateString(name).Value;
        b.StartTable(4); // Tensor: shape, type (FLOAT32 = 0, default), buffer (0, default), name
        b.AddOffset(0, shape, 0);
        b.AddOffset(3, n, 0);
        return b.EndTable();
    }

    private static int Signature(FlatBufferBuilder b)
    {
        int Map(string name, uint index)
        {
            var n = b.CreateString(name).Value;
            b.StartTable(2); // TensorMap: name, tensor_index
            b.AddOffset(0, n, 0);
            b.AddUint(1, index, uint.MaxValue); // write even 0
            return b.EndTable();
        }

        var inputs = Offsets(b, Map("x", 0));
        var outputs = Offsets(b, Map("y", 1));
        var key = b.CreateString("serving_default").Value;
        b.StartTable(5); // SignatureDef: inputs, outputs, signature_key, (deprecated), subgraph_index
        b.AddOffset(0, inputs, 0);
        b.AddOffset(1, outputs, 0);
        b.AddOffset(2, key, 0);
        return b.EndTable();
    }

    private static int Ints(FlatBufferBuilder b, params int[] values)
    {
        b.StartVector(4, values.Length, 4);
        for (var i = values.Length - 1; i >= 0; i--)
        {
            b.AddInt(values[i]);
        }

        return b.EndVector().Value;
    }

    private static int Offsets(FlatBufferBuilder b, params int[] offsets)
    {
        b.StartVector(4, offsets.Length, 4);
        for (var i = offsets.Length - 1; i >= 0; i--)
        {
            b.AddOffset(offsets[i]);
        }

        return b.EndVector().Value;
    }
}
