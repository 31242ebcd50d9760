using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using ModelBuildTasks.Generator.Tests.Harness;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>
/// A wrapper generated for a real corpus model, compiled with app code into an in-memory assembly (the model
/// embedded as a manifest resource, deploy=embed), run through the generated API and checked against LiteRT.
/// </summary>
[TestClass]
public sealed class EndToEndTests
{
    private const string Model = "face_detection_short_range";
    private const string Resource = "TestApp.Models.face_detection_short_range.tflite";

    // App code written against the generated API, as a user would.
    private const string App = """
        namespace TestApp
        {
            /// <summary>Calls the generated wrapper.</summary>
            public static class App
            {
                /// <summary>Typed inputs and outputs on the embedded model.</summary>
                /// <param name="input">Image.</param>
                /// <returns>Regressors and scores.</returns>
                public static float[][] Predict(float[] input)
                {
                    using var model = FaceDetectionShortRange.Create();
                    var outputs = model.Predict(input);
                    return new[] { outputs.Regressors, outputs.Classificators };
                }

                /// <summary>Zero-copy spans on a second instance (async, two threads) sharing the loaded model.</summary>
                /// <param name="input">Image.</param>
                /// <returns>Regressors and scores.</returns>
                public static float[][] ZeroCopy(float[] input)
                {
                    using var model = FaceDetectionShortRange.CreateAsync(new global::ModelBuildTasks.Runtime.SessionOptions { Threads = 2 }).GetAwaiter().GetResult();
                    new global::System.Span<float>(input).CopyTo(model.InputSpan);
                    model.Run();
                    return new[] { model.RegressorsSpan.ToArray(), model.ClassificatorsSpan.ToArray() };
                }

                /// <summary>The batch form, reusing caller-owned outputs.</summary>
                /// <param name="first">First image.</param>
                /// <param name="second">Second image.</param>
                /// <returns>Both score arrays.</returns>
                public static float[][] Batch(float[] first, float[] second)
                {
                    using var model = FaceDetectionShortRange.Create();
                    var inputs = new[] { new FaceDetectionShortRange.Inputs { Input = first }, new FaceDetectionShortRange.Inputs { Input = second } };
                    var outputs = new[] { new FaceDetectionShortRange.Outputs(), new FaceDetectionShortRange.Outputs() };
                    model.RunBatch(inputs, outputs);
                    return new[] { outputs[0].Classificators, outputs[1].Classificators };
                }

                /// <summary>Loads another model file through the wrapper.</summary>
                /// <param name="path">A .tflite file.</param>
                public static void Open(string path)
                {
                    using var model = FaceDetectionShortRange.FromFile(path);
                }
            }
        }
        """;

    private static readonly Lazy<Assembly> Compiled = new(Compile);

    private static Type CompiledApp() =>
        Compiled.Value.GetType("TestApp.App") ?? throw new AssertFailedException("TestApp.App not found");

    private static Assembly Compile()
    {
        var modelPath = Corpus.GetPath(Model);
        var card = CardBuilder.FromModel(modelPath);
        card["deploy"] = "embed";
        card["deployedFile"] = null;
        card["resourceName"] = Resource;
        var result = GeneratorHarness.Generate([CardFile.Of(Model, card)], "TestApp", App);
        var problems = GeneratorHarness.Problems(result.Compilation);
        Assert.IsEmpty(problems, string.Join("\n", problems));
        return GeneratorHarness.EmitAndLoad(
            result.Compilation,
            [new ResourceDescription(Resource, () => File.OpenRead(modelPath), isPublic: true)]);
    }

    private static T Call<T>(string method, params object[] args) =>
        (T)CompiledApp().GetMethod(method)!.Invoke(null, args)!;

    [TestMethod]
    public void GeneratedWrapperMatchesLiteRt()
    {
        var oracle = Oracle.RunSeeded(Corpus.GetPath(Model), seed: 7, lo: -1, hi: 1);
        var input = MemoryMarshal.Cast<byte, float>(oracle.Inputs[0]).ToArray();

        var typed = Call<float[][]>("Predict", input);
        var zeroCopy = Call<float[][]>("ZeroCopy", input);

        string[] names = ["regressors", "classificators"];
        for (var k = 0; k < names.Length; k++)
        {
            var expected = oracle[names[k]].AsFloats();
            AssertClose(expected, typed[k], names[k]);
            // Threads never change results: work is split across independent outputs only.
            CollectionAssert.AreEqual(typed[k], zeroCopy[k], $"{names[k]}: zero-copy path with 2 threads differs");
        }
    }

    [TestMethod]
    public void BatchKeepsInputOrder()
    {
        var image = SeededInputs.Floats(11, 128 * 128 * 3, -1, 1);
        var blank = new float[image.Length];

        var batch = Call<float[][]>("Batch", blank, image);
        var single = Call<float[][]>("Predict", image);

        CollectionAssert.AreEqual(single[1], batch[1]);
        CollectionAssert.AreNotEqual(batch[0], batch[1], "the blank and the random image score the same");
    }

    [TestMethod]
    public void ModelWithOtherTensorsIsRefusedWithAClearMessage()
    {
        var other = Corpus.GetPath("selfie_segmentation");

        var e = Assert.Throws<TargetInvocationException>(() => Call<object?>("Open", other));

        Assert.IsInstanceOfType<InvalidOperationException>(e.InnerException);
        StringAssert.Contains(e.InnerException!.Message, "it is not the model FaceDetectionShortRange was generated for; rebuild.");
    }

    /// <summary>Within 5e-4 of the output's largest magnitude (LiteRT's own builds differ by up to 1.7e-4).</summary>
    private static void AssertClose(float[] expected, float[] actual, string name)
    {
        Assert.HasCount(expected.Length, actual, name);
        var scale = expected.Max(MathF.Abs);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
        }
        Assert.IsLessThanOrEqualTo(5e-4f * scale, worst, $"{name}: max abs error {worst} against LiteRT (max |value| {scale})");
    }
}
