using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ModelBuildTasks.Generator.Tests.Harness;

/// <summary>An additional file held in memory; null text plays a file that cannot be read.</summary>
internal sealed class InMemoryAdditionalText(string path, string? text) : AdditionalText
{
    public override string Path { get; } = path;

    public string? Text { get; } = text;

    public override SourceText? GetText(CancellationToken cancellationToken = default) =>
        Text is null ? null : SourceText.From(Text, Encoding.UTF8);
}

/// <summary>analyzerconfig options as MSBuild would pass them: global build properties and per-file item metadata.</summary>
internal sealed class TestOptionsProvider(
    IReadOnlyDictionary<string, string> global,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> perFile) : AnalyzerConfigOptionsProvider
{
    private static readonly DictionaryOptions Empty = new(new Dictionary<string, string>());

    public override AnalyzerConfigOptions GlobalOptions { get; } = new DictionaryOptions(global);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        perFile.TryGetValue(textFile.Path, out var options) ? new DictionaryOptions(options) : Empty;

    private sealed class DictionaryOptions(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) =>
            values.TryGetValue(key, out value);

        public override IEnumerable<string> Keys => values.Keys;
    }
}

/// <summary>One model card as the build passes it: path, text (null = unreadable) and whether it carries the card metadata.</summary>
internal sealed record CardFile(string Path, string? Text, bool Marked = true)
{
    public static CardFile Of(string name, System.Text.Json.Nodes.JsonObject card) =>
        new($"/app/obj/Release/net8.0/models/{name}.modelcard.json", CardBuilder.ToJson(card));
}

internal static class Options
{
    public const string CardMetadata = "build_metadata.AdditionalFiles.ModelBuildTasksCard";

    public static (ImmutableArray<AdditionalText> Texts, TestOptionsProvider Provider) For(
        IEnumerable<CardFile> cards, string? rootNamespace, IReadOnlyDictionary<string, string>? buildProperties = null)
    {
        var texts = new List<AdditionalText>();
        var perFile = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var card in cards)
        {
            texts.Add(new InMemoryAdditionalText(card.Path, card.Text));
            if (card.Marked)
            {
                perFile[card.Path] = new Dictionary<string, string> { [CardMetadata] = "true" };
            }
        }
        var global = new Dictionary<string, string>();
        if (rootNamespace is not null)
        {
            global["build_property.RootNamespace"] = rootNamespace;
        }
        foreach (var (name, value) in buildProperties ?? new Dictionary<string, string>())
        {
            global["build_property." + name] = value;
        }
        return (texts.ToImmutableArray(), new TestOptionsProvider(global, perFile));
    }
}
