using Microsoft.Build.Framework;
using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Tasks.Locations;

namespace ModelBuildTasks.Tasks.Tasks;

/// <summary>
/// Reports missed budgets from the model cards on every build, for projects where the companion analyzer does not
/// (languages other than C#). Runs whether or not the models were re-optimized, so a missed budget keeps failing.
/// </summary>
public sealed class CheckModelBudgets : Microsoft.Build.Utilities.Task
{
    /// <summary>State items from <see cref="PrepareModelItems"/> (their card paths are read).</summary>
    [Required]
    public ITaskItem[] States { get; set; } = [];

    /// <inheritdoc/>
    public override bool Execute()
    {
        var log = new TaskLog(Log);
        foreach (var state in States)
        {
            var location = ItemMetadata.Location(state);
            ModelCard card;
            try
            {
                card = ModelCardJson.ReadFile(state.GetMetadata(ItemMetadata.Card));
            }
            catch (ModelFormatException e)
            {
                log.Error(e.Code, location, ItemMetadata.Describe(e));
                continue;
            }

            var at = new ItemLocation(card.Item.ProjectFile, card.Item.Line, card.Item.Column);
            foreach (var violation in BudgetChecker.Check(card))
            {
                if (card.Budgets.Severity == "warning")
                {
                    log.Warning(violation.Code, at, violation.Message);
                }
                else
                {
                    log.Error(violation.Code, at, violation.Message);
                }
            }
        }

        return !Log.HasLoggedErrors;
    }
}
