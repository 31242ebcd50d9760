using System.ComponentModel;
using System.Diagnostics;

namespace ModelBuildTasks.TestSupport;

/// <summary>Result of a finished child process.</summary>
internal sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs a program to completion, capturing its output.</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(
        string program,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };

        // npm is a .cmd script on Windows, which Process cannot start directly.
        if (OperatingSystem.IsWindows() && program == "npm")
        {
            psi.FileName = "cmd.exe";
            psi.ArgumentList.Add("/d");
            psi.ArgumentList.Add("/c");
            psi.ArgumentList.Add("npm");
        }
        else
        {
            psi.FileName = program;
        }

        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Cannot start '{program}' ({e.Message}); it must be on PATH (Node.js 20 with npm).", e);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended in the meantime.
            }

            process.WaitForExit();
            throw new TimeoutException(
                $"'{program} {string.Join(' ', psi.ArgumentList)}' did not finish within {timeout}; killed. " +
                $"stderr: {stderr.GetAwaiter().GetResult()}");
        }

        process.WaitForExit(); // drains the asynchronous readers
        return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
