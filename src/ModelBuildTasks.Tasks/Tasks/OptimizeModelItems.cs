using Microsoft.Build.Framework;
using ModelBuildTasks.Model;
using ModelBuildTasks.Tasks.Incremental;
using ModelBuildTasks.Tasks.Optimize;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Tasks;

/// <summary>
/// Optimizes the out-of-date models (MSBuild passes only those: the target's Inputs/Outputs map each stamp to its
/// card), in parallel across items. Cancellation (Ctrl+C) stops the engine promptly; outputs are written atomically,
/// so no partial file is left.
/// </summary>
public sealed class OptimizeModelItems : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource cancellation = new();

    /// <summary>State items from <see cref="PrepareModelItems"/>.</summary>
    [Required]
    public ITaskItem[] States { get; set; } = [];

    /// <summary>The project folder.</summary>
    [Required]
    public string ProjectDirectory { get; set; } = "";

    /// <summary>Project-wide defaults, "Metadata=Value".</summary>
    public string[] Defaults { get; set; } = [];

    /// <summary>Items optimized at once (0 = processor count).</summary>
    public int MaxParallelism { get; set; }

    /// <inheritdoc/>
    public void Cancel() => cancellation.Cancel();

    /// <inheritdoc/>
    public override bool Execute()
    {
        var log = new TaskLog(Log);
        var defaults = ItemMetadata.Defaults(Defaults);
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellation.Token,
            MaxDegreeOfParallelism = MaxParallelism > 0 ? MaxParallelism : Environment.ProcessorCount,
        };
        try
        {
            Parallel.ForEach(States, parallel, state => OptimizeOne(state, defaults, log));
        }
        catch (Exception e) when (e is OperationCanceledException ||
                                  (e is AggregateException all && all.InnerExceptions.All(i => i is OperationCanceledException)))
        {
            // Atomic writes: the interrupted items keep their previous outputs (older than their stamps, so the next
            // build runs them again) and no partial file.
            log.Detail("cancelled");
            return false;
        }

        return !Log.HasLoggedErrors;
    }

    private void OptimizeOne(ITaskItem state, IReadOnlyDictionary<string, string> defaults, TaskLog log)
    {
        var location = ItemMetadata.Location(state);
        var include = state.GetMetadata(ItemMetadata.Include);
        var errors = new List<SettingsError>();
        var settings = ItemMetadata.Settings(state, defaults, ProjectDirectory, errors);
        if (settings is null)
        {
            foreach (var error in errors)
            {
                log.Error(error.Code, location, $"{include}: {error.Message}");
            }

            return;
        }

        var outputs = new ItemOutputs(Path.GetDirectoryName(state.ItemSpec)!, settings.Name);
        try
        {
            var result = ModelItemPipeline.Run(settings, location, outputs, StampHasher.ToolVersion, progress: null, cancellation.Token);
            log.Summary(result.SummaryLine());
            foreach (var warning in result.Warnings)
            {
                log.Warning(warning.Code, location, $"{include}: {warning.Message}");
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (ModelFormatException e)
        {
            log.Error(e.Code, location, $"{include}: {ItemMetadata.Describe(e)}");
        }
        catch (Exception e)
        {
            log.Error(TaskErrorCodes.Internal, location, $"{include}: unexpected {e.GetType().Name} while optimizing (please report it): {e.Message}");
            log.Detail(e.ToString());
        }
    }
}
