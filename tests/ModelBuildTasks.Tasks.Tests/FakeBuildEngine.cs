using System.Collections;
using Microsoft.Build.Framework;

namespace ModelBuildTasks.Tasks.Tests;

/// <summary>Captures what a task logs, so tests can check codes, files, lines and messages.</summary>
internal sealed class FakeBuildEngine : IBuildEngine
{
    public List<BuildErrorEventArgs> Errors { get; } = [];
    public List<BuildWarningEventArgs> Warnings { get; } = [];
    public List<BuildMessageEventArgs> Messages { get; } = [];

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.proj";

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => true;
    public void LogCustomEvent(CustomBuildEventArgs e) { }
    public void LogErrorEvent(BuildErrorEventArgs e) { lock (Errors) { Errors.Add(e); } }
    public void LogMessageEvent(BuildMessageEventArgs e) { lock (Messages) { Messages.Add(e); } }
    public void LogWarningEvent(BuildWarningEventArgs e) { lock (Warnings) { Warnings.Add(e); } }
}
