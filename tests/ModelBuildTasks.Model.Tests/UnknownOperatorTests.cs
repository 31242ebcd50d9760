using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Model.Tests.BadInput;

namespace ModelBuildTasks.Model.Tests;

/// <summary>Operators newer than our schema (builtin codes we have no name for) are carried through unchanged.</summary>
[TestClass]
public sealed class UnknownOperatorTests
{
    [TestMethod]
    public void BuiltinCodeNewerThanTheSchemaSurvivesARoundTrip()
    {
        var model = BadModels.BaselineGraph();
        var future = (BuiltinOperator)4242;
        Assert.IsFalse(Enum.IsDefined(future), "the test needs a code the schema does not name");
        var op = model.Main.Operators[1];
        op.Code = new OperatorCode(future, Version: 7);
        op.Options = null;
        op.CustomOptions = new byte[] { 9, 8, 7 };

        var bytes = ModelWriter.ToBytes(model);
        var reread = ModelReader.Read(bytes);
        Assert.IsNull(ModelComparer.FirstDifference(model, reread));
        Assert.AreEqual(future, reread.Main.Operators[1].Code.Builtin);
        Assert.AreEqual(7, reread.Main.Operators[1].Code.Version);
        CollectionAssert.AreEqual(new byte[] { 9, 8, 7 }, reread.Main.Operators[1].CustomOptions.ToArray());

        // In the file: builtin_code holds the code, deprecated_builtin_code the int8 placeholder old runtimes expect.
        var code = ModelT.DeserializeFromBinary(bytes).OperatorCodes.Single(c => c.BuiltinCode == future);
        Assert.AreEqual(127, code.DeprecatedBuiltinCode);
        CollectionAssert.AreEqual(bytes, ModelWriter.ToBytes(reread), "writing what was read gives the same bytes");
    }
}
