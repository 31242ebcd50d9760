namespace ModelBuildTasks.Cli.Tests;

/// <summary>Runs `mbt` in-process and captures what it prints.</summary>
internal static class Mbt
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = MbtCommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
