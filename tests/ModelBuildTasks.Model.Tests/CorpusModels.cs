using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests;

/// <summary>Data rows for tests that run once per corpus model.</summary>
internal static class CorpusModels
{
    public static IEnumerable<object[]> Names => Corpus.Models.Select(m => new object[] { m.Name });
}
