using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ModelBuildTasks.Runtime;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>
/// `mbt bench MODEL [--threads N] [--runs N] [--warmup N] [--json]`: times runs of a model in the managed runtime on
/// deterministic inputs after a warm-up (at least N runs and one second, as the LiteRT harness does) and prints
/// the median, min and p90 milliseconds.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .tflite file to time." };
        var threads = new Option<int>("--threads") { Description = "Threads per run (default 1).", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "Timed runs (default 30).", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup") { Description = "Minimum warm-up runs (default 5; warm-up also lasts at least 1 s).", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print JSON: model, signature, threads, runs, medianMs, minMs, p90Ms, meanMs, loadMs, peakActivationBytes, multiplyAccumulates, gflops." };
        var signature = new Option<string?>("--signature", "-s") { Description = "The signature to time, by key (default: the main subgraph; `mbt inspect` lists the keys)." };
        var command = new Command("bench", "Time a model in the managed runtime.") { model, threads, runs, warmup, json, signature };
        command.SetAction(parse => CommandErrors.Guard(error, () =>
        {
            var count = parse.GetValue(runs);
            var threadCount = parse.GetValue(threads);
            if (count < 1 || threadCount < 1)
            {
                error.WriteLine("error: --runs and --threads must be at least 1");
                return ExitCodes.Usage;
            }
            var path = parse.GetValue(model)!.FullName;
            var result = Measure(path, threadCount, count, Math.Max(0, parse.GetValue(warmup)), parse.GetValue(signature));
            output.WriteLine(parse.GetValue(json) ? result.ToJson() : result.ToText());
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static BenchResult Measure(string path, int threads, int runs, int warmupRuns, string? signature = null)
    {
        var load = Stopwatch.StartNew();
        using var session = ModelSession.Load(path, new SessionOptions { Threads = threads, Signature = signature });
        load.Stop();
        for (var i = 0; i < session.Inputs.Count; i++)
        {
            FillDeterministic(session.GetInputBytes(i), session.Inputs[i].Type);
        }

        var warm = Stopwatch.StartNew();
        for (var i = 0; i < warmupRuns || warm.ElapsedMilliseconds < 1000; i++)
        {
            session.Run();
        }
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            session.Run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        var mid = runs / 2;
        return new BenchResult(
            Path.GetFileName(path), threads, runs,
            runs % 2 == 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2,
            times[0],
            times[(int)Math.Ceiling(0.9 * runs) - 1],
            times.Average(),
            load.Elapsed.TotalMilliseconds,
            session.Model.PeakActivationBytes,
            session.Model.MultiplyAccumulates,
            signature);
    }

    /// <summary>Inputs in [0, 1) for floats, small values for integers, from a fixed-seed generator: every run sees the same data.</summary>
    private static void FillDeterministic(Span<byte> bytes, Model.Schema.TensorType type)
    {
        var random = new Random(12345);
        if (type == Model.Schema.TensorType.FLOAT32)
        {
            var floats = MemoryMarshal.Cast<byte, float>(bytes);
            for (var i = 0; i < floats.Length; i++)
            {
                floats[i] = random.NextSingle();
            }
        }
        else
        {
            // Integers: small non-negative values keep index-like inputs (gather) in range.
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = 0;
            }
        }
    }
}

/// <summary>One model's timing, in milliseconds.</summary>
internal sealed record BenchResult(
    string Model, int Threads, int Runs, double MedianMs, double MinMs, double P90Ms, double MeanMs, double LoadMs, long PeakActivationBytes,
    long MultiplyAccumulates, string? Signature = null)
{
    /// <summary>Achieved GFLOP/s at the median (2 FLOP per multiply-accumulate of convolutions and matrix products).</summary>
    public double GigaflopsPerSecond => MedianMs > 0 ? 2.0 * MultiplyAccumulates / (MedianMs * 1e6) : 0;

    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"{Model}{(Signature is null ? "" : $" [{Signature}]")}: median {MedianMs:F3} ms, min {MinMs:F3} ms, p90 {P90Ms:F3} ms, mean {MeanMs:F3} ms " +
        $"({Runs} runs, {Threads} thread(s); {MultiplyAccumulates / 1e6:F1} MMAC = {GigaflopsPerSecond:F1} GFLOP/s; " +
        $"load {LoadMs:F1} ms; activations {PeakActivationBytes / 1024.0 / 1024.0:F2} MiB)");

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", Model);
            w.WriteString("signature", Signature);
            w.WriteNumber("threads", Threads);
            w.WriteNumber("runs", Runs);
            w.WriteNumber("medianMs", Math.Round(MedianMs, 4));
            w.WriteNumber("minMs", Math.Round(MinMs, 4));
            w.WriteNumber("p90Ms", Math.Round(P90Ms, 4));
            w.WriteNumber("meanMs", Math.Round(MeanMs, 4));
            w.WriteNumber("loadMs", Math.Round(LoadMs, 2));
            w.WriteNumber("peakActivationBytes", PeakActivationBytes);
            w.WriteNumber("multiplyAccumulates", MultiplyAccumulates);
            w.WriteNumber("gflops", Math.Round(GigaflopsPerSecond, 2));
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
