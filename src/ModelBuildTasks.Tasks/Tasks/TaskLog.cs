using Microsoft.Build.Utilities;
using ModelBuildTasks.Tasks.Locations;

namespace ModelBuildTasks.Tasks.Tasks;

/// <summary>Coded diagnostics at an item's element, safe to call from the parallel item workers.</summary>
internal sealed class TaskLog(TaskLoggingHelper log)
{
    private readonly object gate = new();

    public void Error(string code, ItemLocation at, string message)
    {
        lock (gate)
        {
            log.LogError(null, code, null, at.File, at.Line, at.Column, 0, 0, message);
        }
    }

    public void Warning(string code, ItemLocation at, string message)
    {
        lock (gate)
        {
            log.LogWarning(null, code, null, at.File, at.Line, at.Column, 0, 0, message);
        }
    }

    public void Summary(string message)
    {
        lock (gate)
        {
            log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "ModelBuildTasks: " + message);
        }
    }

    public void Detail(string message)
    {
        lock (gate)
        {
            log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "ModelBuildTasks: " + message);
        }
    }
}
