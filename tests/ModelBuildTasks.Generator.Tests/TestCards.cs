using System.Text.Json.Nodes;
using ModelBuildTasks.Generator.Tests.Harness;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>The cards the tests generate from: real corpus models, plus synthetic ones for features the corpus lacks.</summary>
internal static class TestCards
{
    /// <summary>Small and mid-sized corpus models (each only read, never run, for snapshots and compile checks).</summary>
    public static readonly string[] CorpusModels =
        ["face_detection_short_range", "selfie_segmentation", "hand_landmark_lite", "pose_landmark_full"];

    public static CardFile Corpus(string model) =>
        CardFile.Of(model, CardBuilder.FromModel(TestSupport.Corpus.GetPath(model)));

    public static CardFile Named(string name) => name switch
    {
        "quantized_classifier" => CardFile.Of(name, QuantizedClassifier()),
        "tricky_names" => CardFile.Of(name, TrickyNames()),
        "signatures" => CardFile.Of(name, Signatures()),
        "signature_keys" => CardFile.Of(name, SignatureKeys()),
        _ => Corpus(name),
    };

    /// <summary>
    /// An int8 image classifier as the int8 pass would leave it: uint8 input with normalization metadata and a
    /// dynamic batch, int8 scores with labels, measured figures and budgets.
    /// </summary>
    public static JsonObject QuantizedClassifier()
    {
        var card = CardBuilder.Skeleton("mobilenet_v1-0.25 quant", "mobilenet_v1_quant.tflite");
        card["optimization"] = "int8";
        var input = CardBuilder.Tensor("input", "uint8", [1, 4, 4, 3], "image");
        input["shapeSignature"] = new JsonArray(-1, 4, 4, 3);
        input["quantization"] = new JsonObject { ["scale"] = new JsonArray(0.0078125), ["zeroPoint"] = new JsonArray(128), ["dimension"] = 0 };
        input["normalization"] = new JsonObject { ["mean"] = new JsonArray(127.5, 127.5, 127.5), ["std"] = new JsonArray(127.5, 127.5, 127.5) };
        input["content"] = "image";
        var scores = CardBuilder.Tensor("MobilenetV1/Predictions/Reshape_1", "int8", [1, 5], "probabilities");
        scores["quantization"] = new JsonObject { ["scale"] = new JsonArray(0.00390625), ["zeroPoint"] = new JsonArray(-128), ["dimension"] = 0 };
        scores["labels"] = new JsonArray("background", "cat", "dog", "\"quoted\" <label>", "bird");
        card["signatures"] = new JsonArray(CardBuilder.Signature("serving_default", 0, [input], [scores]));
        card["original"] = new JsonObject { ["bytes"] = 1_900_000, ["gzipBytes"] = 1_750_000, ["brotliBytes"] = null, ["sha256"] = "00aa" };
        card["optimized"] = new JsonObject { ["bytes"] = 500_000, ["gzipBytes"] = 420_000, ["brotliBytes"] = 400_000, ["sha256"] = "11bb" };
        card["metrics"] = new JsonObject
        {
            ["samples"] = 32, ["minCosine"] = 0.9991, ["minSqnrDb"] = 31.2, ["accuracyDrop"] = 0.004,
            ["referenceAccuracy"] = 0.981, ["candidateAccuracy"] = 0.977,
            ["outputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "probabilities", ["cosine"] = 0.9991, ["sqnrDb"] = 31.2, ["mse"] = 1.2e-5, ["maxAbsError"] = 0.03, ["top1Agreement"] = 0.99,
            }),
        };
        card["budgets"]!["maxSize"] = 2 * 1024 * 1024;
        card["budgets"]!["minCosine"] = 0.99;
        card["tfliteMetadata"] = new JsonObject
        {
            ["name"] = "MobileNetV1 image classifier", ["description"] = "Identify the most prominent object in the image <from a set of 5 categories>.",
            ["version"] = "v1", ["author"] = "TensorFlow", ["license"] = "Apache-2.0",
        };
        return card;
    }

    /// <summary>Tensor names that broke Core ML's and Android Studio's generated code, and a few more.</summary>
    public static JsonObject TrickyNames()
    {
        var card = CardBuilder.Skeleton("3d-pose/estimator", "3d-pose.tflite");
        card["className"] = "TrickyNames";
        card["namespace"] = "My App.Models-v2.class";
        string[] inputs = ["input-1", "conv/BiasAdd:0", "1st", "class", "Input", "x", "X", "xLength", "TrickyNames", "Run", "", "höhe_ü", "__"];
        var inputNodes = inputs.Select((n, i) => CardBuilder.Tensor(n, i % 2 == 0 ? "float32" : "int32", [1, 2])).ToList();
        inputNodes.Add(CardBuilder.Tensor("half", "float16", [2]));
        inputNodes.Add(CardBuilder.Tensor("mask", "bool", [3]));
        inputNodes.Add(CardBuilder.Tensor("text", "string", [1]));
        // A fused name as the TFLite converter writes it, and a name longer than C#'s 512-character identifier limit.
        inputNodes.Add(CardBuilder.Tensor("model/conv2d/BiasAdd;model/conv2d/Conv2D;conv2d/bias", "float32", [1]));
        inputNodes.Add(CardBuilder.Tensor(string.Concat(Enumerable.Repeat("very_long_name/", 40)), "float32", [1]));
        var outputs = new[]
        {
            CardBuilder.Tensor("Identity", "float32", [1, 2]),
            CardBuilder.Tensor("Identity", "int64", [1]),
            CardBuilder.Tensor("output", "float16", [2]),
            CardBuilder.Tensor("x", "float32", [1]),
        };
        card["signatures"] = new JsonArray(CardBuilder.Signature("serving_default", 0, inputNodes, outputs));
        return card;
    }

    /// <summary>Keys of the two-subgraph fixture as the card lists them: the default first, then the others.</summary>
    public static readonly string[] SignatureFixtureKeys = ["serving_default", "encode-v2", "class"];

    /// <summary>
    /// The card of <see cref="SignatureModels"/> with keys "serving_default" (add, subgraph 0), "encode-v2" (mul,
    /// subgraph 1) and "class" (add again, inputs swapped), under a stable file name and without file figures (so
    /// the snapshot does not depend on the writer's bytes).
    /// </summary>
    public static JsonObject Signatures()
    {
        var path = WriteSignatureModel();
        try
        {
            var card = CardBuilder.FromModel(path);
            card["name"] = "two_signatures";
            card["deployedFile"] = SignatureModelFile;
            card["item"]!["include"] = "models/" + SignatureModelFile;
            card["original"] = null;
            card["optimized"] = null;
            return card;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public const string SignatureModelFile = "two_signatures.tflite";

    /// <summary>Writes the fixture with <see cref="SignatureFixtureKeys"/> to a new temporary file; the caller deletes it.</summary>
    public static string WriteSignatureModel()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mbt-gen-signatures-{Guid.NewGuid():N}.tflite");
        ModelWriter.WriteFile(SignatureModels.TwoSubgraphs(SignatureFixtureKeys[0], SignatureFixtureKeys[1], SignatureFixtureKeys[2]), path);
        return path;
    }

    /// <summary>Signature keys that are not identifiers, collide once sanitized, or take a generated member's name.</summary>
    public static JsonObject SignatureKeys()
    {
        var card = CardBuilder.Skeleton("keys", "keys.tflite");
        card["className"] = "Keys";
        JsonObject One(string key, int subgraph) => CardBuilder.Signature(key, subgraph,
            [CardBuilder.Tensor("in", "float32", [2], "x")], [CardBuilder.Tensor("out", "float32", [2], "y")]);
        // The default signature also has an output named like the wrapper's SignatureOf helper.
        var main = One("serving_default", 0);
        main["outputs"]!.AsArray().Add(CardBuilder.Tensor("signature_of", "float32", [1], "SignatureOf"));
        card["signatures"] = new JsonArray(
            main, One("encode-v2", 1), One("encode_v2", 2), One("class", 3), One("Inputs", 4),
            One("1st", 5), One("", 6), One("Keys", 7), One("X", 8));
        return card;
    }
}
