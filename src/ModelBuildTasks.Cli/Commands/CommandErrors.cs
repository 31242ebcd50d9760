using ModelBuildTasks.Model;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>Turns engine errors into one coded line on stderr and an exit code, instead of a stack trace.</summary>
internal static class CommandErrors
{
    public static int Guard(TextWriter error, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ModelFormatException e)
        {
            error.WriteLine($"error {e.Message}");
            return ExitCodes.InputError;
        }
    }
}
