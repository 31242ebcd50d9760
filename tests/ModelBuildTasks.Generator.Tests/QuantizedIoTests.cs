using ModelBuildTasks.Generator.Tests.Harness;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>
/// Quantized I/O through a generated wrapper on a tiny real model: uint8 input "codes" (scale 0.5, zero point 10)
/// → DEQUANTIZE → float output "values"; "codes" is also an output, so both directions of the conversion run.
/// </summary>
[TestClass]
public sealed class QuantizedIoTests
{
    private const string App = """
        namespace TestApp
        {
            /// <summary>Calls the generated wrapper.</summary>
            public static class App
            {
                /// <summary>Sets floats, runs, returns raw codes, the dequantized output and the float output.</summary>
                /// <param name="path">Model file.</param>
                /// <param name="input">Values to quantize.</param>
                /// <returns>Raw input codes, dequantized codes output, float output.</returns>
                public static object[] Go(string path, float[] input)
                {
                    using var model = Quant.FromFile(path);
                    model.SetCodes(input);
                    var raw = model.CodesSpan.ToArray();
                    var outputs = new Quant.Outputs();
                    model.Run(new Quant.Inputs { Codes = input }, outputs);
                    return new object[] { raw, outputs.Codes2, outputs.Values };
                }

                /// <summary>Sets 8-bit pixels through the metadata normalization and returns the raw codes.</summary>
                /// <param name="path">Model file.</param>
                /// <param name="pixels">Pixels.</param>
                /// <returns>Raw input codes.</returns>
                public static byte[] Pixels(string path, byte[] pixels)
                {
                    using var model = Quant.FromFile(path);
                    model.SetCodesFromPixels(pixels);
                    return model.CodesSpan.ToArray();
                }
            }
        }
        """;

    [TestMethod]
    public void FloatsAreQuantizedRoundedAndSaturatedLikeTfLite()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "quant.tflite");
        ModelWriter.WriteFile(TinyModel(), path);
        Oracle.Info(path); // loads and runs in LiteRT

        var card = CardBuilder.FromModel(path);
        card["className"] = "Quant";
        // Two channels with different normalization: value = (pixel - mean[c]) / std[c].
        card["signatures"]![0]!["inputs"]![0]!["normalization"] = new System.Text.Json.Nodes.JsonObject
        {
            ["mean"] = new System.Text.Json.Nodes.JsonArray(127.5, 0.0),
            ["std"] = new System.Text.Json.Nodes.JsonArray(127.5, 255.0),
        };
        var result = GeneratorHarness.Generate([CardFile.Of("quant", card)], "TestApp", App);
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation), string.Join("\n", GeneratorHarness.Problems(result.Compilation)));
        var app = GeneratorHarness.EmitAndLoad(result.Compilation).GetType("TestApp.App")!;

        // code = clamp(round_half_away(v / 0.5) + 10, 0, 255); value = (code - 10) * 0.5
        float[] input = [1.0f, -2.0f, 0.25f, 1000f, -1000f, -0.75f];
        var outputs = (object[])app.GetMethod("Go")!.Invoke(null, [path, input])!;

        CollectionAssert.AreEqual(new byte[] { 12, 6, 11, 255, 0, 8 }, (byte[])outputs[0]);
        float[] expected = [1.0f, -2.0f, 0.5f, 122.5f, -5.0f, -1.0f];
        CollectionAssert.AreEqual(expected, (float[])outputs[1], "uint8 output dequantized by the wrapper");
        CollectionAssert.AreEqual(expected, (float[])outputs[2], "float output of the model's DEQUANTIZE");

        // channel 0: (255-127.5)/127.5 = 1 → 12, (0-127.5)/127.5 = -1 → 8; channel 1: 255/255 = 1 → 12, 0 → 10
        var pixels = (byte[])app.GetMethod("Pixels")!.Invoke(null, [path, new byte[] { 255, 255, 0, 0, 128, 51 }])!;
        // 128 → 0.5/127.5/0.5 = 0.0078 → 10; 51/255 = 0.2 → 0.4 → 10
        CollectionAssert.AreEqual(new byte[] { 12, 12, 8, 10, 10, 10 }, pixels);
    }

    private static ModelGraph TinyModel()
    {
        var graph = new ModelGraph();
        var main = new Subgraph { Name = "main" };
        var codes = main.AddTensor(new Tensor("codes", TensorType.UINT8, [1, 6]) { Quantization = TensorQuantization.PerTensor(0.5f, 10) });
        var values = main.AddTensor(new Tensor("values", TensorType.FLOAT32, [1, 6]));
        var op = new Operator(new OperatorCode(BuiltinOperator.DEQUANTIZE));
        op.Inputs.Add(codes);
        op.Outputs.Add(values);
        main.Operators.Add(op);
        main.Inputs.Add(codes);
        main.Outputs.Add(codes);
        main.Outputs.Add(values);
        graph.Subgraphs.Add(main);
        return graph;
    }
}
