using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.RuntimeAgreement;

/// <summary>
/// int16 MEAN is bit-exact with LiteRT on every path of TFLite's reference kernel, not only the global pooling of
/// the corpus models: keep_dims over axes 1 and 2 (rescale, then divide rounding), any other axes (1/n folded into
/// the fixed-point multiplier), and equal input and output quantization (no shortcut in LiteRT's TFLite: the same
/// folded multiplier).
/// </summary>
[TestClass]
public sealed class Int16MeanTests
{
    [TestMethod]
    public void EveryInt16MeanPathIsBitExact()
    {
        var graph = new ModelGraph();
        var main = new Subgraph { Name = "main" };
        graph.Subgraphs.Add(main);
        var x = new Tensor("x", TensorType.INT16, [2, 5, 6, 7]) { Quantization = TensorQuantization.PerTensor(0.0004f, 0) };
        main.Tensors.Add(x);
        main.Inputs.Add(x);
        var cases = new (float OutScale, int[] Axes, bool KeepDims)[]
        {
            (0.0002f, [1, 2], true),   // spatial path
            (0.0004f, [1, 2], false),  // equal quantization
            (0.0003f, [-1], false),
            (0.00013f, [0, 2], true),
            (0.0004f, [3], true),      // equal quantization, keep_dims
        };
        foreach (var (outScale, axes, keep) in cases)
        {
            var shape = x.Shape.Select((d, i) => axes.Any(a => (a + 4) % 4 == i) ? (keep ? 1 : 0) : d).Where(d => d != 0).ToArray();
            var axisTensor = new Tensor($"axes_{main.Outputs.Count}", TensorType.INT32, [axes.Length])
            {
                Data = MemoryMarshal.AsBytes(axes.AsSpan()).ToArray(),
            };
            var y = new Tensor($"mean_{main.Outputs.Count}", TensorType.INT16, shape) { Quantization = TensorQuantization.PerTensor(outScale, 0) };
            main.Tensors.Add(axisTensor);
            main.Tensors.Add(y);
            main.Outputs.Add(y);
            var op = new Operator(new OperatorCode(BuiltinOperator.MEAN, null, 3))
            {
                Options = BuiltinOptionsUnion.FromReducerOptions(new ReducerOptionsT { KeepDims = keep }),
            };
            op.Inputs.AddRange([x, axisTensor]);
            op.Outputs.Add(y);
            main.Operators.Add(op);
        }
        var signature = new SignatureDef("serving_default", main);
        signature.Inputs.Add(new SignatureTensor(x.Name, x));
        signature.Outputs.AddRange(main.Outputs.Select(t => new SignatureTensor(t.Name, t)));
        graph.Signatures.Add(signature);
        var bytes = ModelWriter.ToBytes(graph);

        var random = new Random(7);
        var input = new short[x.ElementCount];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (short)random.Next(short.MinValue, short.MaxValue + 1);
        }
        var inputBytes = MemoryMarshal.AsBytes(input.AsSpan()).ToArray();

        using var temp = new TempFolder();
        var path = temp.File("mean16.tflite");
        File.WriteAllBytes(path, bytes);
        var expected = Oracle.Run(path, [inputBytes]);
        using var session = ModelSession.Load(bytes);
        inputBytes.CopyTo(session.GetInputBytes(0));
        session.Run();
        Assert.HasCount(cases.Length, expected.Outputs);
        for (var o = 0; o < cases.Length; o++)
        {
            var name = main.Outputs[o].Name;
            var want = MemoryMarshal.Cast<byte, short>(expected.Outputs.Single(t => t.Name == name).Data).ToArray();
            var index = session.Outputs.Select(t => t.Name).ToList().IndexOf(name);
            var got = MemoryMarshal.Cast<byte, short>(session.GetOutputBytes(index)).ToArray();
            var c = cases[o];
            CollectionAssert.AreEqual(want, got, $"MEAN axes [{string.Join(",", c.Axes)}] keep_dims={c.KeepDims} scale 0.0004 → {c.OutScale}");
        }
    }
}
