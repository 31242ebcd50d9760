using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Session;

/// <summary>Loading, named tensors, zero-allocation runs, determinism, threads and the memory plan.</summary>
[TestClass]
public sealed class SessionApiTests
{
    private const string SmallModel = "face_detection_short_range";

    [TestMethod]
    public void PathBytesAndStreamLoadTheSameModel()
    {
        var path = TestSupport.Corpus.GetPath(SmallModel);
        var bytes = File.ReadAllBytes(path);
        using var fromPath = ModelSession.Load(path);
        using var fromBytes = ModelSession.Load(bytes);
        using var stream = File.OpenRead(path);
        using var fromStream = ModelSession.Load(stream);

        var expected = RunSeeded(fromPath);
        CollectionAssert.AreEqual(expected, RunSeeded(fromBytes));
        CollectionAssert.AreEqual(expected, RunSeeded(fromStream));
    }

    [TestMethod]
    public void InputsAndOutputsAreReachableByName()
    {
        using var session = ModelSession.Load(ModelWriter.ToBytes(TinyModels.AddThenSquare()));
        Assert.AreEqual("in0", session.Inputs[0].Name);
        CollectionAssert.AreEqual(new[] { 1, 4 }, session.Outputs[0].Shape.ToArray());
        float[] x = [1f, 2f, 3f, -4f];
        x.CopyTo(session.GetInput<float>("in0"));
        session.Run();
        var y = session.GetOutput<float>("out0").ToArray();
        for (var i = 0; i < 4; i++)
        {
            var t = x[i] + TinyModels.Offsets[i];
            Assert.AreEqual(t * t, y[i]);
        }
        CollectionAssert.AreEqual(y, session.GetOutput<float>(0).ToArray());
    }

    [TestMethod]
    public void UnknownNamesAndWrongTypesAreCodedErrors()
    {
        using var session = ModelSession.Load(ModelWriter.ToBytes(TinyModels.AddThenSquare()));
        var unknown = Assert.ThrowsExactly<ModelRuntimeException>(() => session.GetInput<float>("image"));
        Assert.AreEqual(RuntimeErrorCodes.UnknownTensor, unknown.Code);
        StringAssert.Contains(unknown.Message, "in0", "the message lists the inputs there are");
        Assert.AreEqual(RuntimeErrorCodes.UnknownTensor, Assert.ThrowsExactly<ModelRuntimeException>(() => session.GetOutput<float>(1)).Code);
        Assert.AreEqual(RuntimeErrorCodes.TypeMismatch, Assert.ThrowsExactly<ModelRuntimeException>(() => session.GetInput<int>(0)).Code);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void RunAllocatesNothing(int threads)
    {
        using var session = ModelSession.Load(TestSupport.Corpus.GetPath(SmallModel), new SessionOptions { Threads = threads });
        session.GetInput<float>(0).Fill(0.5f);
        Assert.AreEqual(0L, TestSupport.Allocations.Fewest(session.Run));
    }

    [TestMethod]
    public void ResultsAreBitIdenticalAcrossRunsThreadsAndSessions()
    {
        var model = CompiledModel.Load(TestSupport.Corpus.GetPath("hand_landmark_lite"));
        using var one = model.CreateSession();
        using var two = model.CreateSession(new SessionOptions { Threads = 2 });
        var first = RunSeeded(one);
        CollectionAssert.AreEqual(first, RunSeeded(one), "same session, second run");
        CollectionAssert.AreEqual(first, RunSeeded(two), "two threads");

        // Sessions of one model on two threads at once (documented: one session per thread).
        var results = new byte[2][];
        Parallel.For(0, 2, i =>
        {
            using var s = model.CreateSession();
            results[i] = RunSeeded(s);
        });
        CollectionAssert.AreEqual(first, results[0]);
        CollectionAssert.AreEqual(first, results[1]);
    }

    [TestMethod]
    public void MemoryPlanReusesActivationBuffers()
    {
        var model = CompiledModel.Load(TestSupport.Corpus.GetPath(SmallModel));
        using var session = model.CreateSession();
        var sizes = new ActivationSizes();
        session.Observer = sizes;
        session.Run();
        var all = sizes.Total + model.Inputs.Sum(i => i.ByteLength);
        Assert.IsGreaterThanOrEqualTo(sizes.Largest, model.PeakActivationBytes);
        Assert.IsLessThan(all / 2, model.PeakActivationBytes, $"peak {model.PeakActivationBytes} of {all} bytes of activations");
    }

    [TestMethod]
    public void DisposedSessionRefusesToRun()
    {
        var session = ModelSession.Load(ModelWriter.ToBytes(TinyModels.AddThenSquare()));
        session.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(session.Run);
    }

    private static byte[] RunSeeded(ModelSession session)
    {
        var inputs = SeededInputs.Generate(3, session.Inputs.Select(i => ("float32", i.ElementCount)).ToList());
        for (var i = 0; i < inputs.Count; i++)
        {
            inputs[i].CopyTo(session.GetInputBytes(i));
        }
        session.Run();
        var all = new List<byte>();
        for (var i = 0; i < session.Outputs.Count; i++)
        {
            all.AddRange(session.GetOutputBytes(i).ToArray());
        }
        return all.ToArray();
    }

    private sealed class ActivationSizes : IOperatorObserver
    {
        public long Total { get; private set; }

        public long Largest { get; private set; }

        public void OnOperatorExecuted(in ObservedOperator op)
        {
            for (var i = 0; i < op.OutputCount; i++)
            {
                var bytes = op.GetOutputDescriptor(i)?.ByteLength ?? 0;
                Total += bytes;
                Largest = Math.Max(Largest, bytes);
            }
        }
    }
}
