using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests;

[TestClass]
public sealed class GraphAlgorithmsTests
{
    /// <summary>input → RELU → a → ADD(a, weights) → output, plus a dead branch a → LOGISTIC → unused.</summary>
    private static (ModelGraph Model, Subgraph Graph) SmallGraph()
    {
        var model = new ModelGraph();
        var g = new Subgraph { Name = "main" };
        model.Subgraphs.Add(g);
        var input = g.AddTensor(new Tensor("input", TensorType.FLOAT32, [1, 4]));
        var a = g.AddTensor(new Tensor("a", TensorType.FLOAT32, [1, 4]));
        var weights = g.AddTensor(new Tensor("weights", TensorType.FLOAT32, [4]) { Data = new byte[16] });
        var output = g.AddTensor(new Tensor("output", TensorType.FLOAT32, [1, 4]));
        var unused = g.AddTensor(new Tensor("unused", TensorType.FLOAT32, [1, 4]));
        g.AddTensor(new Tensor("orphan", TensorType.FLOAT32, [3]));
        g.Inputs.Add(input);
        g.Outputs.Add(output);
        g.Operators.Add(Op(BuiltinOperator.RELU, [input], [a]));
        g.Operators.Add(Op(BuiltinOperator.ADD, [a, weights], [output]));
        g.Operators.Add(Op(BuiltinOperator.LOGISTIC, [a], [unused]));
        return (model, g);
    }

    private static Operator Op(BuiltinOperator code, Tensor[] inputs, Tensor[] outputs)
    {
        var op = new Operator(new OperatorCode(code));
        op.Inputs.AddRange(inputs);
        op.Outputs.AddRange(outputs);
        return op;
    }

    [TestMethod]
    public void ProducersAndConsumers()
    {
        var (_, g) = SmallGraph();
        var producers = GraphAlgorithms.Producers(g);
        var consumers = GraphAlgorithms.Consumers(g);
        Assert.AreSame(g.Operators[0], producers[g.FindTensor("a")!]);
        Assert.IsFalse(producers.ContainsKey(g.FindTensor("input")!));
        CollectionAssert.AreEqual(new[] { g.Operators[1], g.Operators[2] }, consumers[g.FindTensor("a")!]);
    }

    [TestMethod]
    public void TopologicalOrderFixesOperatorsStoredOutOfOrder()
    {
        var (_, g) = SmallGraph();
        var stored = g.Operators.ToList();
        Assert.IsTrue(stored.SequenceEqual(GraphAlgorithms.TopologicalOrder(g)), "a valid order is kept as is");
        g.Operators.Reverse();
        var order = GraphAlgorithms.TopologicalOrder(g);
        Assert.AreSame(stored[0], order[0], "RELU must run before its consumers");
        Assert.HasCount(3, order);
    }

    [TestMethod]
    public void CycleIsACodedErrorNamingTheOperator()
    {
        var (_, g) = SmallGraph();
        g.Operators[0].Inputs[0] = g.FindTensor("output"); // RELU now reads ADD's output, which reads RELU's.
        var e = Assert.ThrowsExactly<ModelFormatException>(() => GraphAlgorithms.TopologicalOrder(g));
        Assert.AreEqual(ModelErrorCodes.GraphCycle, e.Code);
        StringAssert.Contains(e.Message, "cycle");
        StringAssert.Contains(e.Message, "RELU");
    }

    [TestMethod]
    public void RemoveDeadCodeDropsUnusedBranchesAndTensors()
    {
        var (model, g) = SmallGraph();
        var removed = GraphAlgorithms.RemoveDeadCode(model);
        Assert.AreEqual((1, 2), removed);
        CollectionAssert.AreEqual(new[] { "RELU", "ADD" }, g.Operators.Select(o => o.Code.DisplayName).ToArray());
        CollectionAssert.AreEqual(new[] { "input", "a", "weights", "output" }, g.Tensors.Select(t => t.Name).ToArray());
        ModelValidator.Validate(model);
    }

    [TestMethod]
    public void DeduplicateBuffersMergesEqualWeightsAndTheWriterStoresThemOnce()
    {
        var (model, g) = SmallGraph();
        var second = g.AddTensor(new Tensor("weights2", TensorType.FLOAT32, [4]) { Data = new byte[16] });
        var output2 = g.AddTensor(new Tensor("output2", TensorType.FLOAT32, [1, 4]));
        g.Operators.Add(Op(BuiltinOperator.ADD, [g.FindTensor("a")!, second], [output2]));
        g.Outputs.Add(output2);
        var before = ModelWriter.ToBytes(model).Length;
        Assert.AreEqual(16, GraphAlgorithms.DeduplicateBuffers(model));
        var after = ModelWriter.ToBytes(model);
        Assert.IsLessThan(before, after.Length);
        var reread = ModelReader.Read(after);
        Assert.IsNull(ModelComparer.FirstDifference(model, reread));
    }

    [TestMethod]
    public void WriterRejectsAnOperatorUsingAForeignTensor()
    {
        var (model, g) = SmallGraph();
        g.Operators[1].Inputs[1] = new Tensor("stranger", TensorType.FLOAT32, [4]);
        var e = Assert.ThrowsExactly<ModelFormatException>(() => ModelWriter.ToBytes(model));
        Assert.AreEqual(ModelErrorCodes.InvalidGraph, e.Code);
        StringAssert.Contains(e.Message, "stranger");
    }

    [TestMethod]
    public void DeadCodeEliminationOnARealModelKeepsItIntact()
    {
        var model = ModelReader.ReadFile(Corpus.GetPath("face_detection_short_range"));
        var ops = model.Main.Operators.Count;
        var (removedOps, _) = GraphAlgorithms.RemoveDeadCode(model);
        Assert.AreEqual(0, removedOps);
        Assert.AreEqual(ops, model.Main.Operators.Count);
    }
}
