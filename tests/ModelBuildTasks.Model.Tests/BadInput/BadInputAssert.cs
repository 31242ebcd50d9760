using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests.BadInput;

/// <summary>Checks the reader's contract for bad input: exactly a ModelFormatException, with the right code and a message
/// that says what is wrong and where, quickly, whether read from a file or from memory.</summary>
internal static class BadInputAssert
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads <paramref name="bytes"/> through <see cref="ModelReader.ReadFile"/> (as <paramref name="fileName"/>) and
    /// through <see cref="ModelReader.Read(ReadOnlyMemory{byte}, string?)"/>; both must fail the same way, and the
    /// file read's message must name the file and contain every fragment.
    /// </summary>
    public static ModelFormatException Fails(byte[] bytes, string code, string fileName, params string[] fragments)
    {
        using var temp = new TempFolder();
        var path = temp.File(fileName);
        File.WriteAllBytes(path, bytes);
        var e = Throws(() => ModelReader.ReadFile(path), fileName);
        Assert.AreEqual(code, e.Code, e.Message);
        Assert.AreEqual(path, e.FilePath);
        Assert.Contains(path, e.Message);
        Assert.StartsWith($"{code}: ", e.Message);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, e.Message, $"the message should say '{fragment}': {e.Message}");
        }

        var fromMemory = Throws(() => ModelReader.Read(bytes), fileName);
        Assert.AreEqual(e.Code, fromMemory.Code, fromMemory.Message);
        Assert.AreEqual(e.Detail, fromMemory.Detail);
        Assert.IsNull(fromMemory.FilePath);
        return e;
    }

    /// <summary>Runs <paramref name="read"/> with a time limit; it must throw exactly a ModelFormatException.</summary>
    public static ModelFormatException Throws(Func<ModelGraph> read, string what)
    {
        var task = Task.Run(read);
        try
        {
            if (!task.Wait(Limit))
            {
                Assert.Fail($"{what}: reading did not finish within {Limit.TotalSeconds} s (hang)");
            }
        }
        catch (AggregateException e) when (e.InnerException is { } inner)
        {
            if (inner.GetType() != typeof(ModelFormatException))
            {
                Assert.Fail($"{what}: expected exactly ModelFormatException, got {inner}");
            }
            return (ModelFormatException)inner;
        }
        Assert.Fail($"{what}: the bad input was read without error");
        throw new InvalidOperationException("unreachable");
    }
}
