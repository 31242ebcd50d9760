using System.Diagnostics;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Fuzz;
using ModelBuildTasks.Model.Metadata;
using SharpFuzz;

// AFL harness for ModelReader. Usage:
//   ModelBuildTasks.Model.Fuzz                    fuzz mode: afl-fuzz feeds inputs (SharpFuzz, out of process)
//   ModelBuildTasks.Model.Fuzz --seeds DIR        write the tiny handcrafted valid seed models into DIR
//   ModelBuildTasks.Model.Fuzz --once             run one input from stdin under AFL's instrumentation (afl-tmin)
//   ModelBuildTasks.Model.Fuzz FILE|DIR...        replay inputs, print each outcome; exit 1 when one fails
switch (args)
{
    case []:
        Fuzzer.OutOfProcess.Run(stream => Harness.Check(Harness.ReadAll(stream)));
        return 0;
    case ["--seeds", var dir]:
        Directory.CreateDirectory(dir);
        foreach (var (name, bytes) in Seeds.All())
        {
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
            Console.WriteLine($"{name}: {bytes.Length} bytes");
        }
        return 0;
    case ["--once"]:
        Fuzzer.RunOnce(stream => Harness.Check(Harness.ReadAll(stream)));
        return 0;
    default:
        return Harness.Replay(args);
}

namespace ModelBuildTasks.Model.Fuzz
{
    /// <summary>
    /// The property under test: any input either reads or fails with a ModelFormatException; so does its TFLite
    /// metadata; and what reads also writes and reads again.
    /// </summary>
    internal static class Harness
    {
        private static readonly HashSet<string> KnownCodes =
        [
            ModelErrorCodes.FileUnreadable, ModelErrorCodes.Truncated, ModelErrorCodes.WrongIdentifier,
            ModelErrorCodes.CorruptStructure, ModelErrorCodes.IndexOutOfRange, ModelErrorCodes.InvalidShape,
            ModelErrorCodes.DataTooShort, ModelErrorCodes.GraphCycle, ModelErrorCodes.Unsupported,
            ModelErrorCodes.InvalidGraph, ModelErrorCodes.InvalidMetadata,
        ];

        private const string SourceName = "fuzz-input.tflite";

        /// <summary>
        /// Bytes a read may allocate: generous for object overhead, far below what a length field claiming billions
        /// of entries, or tables shared many times over, would make it allocate.
        /// </summary>
        public static long AllocationLimit(int fileLength) => 256L * fileLength + (16 << 20);

        /// <summary>
        /// Reads the input. A ModelFormatException with a known code is the expected failure; any other exception,
        /// an excessive allocation, or a failed write/re-read of an accepted model throws (AFL records a crash).
        /// </summary>
        public static string Check(byte[] input)
        {
            // Self-test of the set-up: with MBT_FUZZ_SELFTEST=1, an input starting "CRASH" must show up as a crash.
            if (input.AsSpan().StartsWith("CRASH"u8) && Environment.GetEnvironmentVariable("MBT_FUZZ_SELFTEST") == "1")
            {
                throw new FuzzFailure("self-test crash");
            }
            ModelGraph model;
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                model = ModelReader.Read(input, SourceName);
            }
            catch (ModelFormatException e)
            {
                CheckAllocation(input, before, "failed read");
                if (!KnownCodes.Contains(e.Code) || string.IsNullOrWhiteSpace(e.Detail) || !e.Message.Contains(SourceName, StringComparison.Ordinal))
                {
                    throw new FuzzFailure($"ModelFormatException without a known code, a message or the file name: {e.Message}", e);
                }
                return e.Code;
            }
            CheckAllocation(input, before, "read");

            // Its TFLite metadata (if any) reads, or fails with the metadata code.
            before = GC.GetAllocatedBytesForCurrentThread();
            var outcome = "OK";
            try
            {
                TfLiteMetadata.Read(model, SourceName);
            }
            catch (ModelFormatException e) when (e.Code == ModelErrorCodes.InvalidMetadata && e.Message.Contains(SourceName, StringComparison.Ordinal))
            {
                outcome = $"OK, metadata {e.Code}";
            }
            CheckAllocation(input, before, "metadata read");

            // The reader accepted it: writing it and reading the result back must work too.
            byte[] written;
            try
            {
                written = ModelWriter.ToBytes(model);
            }
            catch (Exception e)
            {
                throw new FuzzFailure($"ModelWriter.ToBytes failed on a model the reader accepted: {e.GetType().Name}: {e.Message}", e);
            }
            ModelGraph reread;
            try
            {
                reread = ModelReader.Read(written, "rewritten.tflite");
            }
            catch (Exception e)
            {
                throw new FuzzFailure($"reading the rewritten model failed: {e.GetType().Name}: {e.Message}", e);
            }
            if (Environment.GetEnvironmentVariable("MBT_FUZZ_COMPARE") == "1" && ModelComparer.FirstDifference(model, reread) is { } difference)
            {
                throw new FuzzFailure($"the rewritten model differs: {difference}");
            }
            return outcome;
        }

        private static void CheckAllocation(byte[] input, long before, string what)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > AllocationLimit(input.Length))
            {
                throw new FuzzFailure($"the {what} of a {input.Length}-byte input allocated {allocated} bytes");
            }
        }

        public static byte[] ReadAll(Stream stream)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }

        /// <summary>Runs each file (or each file of each folder) with a 10 s limit; prints outcome per file.</summary>
        public static int Replay(IEnumerable<string> paths)
        {
            var files = paths.SelectMany<string, string>(p => Directory.Exists(p)
                ? Directory.EnumerateFiles(p).Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", StringComparison.Ordinal)).Order()
                : [p]).ToList();
            var failures = 0;
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                var watch = Stopwatch.StartNew();
                var task = Task.Run(() => Check(bytes));
                string outcome;
                try
                {
                    outcome = task.Wait(TimeSpan.FromSeconds(10)) ? task.Result : "HANG (over 10 s)";
                }
                catch (AggregateException e)
                {
                    var inner = e.InnerException!;
                    outcome = $"FAIL {inner.GetType().Name}: {inner.Message}\n{(inner.InnerException ?? inner).StackTrace}";
                }
                if (!outcome.StartsWith("OK", StringComparison.Ordinal) && !outcome.StartsWith("MBT", StringComparison.Ordinal))
                {
                    failures++;
                }
                Console.WriteLine($"{file}: {outcome} ({watch.ElapsedMilliseconds} ms)");
            }
            Console.WriteLine($"{files.Count - failures} passed, {failures} failed");
            return failures == 0 ? 0 : 1;
        }
    }

    /// <summary>A property of the harness failed: AFL sees it as a crash.</summary>
    internal sealed class FuzzFailure(string message, Exception? inner = null) : Exception(message, inner);
}
