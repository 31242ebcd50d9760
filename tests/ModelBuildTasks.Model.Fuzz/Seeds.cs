using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Metadata;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model.Fuzz;

/// <summary>
/// Tiny valid models built through the public API. Small seeds fuzz far faster than real models and still reach
/// every part of the reader: options unions, quantization, signatures, metadata, custom ops and shape signatures.
/// </summary>
internal static class Seeds
{
    public static IEnumerable<(string Name, byte[] Bytes)> All()
    {
        yield return ("tiny_add_mul.tflite", ModelWriter.ToBytes(AddMul()));
        yield return ("tiny_quantized_custom.tflite", ModelWriter.ToBytes(QuantizedCustom()));
        yield return ("tiny_with_metadata.tflite", ModelWriter.ToBytes(WithMetadata()));
    }

    /// <summary><see cref="AddMul"/> with TFLite metadata (normalization, stats, a labels file) and the labels zip.</summary>
    public static ModelGraph WithMetadata()
    {
        var model = AddMul();
        var info = new ModelMetadataInfo("seed", "fuzz seed", "1", "mbt", "MIT",
            [new TensorMetadataInfo("x", "input", "image", [0.5f], [2f], 0f, 1f, null, null)],
            [new TensorMetadataInfo("z", "output", "feature", null, null, null, null, "labels.txt", ["a", "b", "c", "d"])],
            ["readme.txt"]);
        model.Metadata.Add(new MetadataEntry(ModelGraph.TfLiteMetadataName, TfLiteMetadata.Write(info)));
        model.AssociatedFiles = TfLiteMetadata.CreateAssociatedFiles(new Dictionary<string, byte[]>
        {
            ["labels.txt"] = TfLiteMetadata.LabelsFileContent(["a", "b", "c", "d"]),
            ["readme.txt"] = "r\n"u8.ToArray(),
        });
        return model;
    }

    /// <summary>z = (x + w) * (x + w), with w a constant; one signature and one metadata entry.</summary>
    public static ModelGraph AddMul()
    {
        var model = new ModelGraph { Description = "fuzz seed" };
        var main = new Subgraph { Name = "main" };
        model.Subgraphs.Add(main);
        var x = main.AddTensor(new Tensor("x", TensorType.FLOAT32, [1, 4]));
        var w = main.AddTensor(new Tensor("w", TensorType.FLOAT32, [4])
        {
            Data = new byte[] { 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64 },
        });
        var y = main.AddTensor(new Tensor("y", TensorType.FLOAT32, [1, 4]));
        var z = main.AddTensor(new Tensor("z", TensorType.FLOAT32, [1, 4]) { ShapeSignature = [-1, 4] });
        main.Inputs.Add(x);
        main.Outputs.Add(z);
        var add = new Operator(new OperatorCode(BuiltinOperator.ADD))
        {
            Options = BuiltinOptionsUnion.FromAddOptions(new AddOptionsT { FusedActivationFunction = ActivationFunctionType.RELU }),
        };
        add.Inputs.AddRange([x, w]);
        add.Outputs.Add(y);
        var mul = new Operator(new OperatorCode(BuiltinOperator.MUL, Version: 2))
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

    /// <summary>An int8 per-axis quantized constant feeding a custom op with options, plus an optional input (-1).</summary>
    public static ModelGraph QuantizedCustom()
    {
        var model = new ModelGraph();
        var main = new Subgraph();
        model.Subgraphs.Add(main);
        var x = main.AddTensor(new Tensor("in", TensorType.INT8, [1, 2, 2])
        {
            Quantization = TensorQuantization.PerTensor(0.5f, -3),
        });
        var k = main.AddTensor(new Tensor("kernel", TensorType.INT8, [2, 2])
        {
            Data = new byte[] { 1, 2, 3, 4 },
            Quantization = TensorQuantization.PerAxis([0.25f, 0.125f], [0, 0], 0),
        });
        var o = main.AddTensor(new Tensor("out", TensorType.INT16, [1, 2]) { ShapeSignature = [1, -1] });
        main.Inputs.Add(x);
        main.Outputs.Add(o);
        var custom = new Operator(new OperatorCode(BuiltinOperator.CUSTOM, "FuzzOp"))
        {
            CustomOptions = new byte[] { 7, 1, 2, 3 },
            CustomOptionsFormat = CustomOptionsFormat.FLEXBUFFERS,
        };
        custom.Inputs.AddRange([x, k, null]);
        custom.Outputs.Add(o);
        main.Operators.Add(custom);
        return model;
    }
}
