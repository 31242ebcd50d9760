using System.Runtime.InteropServices;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Session;

/// <summary>The observer hook gives calibration and per-layer error reports every intermediate tensor, in place.</summary>
[TestClass]
public sealed class ObserverTests
{
    [TestMethod]
    public void SeesEveryIntermediateValueInExecutionOrder()
    {
        using var session = ModelSession.Load(ModelWriter.ToBytes(TinyModels.AddThenSquare()));
        var log = new Recorder();
        session.Observer = log;
        float[] x = [3f, 1f, -0.5f, -4f];
        x.CopyTo(session.GetInput<float>(0));
        session.Run();

        CollectionAssert.AreEqual(new[] { BuiltinOperator.ADD, BuiltinOperator.MUL }, log.Codes);
        CollectionAssert.AreEqual(new[] { 0, 1 }, log.Positions);
        CollectionAssert.AreEqual(new[] { 4f, -1f, 0f, 0f }, log.Values[0], "the intermediate t = x + offsets");
        CollectionAssert.AreEqual(new[] { 16f, 1f, 0f, 0f }, log.Values[1]);
        Assert.AreEqual("out0", log.Names[1]);
    }

    [TestMethod]
    public void CalibrationStatisticsWithoutCopiesOrAllocation()
    {
        var model = CompiledModel.Load(TestSupport.Corpus.GetPath("face_detection_short_range"));
        using var session = model.CreateSession();
        var stats = new MinMax(model.ExecutedOperators.Count);
        session.Observer = stats;
        session.GetInput<float>(0).Fill(0.25f);
        session.Run();

        Assert.AreEqual(model.ExecutedOperators.Count, stats.Calls);
        // The last operators write the model outputs: their statistics equal the outputs' own.
        var output = session.GetOutput<float>(0);
        var lastWriter = stats.PositionOf(session.Outputs[0].Index);
        Assert.AreEqual(Address(output), stats.Addresses[lastWriter], "the observer sees the session's own buffer, not a copy");
        Assert.AreEqual(TensorMin(output), stats.Min[lastWriter]);
        Assert.AreEqual(TensorMax(output), stats.Max[lastWriter]);

        Assert.AreEqual(0L, TestSupport.Allocations.Fewest(session.Run), "an allocation-free observer keeps Run allocation-free");
    }

    [TestMethod]
    public void PerLayerErrorBetweenTwoModelsIsVisible()
    {
        // The same graph with the ADD constant perturbed: the per-layer error appears at the ADD and propagates.
        var reference = TinyModels.AddThenSquare();
        var changed = TinyModels.AddThenSquare();
        var offsets = changed.Main.Operators[0].Inputs[1]!;
        float[] perturbed = [1f, -2f, 0.5f, 4.5f];
        offsets.Data = MemoryMarshal.AsBytes(perturbed.AsSpan()).ToArray();

        var a = Capture(reference);
        var b = Capture(changed);
        Assert.HasCount(2, a);
        Assert.AreEqual(0f, MaxDiff(a[0], b[0]) - 0.5f, "ADD output differs by the perturbation");
        Assert.IsGreaterThan(0.5f, MaxDiff(a[1], b[1]));
    }

    private static List<float[]> Capture(Model.ModelGraph graph)
    {
        using var session = ModelSession.Load(ModelWriter.ToBytes(graph));
        var log = new Recorder();
        session.Observer = log;
        float[] x = [1f, 2f, 3f, 4f];
        x.CopyTo(session.GetInput<float>(0));
        session.Run();
        return log.Values;
    }

    private static float MaxDiff(float[] a, float[] b)
    {
        var max = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }
        return max;
    }

    private static float TensorMin(ReadOnlySpan<float> s)
    {
        var m = float.PositiveInfinity;
        foreach (var v in s)
        {
            m = Math.Min(m, v);
        }
        return m;
    }

    private static float TensorMax(ReadOnlySpan<float> s)
    {
        var m = float.NegativeInfinity;
        foreach (var v in s)
        {
            m = Math.Max(m, v);
        }
        return m;
    }

    private sealed class Recorder : IOperatorObserver
    {
        public List<BuiltinOperator> Codes { get; } = [];

        public List<int> Positions { get; } = [];

        public List<string> Names { get; } = [];

        public List<float[]> Values { get; } = [];

        public void OnOperatorExecuted(in ObservedOperator op)
        {
            Codes.Add(op.Code.Builtin);
            Positions.Add(op.Position);
            Names.Add(op.GetOutputDescriptor(0)!.Name);
            Values.Add(op.GetOutput<float>(0).ToArray());
        }
    }

    /// <summary>Per-operator min/max of the first output, as calibration collects them; allocates nothing per run.</summary>
    private sealed unsafe class MinMax(int operators) : IOperatorObserver
    {
        private readonly int[] tensorOf = new int[operators];

        public float[] Min { get; } = new float[operators];

        public float[] Max { get; } = new float[operators];

        public int Calls { get; private set; }

        public nint[] Addresses { get; } = new nint[operators];

        public int PositionOf(int tensor) => Array.LastIndexOf(tensorOf, tensor);

        public void OnOperatorExecuted(in ObservedOperator op)
        {
            Calls++;
            var d = op.GetOutputDescriptor(0)!;
            tensorOf[op.Position] = d.Index;
            if (d.Type != TensorType.FLOAT32)
            {
                return;
            }
            var values = op.GetOutput<float>(0);
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            foreach (var v in values)
            {
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
            Min[op.Position] = lo;
            Max[op.Position] = hi;
            Addresses[op.Position] = Address(values);
        }
    }

    private static unsafe nint Address(ReadOnlySpan<float> values)
    {
        fixed (float* p = values)
        {
            return (nint)p;
        }
    }
}
