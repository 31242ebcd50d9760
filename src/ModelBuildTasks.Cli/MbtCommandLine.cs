using System.CommandLine;
using ModelBuildTasks.Cli.Commands;

namespace ModelBuildTasks.Cli;

/// <summary>Builds the `mbt` command tree. Each command is a thin adapter over the engine.</summary>
public static class MbtCommandLine
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("mbt: inspect, optimize, run and time TensorFlow Lite models.")
        {
            InspectCommand.Create(output, error),
            OptimizeCommand.Create(output, error),
            RunCommand.Create(output, error),
            BenchCommand.Create(output, error),
            EvaluateCommand.Create(output, error),
            ReportCommand.Create(output, error),
        };
        var config = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).Invoke(config);
    }
}

/// <summary>Process exit codes of `mbt`.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command line was wrong (System.CommandLine's own parse errors also exit with 1).</summary>
    public const int Usage = 1;
    /// <summary>The model or another input was bad; stderr has the coded error.</summary>
    public const int InputError = 2;
}
