using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Tests.Ops;

namespace ModelBuildTasks.Runtime.Tests.Session;

/// <summary>Models the runtime cannot execute fail at load with a coded error naming the file, operator and types.</summary>
[TestClass]
public sealed class LoadErrorTests
{
    [TestMethod]
    [DataRow(BuiltinOperator.CUMSUM, null, "CUMSUM")]
    [DataRow(BuiltinOperator.CUSTOM, "MyCustomOp", "MyCustomOp")]
    public void UnsupportedOperatorFailsAtLoadNamingOpIndexAndTypes(BuiltinOperator builtin, string? custom, string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mbt-unsupported-{Guid.NewGuid():N}.tflite");
        ModelWriter.WriteFile(TinyModels.WithUnsupported(new OperatorCode(builtin, custom)), path);
        try
        {
            var e = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.Load(path));
            Assert.AreEqual(RuntimeErrorCodes.UnsupportedOperator, e.Code);
            Assert.AreEqual(1, e.OperatorIndex);
            Assert.AreEqual(path, e.FilePath);
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "operator 1");
            StringAssert.Contains(e.Message, name);
            StringAssert.Contains(e.Message, "[float32] -> [float32]");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void UnsupportedOutputTypeNamesTheType()
    {
        var m = new SingleOpModel();
        var x = m.Input([2, 3], TensorType.INT32);
        m.Op(BuiltinOperator.LOGISTIC, null, [x], m.Output([2, 3], TensorType.INT32));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.Load(ModelWriter.ToBytes(m.Graph)));
        Assert.AreEqual(RuntimeErrorCodes.UnsupportedOperator, e.Code);
        StringAssert.Contains(e.Message, "int32");
    }

    [TestMethod]
    public void InconsistentShapesAreInvalidOperators()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 5, 5, 3]);
        // Weights with 4 input channels for a 3-channel input.
        m.Op(BuiltinOperator.CONV_2D, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT { StrideH = 1, StrideW = 1 }),
            [x, m.Weights([2, 3, 3, 4]), m.Weights([2])], m.Output([1, 5, 5, 2]));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.Load(ModelWriter.ToBytes(m.Graph)));
        Assert.AreEqual(RuntimeErrorCodes.InvalidOperator, e.Code);
        Assert.AreEqual(0, e.OperatorIndex);
    }

    [TestMethod]
    public void WrongRankDeepInAKernelIsACodedError()
    {
        var m = new SingleOpModel();
        var x = m.Input([5, 3]);
        m.Op(BuiltinOperator.MAX_POOL_2D, BuiltinOptionsUnion.FromPool2DOptions(new Pool2DOptionsT { FilterHeight = 2, FilterWidth = 2, StrideH = 1, StrideW = 1 }),
            [x], m.Output([4, 2]));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.Load(ModelWriter.ToBytes(m.Graph)));
        Assert.AreEqual(RuntimeErrorCodes.InvalidOperator, e.Code);
    }

    [TestMethod]
    public void ActivationsBeyondTwoGigabytesAreRefusedAtLoad()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 32768, 32768, 1]);
        m.Op(BuiltinOperator.RELU, null, [x], m.Output([1, 32768, 32768, 1]));
        var e = Assert.ThrowsExactly<ModelRuntimeException>(() => CompiledModel.Load(ModelWriter.ToBytes(m.Graph)));
        Assert.AreEqual(RuntimeErrorCodes.UnsupportedModel, e.Code);
        StringAssert.Contains(e.Message, "2 GB");
    }

    [TestMethod]
    public void CorruptFilesAreModelFormatErrors()
    {
        var good = ModelWriter.ToBytes(TinyModels.AddThenSquare());
        var truncated = good.AsMemory(0, good.Length / 2);
        var e1 = Assert.Throws<ModelFormatException>(() => CompiledModel.Load(truncated));
        StringAssert.StartsWith(e1.Code, "MBT1");

        var garbage = new byte[256];
        new Random(5).NextBytes(garbage);
        var e2 = Assert.Throws<ModelFormatException>(() => CompiledModel.Load(garbage));
        StringAssert.StartsWith(e2.Code, "MBT1");

        var path = Path.Combine(Path.GetTempPath(), $"mbt-missing-{Guid.NewGuid():N}.tflite");
        var e3 = Assert.Throws<ModelFormatException>(() => ModelSession.Load(path));
        Assert.AreEqual("MBT1001", e3.Code);
        StringAssert.Contains(e3.Message, path);
    }

    [TestMethod]
    public void GatherIndexOutOfRangeFailsTheRunWithACode()
    {
        var m = new SingleOpModel();
        var x = m.Input([4, 2]);
        var indices = m.Input([2], TensorType.INT32);
        m.Op(BuiltinOperator.GATHER, BuiltinOptionsUnion.FromGatherOptions(new GatherOptionsT()), [x, indices], m.Output([2, 2]));
        using var session = ModelSession.Load(ModelWriter.ToBytes(m.Graph));
        session.GetInput<int>(1)[0] = 7;
        var e = Assert.ThrowsExactly<ModelRuntimeException>(session.Run);
        Assert.AreEqual(RuntimeErrorCodes.InvalidInputData, e.Code);
    }
}
