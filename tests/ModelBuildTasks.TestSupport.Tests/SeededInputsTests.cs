namespace ModelBuildTasks.TestSupport.Tests;

[TestClass]
public sealed class SeededInputsTests
{
    // Expected values were computed once with a JavaScript mulberry32 written from the oracle README.
    [TestMethod]
    public void Mulberry32MatchesTheJavaScriptStream()
    {
        var r = new Mulberry32(42);
        CollectionAssert.AreEqual(new uint[] { 2581720956, 1925393290, 3661312704, 2876485805 }, new[] { r.Next(), r.Next(), r.Next(), r.Next() });
        var n = new Mulberry32(-5);
        CollectionAssert.AreEqual(new uint[] { 2078107854, 227493659, 4033117029 }, new[] { n.Next(), n.Next(), n.Next() });
    }

    [TestMethod]
    public void FloatsUseTheTop24BitsScaledIntoTheRange()
    {
        var bytes = SeededInputs.Generate(1, [("float32", 3L)], lo: -1, hi: 1)[0];
        Assert.AreEqual("a81f823e6e997ebf80d8603d", Convert.ToHexStringLower(bytes));
        CollectionAssert.AreEqual(new[] { 0.2541477680206299f, -0.9945286512374878f, 0.05489397048950195f }, SeededInputs.Floats(1, 3, -1, 1));
    }

    [TestMethod]
    public void OneStreamIsSharedByAllInputsInOrderForEveryDtype()
    {
        var inputs = SeededInputs.Generate(
            123,
            [("int8", 2L), ("int16", 2L), ("int32", 1L), ("int64", 1L), ("bool", 3L), ("uint8", 2L), ("float64", 1L)]);
        CollectionAssert.AreEqual(
            new[] { "49ad", "ccfe3abb", "60000000", "d500000000000000", "010101", "689d", "000000402fb4ef3f" },
            inputs.Select(Convert.ToHexStringLower).ToArray());
    }

    [TestMethod]
    public void DescriptionsGiveOneArrayOfTheirByteSizeEach()
    {
        OracleTensorInfo[] infos = [new(0, "a", "float32", [1, 2, 3], 24), new(1, "b", "uint8", [5], 5)];
        var inputs = SeededInputs.Generate(7, infos);
        Assert.HasCount(2, inputs);
        Assert.HasCount(24, inputs[0]);
        Assert.HasCount(5, inputs[1]);
        CollectionAssert.AreEqual(inputs[0], SeededInputs.Generate(7, infos)[0]);
        CollectionAssert.AreNotEqual(inputs[0], SeededInputs.Generate(8, infos)[0]);
    }

    [TestMethod]
    public void DtypeWithoutARuleIsNotSupported()
    {
        Assert.ThrowsExactly<NotSupportedException>(() => SeededInputs.Generate(0, [("float16", 4L)]));
    }
}
