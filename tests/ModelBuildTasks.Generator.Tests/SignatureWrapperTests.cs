using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using ModelBuildTasks.Generator.Tests.Harness;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>
/// Every signature gets typed inputs, outputs and Run/Predict: the default one on the wrapper itself (today's names),
/// each other one as a nested class behind a property named after its key. The wrapper for the two-subgraph fixture
/// is compiled with app code, run on both subgraphs, and checked against LiteRT per signature.
/// </summary>
[TestClass]
public sealed class SignatureWrapperTests
{
    private const string Resource = "TestApp.Models.two_signatures.tflite";

    // App code written against the generated API, as a user would.
    private const string App = """
        namespace TestApp
        {
            /// <summary>Calls every signature of the generated wrapper.</summary>
            public static class App
            {
                /// <summary>The default signature through the wrapper's own members.</summary>
                /// <param name="x">x.</param>
                /// <param name="y">y.</param>
                /// <returns>x + y.</returns>
                public static float[] Add(float[] x, float[] y)
                {
                    using var model = TwoSignatures.Create();
                    return model.Predict(new TwoSignatures.Inputs { X = x, Y = y }).Sum;
                }

                /// <summary>Signature "encode-v2": Predict, the allocation-free Run and the batch form.</summary>
                /// <param name="value">value.</param>
                /// <returns>scaled, doubled, and the batch's doubled for value and for zeros.</returns>
                public static float[][] Encode(float[] value)
                {
                    using var model = TwoSignatures.Create();
                    var encode = model.EncodeV2;
                    var predicted = encode.Predict(value);
                    var reused = new TwoSignatures.EncodeV2Signature.Outputs();
                    encode.Run(new TwoSignatures.EncodeV2Signature.Inputs { Value = value }, reused);
                    var batch = encode.PredictBatch(new[]
                    {
                        new TwoSignatures.EncodeV2Signature.Inputs { Value = value },
                        new TwoSignatures.EncodeV2Signature.Inputs { Value = new float[TwoSignatures.EncodeV2Signature.Inputs.ValueLength] },
                    });
                    return new[] { predicted.Scaled, predicted.Doubled, reused.Doubled, batch[0].Doubled, batch[1].Doubled };
                }

                /// <summary>Signature "class": subgraph 0 again, under other names and order, through spans.</summary>
                /// <param name="left">left.</param>
                /// <param name="right">right.</param>
                /// <returns>total.</returns>
                public static float[] Total(float[] left, float[] right)
                {
                    using var model = TwoSignatures.Create();
                    new global::System.Span<float>(left).CopyTo(model.Class.LeftSpan);
                    model.Class.SetRight(right);
                    model.Class.Run();
                    return model.Class.TotalSpan.ToArray();
                }

                /// <summary>Opens a model file and a signature of it.</summary>
                /// <param name="path">A .tflite file.</param>
                public static void Open(string path)
                {
                    using var model = TwoSignatures.FromFile(path);
                    _ = model.EncodeV2;
                }

                /// <summary>A signature after the wrapper is disposed.</summary>
                public static void AfterDispose()
                {
                    var model = TwoSignatures.Create();
                    model.Dispose();
                    _ = model.EncodeV2;
                }
            }
        }
        """;

    private static readonly Lazy<(Assembly Assembly, byte[] Model)> Compiled = new(Compile);

    private static (Assembly, byte[]) Compile()
    {
        var path = TestCards.WriteSignatureModel();
        try
        {
            var bytes = File.ReadAllBytes(path);
            var card = TestCards.Signatures();
            card["deploy"] = "embed";
            card["deployedFile"] = null;
            card["resourceName"] = Resource;
            var result = GeneratorHarness.Generate([CardFile.Of("two_signatures", card)], "TestApp", App);
            var problems = GeneratorHarness.Problems(result.Compilation);
            Assert.IsEmpty(problems, string.Join("\n", problems));
            var assembly = GeneratorHarness.EmitAndLoad(
                result.Compilation,
                [new ResourceDescription(Resource, () => new MemoryStream(bytes), isPublic: true)]);
            return (assembly, bytes);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static T Call<T>(string method, params object[] args) =>
        (T)(Compiled.Value.Assembly.GetType("TestApp.App") ?? throw new AssertFailedException("TestApp.App not found"))
            .GetMethod(method)!.Invoke(null, args)!;

    [TestMethod]
    public void EverySignatureRunsThroughTheWrapperAndMatchesLiteRt()
    {
        var path = TestCards.WriteSignatureModel();
        try
        {
            var x = SeededInputs.Floats(1, 4, -2, 2);
            var y = SeededInputs.Floats(2, 4, -2, 2);
            var value = SeededInputs.Floats(3, 6, -2, 2);

            var add = Oracle.Run(path, [Bytes(x), Bytes(y)], "serving_default");
            CollectionAssert.AreEqual(add["sum"].AsFloats(), Call<float[]>("Add", x, y));

            var encode = Oracle.Run(path, [Bytes(value)], "encode-v2");
            var got = Call<float[][]>("Encode", value);
            CollectionAssert.AreEqual(encode["scaled"].AsFloats(), got[0], "Predict: scaled");
            CollectionAssert.AreEqual(encode["doubled"].AsFloats(), got[1], "Predict: doubled");
            CollectionAssert.AreEqual(got[1], got[2], "the allocation-free Run gives what Predict gives");
            CollectionAssert.AreEqual(got[1], got[3], "the batch keeps input order");
            CollectionAssert.AreEqual(new float[6], got[4], "zeros times anything are zeros");

            // "class" names subgraph 0's inputs right, left: LiteRT orders them as the signature does.
            var info = Oracle.Info(path, "class");
            var byName = new Dictionary<string, float[]> { ["left"] = x, ["right"] = y };
            var total = Oracle.Run(path, info.Inputs.Select(i => Bytes(byName[i.Name])).ToList(), "class");
            CollectionAssert.AreEqual(total["total"].AsFloats(), Call<float[]>("Total", x, y));
            for (var i = 0; i < 4; i++)
            {
                Assert.AreEqual(x[i] + y[i], total["total"].AsFloats()[i], 1e-6f, "LiteRT computed x + y");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AModelWithoutTheSignatureIsRefusedWithAClearMessage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mbt-gen-signatures-{Guid.NewGuid():N}.tflite");
        try
        {
            ModelWriter.WriteFile(SignatureModels.TwoSubgraphs("serving_default", "decode"), path);

            var e = Assert.Throws<TargetInvocationException>(() => Call<object?>("Open", path));

            Assert.IsInstanceOfType<InvalidOperationException>(e.InnerException);
            StringAssert.Contains(e.InnerException!.Message, "has no signature 'encode-v2'");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void SignaturesAreClosedWithTheWrapper()
    {
        var e = Assert.Throws<TargetInvocationException>(() => Call<object?>("AfterDispose"));

        Assert.IsInstanceOfType<ObjectDisposedException>(e.InnerException);
    }

    [TestMethod]
    public void DefaultSignatureKeepsTheWrappersOwnMembers()
    {
        var result = GeneratorHarness.Generate([TestCards.Named("signatures")]);
        var wrapper = result.Compilation.GetTypeByMetadataName("TestApp.TwoSignatures")!;

        CollectionAssert.AreEqual(new[] { "X", "Y" }, InstanceProperties(wrapper.GetTypeMembers("Inputs").Single()));
        CollectionAssert.AreEqual(new[] { "Sum" }, InstanceProperties(wrapper.GetTypeMembers("Outputs").Single()));
        var encode = wrapper.GetTypeMembers("EncodeV2Signature").Single();
        CollectionAssert.AreEqual(new[] { "Value" }, InstanceProperties(encode.GetTypeMembers("Inputs").Single()));
        CollectionAssert.AreEqual(new[] { "Scaled", "Doubled" }, InstanceProperties(encode.GetTypeMembers("Outputs").Single()));
        // Inputs in the signature's order, not the subgraph's.
        CollectionAssert.AreEqual(new[] { "Right", "Left" },
            InstanceProperties(wrapper.GetTypeMembers("ClassSignature").Single().GetTypeMembers("Inputs").Single()));
        foreach (var name in new[] { "Run", "Predict", "RunBatch", "PredictBatch", "Session", "Dispose" })
        {
            Assert.IsNotEmpty(encode.GetMembers(name), $"EncodeV2Signature.{name}");
        }
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation));
    }

    [TestMethod]
    public void SignatureKeysBecomeValidDistinctNames()
    {
        var result = GeneratorHarness.Generate([TestCards.Named("signature_keys")]);
        var wrapper = result.Compilation.GetTypeByMetadataName("TestApp.Keys")!;

        // encode-v2, encode_v2, class, Inputs (a generated type), 1st, "", Keys (the class), X (a tensor member)
        var properties = wrapper.GetMembers().OfType<IPropertySymbol>()
            .Where(p => !p.IsStatic && p.Type.Name.EndsWith("Signature", StringComparison.Ordinal)).Select(p => p.Name).ToArray();
        CollectionAssert.AreEqual(
            new[] { "EncodeV2", "EncodeV22", "Class", "Inputs2", "Signature1st", "Signature", "Keys2", "X2" }, properties);
        foreach (var p in properties)
        {
            Assert.HasCount(1, wrapper.GetTypeMembers(p + "Signature"), p);
        }
        CollectionAssert.AreEqual(new[] { "Y", "SignatureOf2" }, InstanceProperties(wrapper.GetTypeMembers("Outputs").Single()));
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation));
    }

    private static string[] InstanceProperties(INamedTypeSymbol type) =>
        type.GetMembers().OfType<IPropertySymbol>().Where(p => !p.IsStatic).Select(p => p.Name).ToArray();

    private static byte[] Bytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
