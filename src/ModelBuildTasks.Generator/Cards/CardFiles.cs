using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ModelBuildTasks.Generator.Cards;

/// <summary>Recognizes model cards among the additional files (item metadata ModelBuildTasksCard="true").</summary>
internal static class CardFiles
{
    public const string MetadataKey = "build_metadata.AdditionalFiles.ModelBuildTasksCard";

    public static bool IsCard(AnalyzerConfigOptionsProvider options, AdditionalText file) =>
        options.GetOptions(file).TryGetValue(MetadataKey, out var value)
        && string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    public static CardReadResult Read(AdditionalText file, System.Threading.CancellationToken cancellationToken) =>
        ModelCardReader.Read(file.Path, file.GetText(cancellationToken)?.ToString());
}
