using System.CommandLine;
using ModelBuildTasks.Optimization.Reporting.Report;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>
/// `mbt report REPORT.json -o report.html [--format html|md]`: renders an optimization report (written by
/// `mbt optimize --report`) as one self-contained HTML page or a Markdown summary. Without -o it prints to stdout.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var input = new Argument<FileInfo>("report") { Description = "The report JSON (from mbt optimize --report)." };
        var outputPath = new Option<FileInfo>("--output", "-o") { Description = "Where to write the rendered report (default: stdout)." };
        var format = new Option<string>("--format") { Description = "html (default) or md (Markdown summary for CI logs and PR comments).", DefaultValueFactory = _ => "html" };
        format.AcceptOnlyFromAmong("html", "md");
        var command = new Command("report", "Render an optimization report as HTML (charts, tables) or Markdown.") { input, outputPath, format };
        command.SetAction(parse => CommandErrors.Guard(error, () =>
        {
            var path = parse.GetValue(input)!.FullName;
            string json;
            try
            {
                json = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Model.ModelFormatException(ReportErrorCodes.InvalidReport, $"cannot read the report: {e.Message}", path, e);
            }
            var report = OptimizationReport.FromJson(json, path);
            var text = parse.GetValue(format) == "md" ? MarkdownReport.Render(report) : HtmlReport.Render(report);
            if (parse.GetValue(outputPath) is { } destination)
            {
                BudgetOptions.WriteAtomically(destination.FullName, text);
                output.WriteLine($"{Path.GetFileName(path)} -> {destination.FullName}");
            }
            else
            {
                output.Write(text);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
