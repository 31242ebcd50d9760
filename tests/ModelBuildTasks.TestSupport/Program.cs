using System.Diagnostics;

namespace ModelBuildTasks.TestSupport;

/// <summary>
/// Command line: <c>dotnet run --project tests/ModelBuildTasks.TestSupport -- COMMAND</c>.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: ModelBuildTasks.TestSupport COMMAND
          fetch [name...]        fetch all corpus files (or the named ones) and print their paths
          list                   print the corpus list and whether each file is cached
          oracle-install         npm ci in tests/oracle (skipped when up to date)
          info MODEL             LiteRT.js inputs/outputs of a corpus name or .tflite path
          bench MODEL [RUNS]     LiteRT.js timing (compat wasm, 1 thread)
        """;

    private static int Main(string[] args)
    {
        try
        {
            var sw = Stopwatch.StartNew();
            switch (args.FirstOrDefault())
            {
                case "fetch":
                    foreach (var path in Corpus.Fetch(args[1..]))
                    {
                        Console.WriteLine(path);
                    }

                    Console.Error.WriteLine($"fetch: {sw.Elapsed.TotalSeconds:F1} s");
                    return 0;
                case "list":
                    foreach (var e in Corpus.Entries)
                    {
                        var cached = File.Exists(Corpus.Default.PathOf(e)) ? "cached" : "-";
                        Console.WriteLine($"{e.Name,-34} {e.Kind,-6} {e.PackageSpec,-45} {e.Bytes,10} {cached}");
                    }

                    return 0;
                case "oracle-install":
                    Oracle.EnsureInstalled();
                    Console.WriteLine($"oracle ready in {Oracle.Directory} ({sw.Elapsed.TotalSeconds:F1} s)");
                    return 0;
                case "info" when args.Length == 2:
                    var info = Oracle.Info(ModelPath(args[1]));
                    foreach (var t in info.Inputs)
                    {
                        Console.WriteLine($"input  {t} ({t.Bytes} bytes)");
                    }

                    foreach (var t in info.Outputs)
                    {
                        Console.WriteLine($"output {t} ({t.Bytes} bytes)");
                    }

                    return 0;
                case "bench" when args.Length is 2 or 3:
                    var runs = args.Length == 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 30;
                    Console.WriteLine(Oracle.Bench(ModelPath(args[1]), runs));
                    return 0;
                default:
                    Console.Error.WriteLine(Usage);
                    return 1;
            }
        }
        catch (Exception e) when (e is OracleException or CorpusIntegrityException or ArgumentException or InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e is OracleException o ? o.ExitCode : 2;
        }
    }

    private static string ModelPath(string nameOrPath) =>
        File.Exists(nameOrPath) ? nameOrPath : Corpus.GetPath(nameOrPath);
}
