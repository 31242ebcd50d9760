using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Tasks.Incremental;
using ModelBuildTasks.Tasks.Locations;
using ModelBuildTasks.Tasks.Optimize;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Tasks;

/// <summary>
/// The cheap step that runs on every build (design-time builds included): validates each <c>&lt;ModelItem&gt;</c>,
/// refreshes its stamp file (rewritten only when an input changed or an output is missing) and returns one state
/// item per model for the optimize target's Inputs/Outputs. In design-time builds it also writes a describe-only
/// card for models that have none yet, so the generator has something to work with.
/// </summary>
public sealed class PrepareModelItems : Microsoft.Build.Utilities.Task
{
    /// <summary>The <c>@(ModelItem)</c> items.</summary>
    [Required]
    public ITaskItem[] Items { get; set; } = [];

    /// <summary>The project folder (relative paths in metadata are resolved against it).</summary>
    [Required]
    public string ProjectDirectory { get; set; } = "";

    /// <summary>The project file: where items are located when MSBuild does not say which file defines them.</summary>
    public string ProjectFile { get; set; } = "";

    /// <summary>Where outputs go (obj/…/models/).</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>Project-wide defaults, "Metadata=Value".</summary>
    public string[] Defaults { get; set; } = [];

    /// <summary>True in IDE design-time builds.</summary>
    public bool DesignTimeBuild { get; set; }

    /// <summary>One item per model: the stamp file, with the output paths and location as metadata.</summary>
    [Output]
    public ITaskItem[] States { get; set; } = [];

    /// <summary>Every file the integration writes, for FileWrites.</summary>
    [Output]
    public ITaskItem[] Writes { get; set; } = [];

    /// <inheritdoc/>
    public override bool Execute()
    {
        var log = new TaskLog(Log);
        var defaults = ItemMetadata.Defaults(Defaults);
        var locator = new ItemLocator();
        var states = new List<ITaskItem>();
        var writes = new List<ITaskItem>();
        var names = new Dictionary<string, ItemLocation>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in Items)
        {
            var defining = item.GetMetadata("DefiningProjectFullPath");
            var location = locator.Locate(string.IsNullOrEmpty(defining) ? ProjectFile : defining, item.ItemSpec);
            var errors = new List<SettingsError>();
            var settings = ModelItemParser.Parse(item.ItemSpec, ItemMetadata.Custom(item), defaults, ProjectDirectory, errors);
            foreach (var error in errors)
            {
                log.Error(error.Code, location, $"{item.ItemSpec}: {error.Message}");
            }

            if (settings is null)
            {
                continue;
            }

            if (!File.Exists(settings.ModelPath))
            {
                log.Error(TaskErrorCodes.ModelNotFound, location, $"{item.ItemSpec}: the model file '{settings.ModelPath}' does not exist");
                continue;
            }

            if (names.TryGetValue(settings.Name, out var first))
            {
                log.Error(TaskErrorCodes.DuplicateName, location,
                    $"{item.ItemSpec}: another ModelItem (line {first.Line}) has the file name '{settings.Name}'; outputs are named after it, so rename one of the files");
                continue;
            }

            names[settings.Name] = location;
            var outputs = new ItemOutputs(OutputDirectory, settings.Name);
            try
            {
                // The describe-only card first: the stamp written after it is newer, so the next real build optimizes.
                if (DesignTimeBuild && !File.Exists(outputs.Card))
                {
                    ModelCardJson.WriteFile(ModelItemPipeline.Describe(settings, location, StampHasher.ToolVersion), outputs.Card);
                }

                RefreshStamp(settings, outputs);
            }
            catch (ModelFormatException e)
            {
                log.Error(e.Code, location, $"{item.ItemSpec}: {ItemMetadata.Describe(e)}");
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Error(TaskErrorCodes.FileNotFound, location, $"{item.ItemSpec}: {e.Message}");
                continue;
            }

            var state = new TaskItem(outputs.Stamp);
            item.CopyMetadataTo(state);
            state.SetMetadata(ItemMetadata.Include, item.ItemSpec);
            state.SetMetadata(ItemMetadata.Name, settings.Name);
            state.SetMetadata(ItemMetadata.Model, outputs.Model);
            state.SetMetadata(ItemMetadata.Report, outputs.Report);
            state.SetMetadata(ItemMetadata.Card, outputs.Card);
            state.SetMetadata(ItemMetadata.ProjectFile, location.File);
            state.SetMetadata(ItemMetadata.Line, location.Line.ToString(System.Globalization.CultureInfo.InvariantCulture));
            state.SetMetadata(ItemMetadata.Column, location.Column.ToString(System.Globalization.CultureInfo.InvariantCulture));
            state.SetMetadata(ItemMetadata.Deploy, settings.Deploy);
            state.SetMetadata(ItemMetadata.DeployedFile, settings.DeployedFile ?? "");
            state.SetMetadata(ItemMetadata.ResourceName, settings.ResourceName ?? "");
            states.Add(state);
            writes.AddRange(outputs.All.Select(path => new TaskItem(path)));
        }

        States = states.ToArray();
        Writes = writes.ToArray();
        return !Log.HasLoggedErrors;
    }

    /// <summary>Rewrites the stamp when its text changed, or when an output is missing (so the optimize target runs).</summary>
    private static void RefreshStamp(ModelItemSettings settings, ItemOutputs outputs)
    {
        var stamp = StampHasher.Compute(settings, StampHasher.ToolIdentity);
        var outputsExist = File.Exists(outputs.Model) && File.Exists(outputs.Report) && File.Exists(outputs.Card);
        if (outputsExist && File.Exists(outputs.Stamp) && File.ReadAllText(outputs.Stamp) == stamp)
        {
            return;
        }

        AtomicFile.Write(outputs.Stamp, System.Text.Encoding.UTF8.GetBytes(stamp));
    }
}
