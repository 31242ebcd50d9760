using System.CommandLine;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>
/// `mbt optimize MODEL -o OUT --optimization none`: rewrites a model through the IR. The quantization passes
/// plug in here as further --optimization values.
/// </summary>
internal static class OptimizeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .tflite file to optimize." };
        var outputPath = new Option<FileInfo>("--output", "-o") { Description = "Where to write the result.", Required = true };
        var optimization = new Option<string>("--optimization")
        {
            Description = "The optimization to apply: none (a lossless rewrite through the model IR).",
            DefaultValueFactory = _ => "none",
        };
        optimization.AcceptOnlyFromAmong("none");
        var command = new Command("optimize", "Optimize a model and write the result.") { model, outputPath, optimization };
        command.SetAction(parse => CommandErrors.Guard(error, () =>
        {
            var source = parse.GetValue(model)!.FullName;
            var target = parse.GetValue(outputPath)!.FullName;
            var graph = ModelReader.ReadFile(source);
            ModelWriter.WriteFile(graph, target);
            output.WriteLine($"{Path.GetFileName(source)} -> {target}: {InspectCommand.Bytes(new FileInfo(source).Length)} -> " +
                             $"{InspectCommand.Bytes(new FileInfo(target).Length)}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
