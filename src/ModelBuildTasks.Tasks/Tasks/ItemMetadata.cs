using Microsoft.Build.Framework;
using ModelBuildTasks.Tasks.Locations;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Tasks;

/// <summary>Moves item data between MSBuild items and the task-independent settings types.</summary>
internal static class ItemMetadata
{
    // Metadata the prepare task attaches to its state items for the later targets (prefix _Mbt: not user metadata).
    public const string Include = "_MbtInclude";
    public const string Name = "_MbtName";
    public const string Model = "_MbtModel";
    public const string Report = "_MbtReport";
    public const string Card = "_MbtCard";
    public const string ProjectFile = "_MbtProjectFile";
    public const string Line = "_MbtLine";
    public const string Column = "_MbtColumn";
    public const string Deploy = "_MbtDeploy";
    public const string DeployedFile = "_MbtDeployedFile";
    public const string ResourceName = "_MbtResourceName";

    /// <summary>The item's custom metadata (what the user wrote on the element or an ItemDefinitionGroup).</summary>
    public static Dictionary<string, string> Custom(ITaskItem item)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in item.CloneCustomMetadata())
        {
            result[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return result;
    }

    /// <summary>Project-wide defaults given as "Name=Value" strings.</summary>
    public static Dictionary<string, string> Defaults(string[]? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
            }
        }

        return result;
    }

    /// <summary>A coded exception's message without its code (MSBuild shows the code already).</summary>
    public static string Describe(Model.ModelFormatException e) => e.FilePath is null ? e.Detail : $"{e.FilePath}: {e.Detail}";

    public static ItemLocation Location(ITaskItem state) => new(
        state.GetMetadata(ProjectFile),
        int.TryParse(state.GetMetadata(Line), out var line) ? line : 0,
        int.TryParse(state.GetMetadata(Column), out var column) ? column : 0);

    /// <summary>Parses a state item's settings again (cheap) in a later task; errors were reported by the prepare task.</summary>
    public static ModelItemSettings? Settings(ITaskItem state, IReadOnlyDictionary<string, string> defaults, string projectDirectory, List<SettingsError> errors) =>
        ModelItemParser.Parse(state.GetMetadata(Include), Custom(state), defaults, projectDirectory, errors);
}
