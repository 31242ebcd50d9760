using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Runtime.Tests.Session;

/// <summary>
/// Sessions on any signature of a model: the two-subgraph fixture (<see cref="SignatureModels"/>) run per signature in
/// LiteRT and in our runtime, names and order of each signature, unknown keys, and load-time validation of every
/// subgraph a signature reaches.
/// </summary>
[TestClass]
public sealed class SignatureTests
{
    [TestMethod]
    [DataRow("add")]
    [DataRow("mul")]
    public void EachSignatureMatchesLiteRt(string key)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mbt-signatures-{Guid.NewGuid():N}.tflite");
        try
        {
            ModelWriter.WriteFile(SignatureModels.TwoSubgraphs(), path);
            var info = Oracle.Info(path, key);
            var inputs = info.Inputs.Select((d, k) => MemoryMarshal.AsBytes(SeededInputs.Floats(10 + k, (int)d.ElementCount, -3, 3).AsSpan()).ToArray()).ToList();
            var expected = Oracle.Run(path, inputs, key);

            using var session = CompiledModel.Load(path).CreateSession(key);
            Assert.AreEqual(key, session.Model.SignatureKey);
            for (var k = 0; k < inputs.Count; k++)
            {
                // LiteRT names a signature's tensors by the signature's names: so do we.
                inputs[k].CopyTo(session.GetInputBytes(info.Inputs[k].Name));
            }
            session.Run();

            Assert.HasCount(expected.Outputs.Count, session.Outputs);
            foreach (var want in expected.Outputs)
            {
                var got = session.GetOutput<float>(want.Name).ToArray();
                CollectionAssert.AreEqual(want.Shape, session.Outputs[session.Model.FindOutput(want.Name)].Shape.ToArray(), want.Name);
                CollectionAssert.AreEqual(want.AsFloats(), got, $"signature '{key}' output '{want.Name}'");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void SignatureSessionsComputeTheirOwnSubgraph()
    {
        var model = CompiledModel.FromGraph(SignatureModels.TwoSubgraphs());
        CollectionAssert.AreEqual(new[] { "add", "mul" }, model.SignatureKeys.ToArray());

        using var add = model.CreateSession("add");
        float[] x = [1, 2, 3, 4];
        float[] y = [0.5f, -2, 10, 0];
        x.CopyTo(add.GetInput<float>("x"));
        y.CopyTo(add.GetInput<float>("y"));
        add.Run();
        CollectionAssert.AreEqual(new[] { 1.5f, 0, 13, 4 }, add.GetOutput<float>("sum").ToArray());

        using var mul = model.CreateSession("mul");
        Assert.AreEqual(1, mul.Model.SubgraphIndex);
        float[] value = [1, 2, 3, -4, 5, -6];
        value.CopyTo(mul.GetInput<float>("value"));
        mul.Run();
        var scaled = mul.GetOutput<float>("scaled").ToArray();
        for (var i = 0; i < value.Length; i++)
        {
            Assert.AreEqual(value[i] * SignatureModels.Factors[i % 3], scaled[i]);
            Assert.AreEqual(2 * scaled[i], mul.GetOutput<float>("doubled")[i]);
        }
    }

    [TestMethod]
    public void SessionOptionsOpenASignatureOrASubgraph()
    {
        var bytes = ModelWriter.ToBytes(SignatureModels.TwoSubgraphs());
        using var bySignature = ModelSession.Load(bytes, new SessionOptions { Signature = "mul" });
        Assert.AreEqual("mul", bySignature.Model.SignatureKey);
        CollectionAssert.AreEqual(new[] { 2, 3 }, bySignature.Inputs[0].Shape.ToArray());

        var model = CompiledModel.Load(bytes);
        using var bySubgraph = model.CreateSession(new SessionOptions { Subgraph = 1 });
        Assert.AreEqual(1, bySubgraph.Model.SubgraphIndex);
        Assert.IsNull(bySubgraph.Model.SignatureKey);
        // A subgraph opened by index answers to its tensor names.
        Assert.AreEqual(0, bySubgraph.Model.FindInput("mul/value:0"));
        Assert.AreEqual(1, bySubgraph.Model.FindOutput("mul/doubled"));

        Assert.Throws<ArgumentException>(() => model.CreateSession(new SessionOptions { Signature = "mul", Subgraph = 1 }));
        var missing = Assert.ThrowsExactly<ModelRuntimeException>(() => model.GetSubgraph(7));
        Assert.AreEqual(RuntimeErrorCodes.UnknownSignature, missing.Code);

        // Any subgraph can be prepared as the entry point, by index.
        var second = CompiledModel.FromGraph(SignatureModels.TwoSubgraphs(), 1);
        Assert.AreEqual(1, second.SubgraphIndex);
        Assert.AreEqual("mul/value:0", second.Inputs[0].Name);
        Assert.AreEqual("add", second.GetSignature("add").SignatureKey, "signatures stay reachable");
        var outOfRange = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.FromGraph(SignatureModels.TwoSubgraphs(), 2));
        Assert.AreEqual(RuntimeErrorCodes.UnknownSignature, outOfRange.Code);
        StringAssert.Contains(outOfRange.Message, "the model has 2 subgraph(s)");
    }

    [TestMethod]
    public void DefaultEntryIsTheMainSubgraphUnderItsFirstSignaturesNames()
    {
        var model = CompiledModel.FromGraph(SignatureModels.TwoSubgraphs());

        Assert.AreEqual(0, model.SubgraphIndex);
        Assert.IsNull(model.SignatureKey);
        Assert.AreEqual("add/x:0", model.Inputs[0].Name);
        Assert.IsNull(model.Inputs[0].SignatureName);
        Assert.AreEqual(0, model.FindInput("x"));
        Assert.AreEqual(1, model.FindInput("add/y:0"));
        Assert.AreEqual(0, model.FindOutput("sum"));
        Assert.AreSame(model, model.GetSubgraph(0));
    }

    [TestMethod]
    public void SignatureOrderAndNamesWinOverTheSubgraphs()
    {
        // "swapped" lists subgraph 0's inputs in the other order under other names.
        var model = CompiledModel.FromGraph(SignatureModels.TwoSubgraphs(thirdKey: "swapped"));
        var swapped = model.GetSignature("swapped");

        Assert.AreEqual("right", swapped.Inputs[0].SignatureName);
        Assert.AreEqual("add/y:0", swapped.Inputs[0].Name);
        Assert.AreEqual("left", swapped.Inputs[1].SignatureName);
        Assert.AreEqual(0, swapped.FindInput("right"));
        Assert.AreEqual(-1, swapped.FindInput("x"), "another signature's names do not leak in");
        Assert.AreEqual(0, swapped.FindInput("add/y:0"), "tensor names still work");
        // Both signatures on subgraph 0 share one preparation: the same weights and plan.
        Assert.AreEqual(model.GetSignature("add").PeakActivationBytes, swapped.PeakActivationBytes);

        using var session = swapped.CreateSession();
        float[] left = [1, 2, 3, 4];
        float[] right = [10, 20, 30, 40];
        left.CopyTo(session.GetInput<float>(1));
        right.CopyTo(session.GetInput<float>(0));
        session.Run();
        CollectionAssert.AreEqual(new[] { 11f, 22, 33, 44 }, session.GetOutput<float>("total").ToArray());
        StringAssert.Contains(session.Inputs[0].ToString(), "'right' (tensor 'add/y:0')");
    }

    [TestMethod]
    public void UnknownSignatureNamesTheKeyAndTheKeysThatExist()
    {
        var model = CompiledModel.FromGraph(SignatureModels.TwoSubgraphs(addKey: "serving_default", mulKey: "encode-v2"));

        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => model.CreateSession("decode"));
        Assert.AreEqual(RuntimeErrorCodes.UnknownSignature, e.Code);
        StringAssert.Contains(e.Message, "'decode'");
        StringAssert.Contains(e.Message, "'serving_default', 'encode-v2'");

        var viaOptions = Assert.ThrowsExactly<ModelRuntimeException>(() => new ModelSession(model, new SessionOptions { Signature = "Serving_Default" }));
        Assert.AreEqual(RuntimeErrorCodes.UnknownSignature, viaOptions.Code, "keys are case-sensitive, as in TFLite");

        var plain = CompiledModel.FromGraph(TinyModels.AddThenSquare());
        Assert.IsEmpty(plain.SignatureKeys);
        StringAssert.Contains(Assert.ThrowsExactly<ModelRuntimeException>(() => plain.GetSignature("add")).Message, "defines no signatures");
    }

    [TestMethod]
    public void UnknownTensorNameInASignatureListsItsNames()
    {
        using var session = CompiledModel.FromGraph(SignatureModels.TwoSubgraphs()).CreateSession("mul");
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => session.GetOutput<float>("sum"));
        Assert.AreEqual(RuntimeErrorCodes.UnknownTensor, e.Code);
        StringAssert.Contains(e.Message, "in signature 'mul'");
        StringAssert.Contains(e.Message, "scaled, doubled");
    }

    [TestMethod]
    public void UnsupportedOperatorInASignaturesSubgraphFailsAtLoad()
    {
        var graph = SignatureModels.TwoSubgraphs();
        // The second subgraph's ADD becomes an operator this runtime does not have.
        graph.Subgraphs[1].Operators[1].Code = new OperatorCode(BuiltinOperator.CUSTOM, "MyOp");
        var path = Path.Combine(Path.GetTempPath(), $"mbt-signatures-{Guid.NewGuid():N}.tflite");
        try
        {
            ModelWriter.WriteFile(graph, path);
            var e = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.Load(path));
            Assert.AreEqual(RuntimeErrorCodes.UnsupportedOperator, e.Code);
            StringAssert.Contains(e.Message, "subgraph 1 (signature 'mul')");
            StringAssert.Contains(e.Message, "MyOp");
            Assert.AreEqual(1, e.OperatorIndex);
            Assert.AreEqual(path, e.FilePath);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void SignatureOnANonInputTensorIsACodedError()
    {
        var graph = SignatureModels.TwoSubgraphs();
        var add = graph.Signatures[0];
        add.Inputs[1] = new SignatureTensor("y", add.Subgraph.Outputs[0]);

        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.FromGraph(graph));
        Assert.AreEqual(RuntimeErrorCodes.UnsupportedModel, e.Code);
        StringAssert.Contains(e.Message, "signature 'add' input 'y'");
    }

    [TestMethod]
    public void SignatureOutputThatTheSubgraphDoesNotListStaysReadable()
    {
        // first = x + 1; second = first · 2; last = second + 3. Only "last" is a subgraph output: without the
        // signature, "last" could take the memory of "first", which is dead by then.
        var m = new Ops.SingleOpModel();
        var x = m.Input([1, 8]);
        var first = m.Intermediate([1, 8]);
        var second = m.Intermediate([1, 8]);
        var last = m.Output([1, 8]);
        var add = BuiltinOptionsUnion.FromAddOptions(new AddOptionsT());
        m.Op(BuiltinOperator.ADD, add, [x, m.Const([1], [1f])], first);
        m.Op(BuiltinOperator.MUL, BuiltinOptionsUnion.FromMulOptions(new MulOptionsT()), [first, m.Const([1], [2f])], second);
        m.Op(BuiltinOperator.ADD, add, [second, m.Const([1], [3f])], last);
        var chain = new SignatureDef("chain", m.Graph.Subgraphs[0]);
        chain.Inputs.Add(new SignatureTensor("x", x));
        chain.Outputs.AddRange([new SignatureTensor("first", first), new SignatureTensor("last", last)]);
        m.Graph.Signatures.Add(chain);

        using var session = CompiledModel.FromGraph(m.Graph).CreateSession("chain");
        float[] values = [0, 1, 2, 3, 4, 5, 6, 7];
        values.CopyTo(session.GetInput<float>("x"));
        session.Run();

        var firstValues = session.GetOutput<float>("first").ToArray();
        var lastValues = session.GetOutput<float>("last").ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            Assert.AreEqual(values[i] + 1, firstValues[i], $"first[{i}]");
            Assert.AreEqual((values[i] + 1) * 2 + 3, lastValues[i], $"last[{i}]");
        }
    }

    [TestMethod]
    public void SignatureRunAllocatesNothing()
    {
        using var session = CompiledModel.FromGraph(SignatureModels.TwoSubgraphs()).CreateSession("mul");
        var input = session.GetInput<float>("value");
        input.Fill(1.5f);
        Assert.AreEqual(0L, TestSupport.Allocations.Fewest(session.Run));
        Assert.AreEqual(3f, session.GetOutput<float>(0)[0]);
    }
}
