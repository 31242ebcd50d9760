using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Evaluation;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>
/// `mbt evaluate REFERENCE CANDIDATE --data PATH [--labels FILE] [--json] [--max-samples N]`: runs both models on the
/// data with the managed runtime and reports how close the candidate is (per output, per layer, accuracy).
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var reference = new Argument<FileInfo>("reference") { Description = "The original model (.tflite)." };
        var candidate = new Argument<FileInfo>("candidate") { Description = "The optimized model to compare with it." };
        var data = new Option<string>("--data")
        {
            Description = "Samples: a folder of .npy files, of per-sample folders, of images or of class folders, or one batched .npy.",
            Required = true,
        };
        var labels = new Option<FileInfo?>("--labels") { Description = "Labels: a CSV 'file,label' (or a 1-D integer .npy for a batched .npy)." };
        var json = new Option<bool>("--json") { Description = "Print the stable JSON form (documented in the README)." };
        var maxSamples = new Option<int>("--max-samples") { Description = "Evaluate at most N samples (0 = all).", DefaultValueFactory = _ => 0 };
        var layers = new Option<int>("--layers") { Description = "Report the N worst layers (0 = all).", DefaultValueFactory = _ => 20 };
        var noLayers = new Option<bool>("--no-layers") { Description = "Compare model outputs only (faster, less memory on big models)." };
        var mean = new Option<string?>("--mean") { Description = "Image normalization mean per channel on the 0..255 scale, e.g. 127.5 or 123.7,116.3,103.5 (default 0)." };
        var std = new Option<string?>("--std") { Description = "Image normalization std per channel (default 255)." };
        var command = new Command("evaluate", "Compare a candidate model with its reference on data: cosine, SQNR, errors, accuracy, per-layer error.")
        {
            reference, candidate, data, labels, json, maxSamples, layers, noLayers, mean, std,
        };
        command.SetAction(parse => CommandErrors.Guard(error, () =>
        {
            var max = parse.GetValue(maxSamples);
            var top = parse.GetValue(layers);
            if (max < 0 || top < 0)
            {
                error.WriteLine("error: --max-samples and --layers must be 0 or more");
                return ExitCodes.Usage;
            }
            var referencePath = parse.GetValue(reference)!.FullName;
            var candidatePath = parse.GetValue(candidate)!.FullName;
            var dataPath = Path.GetFullPath(parse.GetValue(data)!);
            var referenceModel = ModelReader.ReadFile(referencePath);
            var candidateModel = ModelReader.ReadFile(candidatePath);
            var options = new DataOptions
            {
                LabelsPath = parse.GetValue(labels)?.FullName,
                Mean = ParseFloats(parse.GetValue(mean), "--mean"),
                Std = ParseFloats(parse.GetValue(std), "--std"),
            };
            var source = SampleSources.Open(dataPath, referenceModel, options);
            var report = Evaluator.Evaluate(referenceModel, candidateModel, source,
                new EvaluationOptions { MaxSamples = max, TopLayers = top, PerLayer = !parse.GetValue(noLayers) }, new StderrProgress(error));
            output.WriteLine(parse.GetValue(json)
                ? EvaluationJson.ToJson(report, Path.GetFileName(referencePath), Path.GetFileName(candidatePath), dataPath)
                : Format(report, Path.GetFileName(referencePath), Path.GetFileName(candidatePath), dataPath));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static float[]? ParseFloats(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new DataException(DataErrorCodes.InvalidNormalization, $"{option}: '{parts[i]}' is not a number");
            }
        }
        return values;
    }

    internal static string Format(EvaluationReport r, string reference, string candidate, string data)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{candidate} vs {reference}: {r.Samples} sample(s) from {data}");
        if (r.Accuracy is { } a)
        {
            w.WriteLine($"accuracy: reference {a.ReferenceAccuracy:P2}, candidate {a.CandidateAccuracy:P2}, drop {a.Drop * 100:F2} points");
        }
        w.WriteLine("outputs:");
        Table(w, r.Outputs);
        if (r.Layers.Count > 0)
        {
            w.WriteLine($"layers, worst first ({r.Layers.Count} of {r.LayersCompared} compared):");
            Table(w, r.Layers);
        }
        return w.ToString().TrimEnd();
    }

    private static void Table(TextWriter w, IReadOnlyList<TensorMetrics> rows)
    {
        var width = Math.Max(6, rows.Max(t => t.Name.Length));
        w.WriteLine($"  {"tensor".PadRight(width)}  {"op",-18} {"cosine",10} {"SQNR dB",9} {"MSE",11} {"max |err|",11} {"top-1",7}");
        foreach (var t in rows)
        {
            var sqnr = double.IsPositiveInfinity(t.SqnrDb) ? "inf" : t.SqnrDb.ToString("F2", CultureInfo.InvariantCulture);
            var top1 = t.Top1Agreement is { } v ? v.ToString("P1", CultureInfo.InvariantCulture) : "-";
            w.WriteLine($"  {t.Name.PadRight(width)}  {t.OpType ?? "-",-18} {t.Cosine,10:F6} {sqnr,9} {t.Mse,11:G4} {t.MaxAbsError,11:G4} {top1,7}");
        }
    }

    /// <summary>Progress lines on stderr, at most a few per second, so stdout stays clean for --json.</summary>
    private sealed class StderrProgress(TextWriter error) : IProgress<OptimizationProgress>
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private long last = -1000;

        public void Report(OptimizationProgress value)
        {
            var finished = value.Total is { } total && value.Done >= total;
            if (!finished && clock.ElapsedMilliseconds - last < 500)
            {
                return;
            }
            last = clock.ElapsedMilliseconds;
            error.WriteLine(value.Total is { } t ? $"{value.Stage}: {value.Done}/{t}" : $"{value.Stage}: {value.Done}");
        }
    }
}
