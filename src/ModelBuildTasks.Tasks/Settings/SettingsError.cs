namespace ModelBuildTasks.Tasks.Settings;

/// <summary>A problem with an item's metadata.</summary>
/// <param name="Code">One of <see cref="TaskErrorCodes"/>.</param>
/// <param name="Message">What is wrong and what is allowed.</param>
public sealed record SettingsError(string Code, string Message);
