using System.CommandLine;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Inspection;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>`mbt inspect MODEL [--json]`: what a model contains.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .tflite file to describe." };
        var json = new Option<bool>("--json") { Description = "Print the stable JSON form (documented in the README)." };
        var command = new Command("inspect", "Show a model's inputs, outputs, operators, weights, signatures and metadata.")
        {
            model, json,
        };
        command.SetAction(parse => CommandErrors.Guard(error, () =>
        {
            var path = parse.GetValue(model)!.FullName;
            var summary = Summarize(path);
            output.WriteLine(parse.GetValue(json) ? summary.ToJson() : Format(summary));
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static ModelSummary Summarize(string path)
    {
        var bytes = ReadAll(path);
        var graph = ModelReader.Read(bytes, path);
        return ModelSummary.Create(graph, Path.GetFileName(path), bytes);
    }

    private static byte[] ReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(ModelErrorCodes.FileUnreadable, $"cannot read the file: {e.Message}", path, e);
        }
    }

    private static string Format(ModelSummary s)
    {
        var w = new StringWriter();
        w.WriteLine($"{s.File}: {Bytes(s.FileBytes)}, schema v{s.ModelVersion}, {s.Subgraphs.Count} subgraph(s)");
        if (!string.IsNullOrEmpty(s.Description))
        {
            w.WriteLine($"  description: {s.Description}");
        }
        WriteTensors(w, "inputs", s.Inputs);
        WriteTensors(w, "outputs", s.Outputs);
        w.WriteLine($"operators ({s.Operators.Values.Sum()}):");
        foreach (var (op, count) in s.Operators.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteLine($"  {count,5}  {op}");
        }
        w.WriteLine($"constant data: {Bytes(s.ConstantBytes)}, {s.SparseTensors} sparse tensor(s)");
        foreach (var (type, b) in s.TensorBytesByType)
        {
            w.WriteLine($"  {type,-10} {b.Tensors,5} tensors  {Bytes(b.Bytes)}");
        }
        foreach (var sig in s.Signatures)
        {
            w.WriteLine($"signature '{sig.Key}' (subgraph {sig.Subgraph}): " +
                        $"in [{string.Join(", ", sig.Inputs.Select(i => i.Name))}] out [{string.Join(", ", sig.Outputs.Select(o => o.Name))}]");
        }
        foreach (var m in s.Metadata)
        {
            w.WriteLine($"metadata '{m.Name}': {Bytes(m.Bytes)}{(m.Text is null ? "" : $" \"{m.Text}\"")}");
        }
        foreach (var f in s.AssociatedFiles)
        {
            w.WriteLine($"associated file '{f.Name}': {Bytes(f.Bytes)}");
        }
        return w.ToString().TrimEnd();
    }

    private static void WriteTensors(TextWriter w, string title, IReadOnlyList<TensorSummary> tensors)
    {
        w.WriteLine($"{title}:");
        foreach (var t in tensors)
        {
            var shape = $"[{string.Join(",", t.ShapeSignature ?? t.Shape)}]";
            var q = t.Quantization is { } qq
                ? qq.Scale.Length == 1 ? $"  scale {qq.Scale[0]:G6} zero point {qq.ZeroPoint.FirstOrDefault()}" : $"  per-axis ({qq.Scale.Length} scales, axis {qq.Dimension})"
                : "";
            w.WriteLine($"  {t.Name}  {t.Type}{shape}{q}");
        }
    }

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => $"{bytes / 1048576.0:F2} MiB ({bytes} bytes)",
        >= 1 << 10 => $"{bytes / 1024.0:F1} KiB ({bytes} bytes)",
        _ => $"{bytes} bytes",
    };
}
