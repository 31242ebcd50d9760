using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace ModelBuildTasks.TestSupport;

/// <summary>
/// The reference runtime: LiteRT.js (<c>@litertjs/core</c> 2.5.3, WASM CPU, compat build, one thread) under
/// Node.js 20, driven through <c>tests/oracle/litert-run.mjs</c>. Each call starts one <c>node</c> process.
/// </summary>
public static class Oracle
{
    private const string StampFile = ".mbt-oracle-stamp";
    private static readonly object Gate = new();
    private static volatile bool installed;

    /// <summary>The harness folder (<c>tests/oracle</c>, or <c>MBT_ORACLE_DIR</c>).</summary>
    public static string Directory
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable("MBT_ORACLE_DIR");
            return string.IsNullOrWhiteSpace(overridden) ? RepoPaths.OracleDir : Path.GetFullPath(overridden);
        }
    }

    /// <summary>The harness script.</summary>
    public static string Script => Path.Combine(Directory, "litert-run.mjs");

    /// <summary>Node.js executable: <c>MBT_NODE</c>, else <c>node</c> from PATH.</summary>
    public static string NodeExecutable =>
        Environment.GetEnvironmentVariable("MBT_NODE") is { Length: > 0 } node ? node : "node";

    /// <summary>Timeout of one oracle process.</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Runs <c>npm ci</c> in the harness folder unless <c>node_modules</c> was installed from the current
    /// <c>package-lock.json</c>. Safe to call from many threads and processes at once (lock file
    /// <c>.install.lock</c>); cheap after the first call.
    /// </summary>
    public static void EnsureInstalled()
    {
        if (installed)
        {
            return;
        }

        lock (Gate)
        {
            if (installed)
            {
                return;
            }

            var dir = Directory;
            if (!IsUpToDate(dir))
            {
                using var held = FileLock.Acquire(Path.Combine(dir, ".install.lock"), TimeSpan.FromMinutes(20));
                if (!IsUpToDate(dir))
                {
                    var result = ProcessRunner.Run(
                        "npm",
                        ["ci", "--no-audit", "--no-fund", "--loglevel", "error"],
                        dir,
                        TimeSpan.FromMinutes(15),
                        new Dictionary<string, string> { ["npm_config_update_notifier"] = "false" });
                    if (result.ExitCode != 0)
                    {
                        throw new OracleException($"'npm ci' in {dir} failed", result.ExitCode, result.StdErr);
                    }

                    File.WriteAllText(Path.Combine(dir, "node_modules", StampFile), LockHash(dir));
                }
            }

            installed = true;
        }
    }

    /// <summary>Inputs and outputs of a model. Also runs it once on zeros, so unsupported ops fail here (exit code 2).</summary>
    /// <exception cref="OracleException">The oracle failed.</exception>
    /// <param name="modelPath">The model.</param>
    /// <param name="signature">A signature key; null for the model's first signature (or its main subgraph).</param>
    public static OracleModelInfo Info(string modelPath, string? signature = null)
    {
        var stdout = Invoke(["info", Path.GetFullPath(modelPath), .. SignatureArgs(signature)], "info");
        using var doc = ParseJson(stdout, "info");
        return new OracleModelInfo(
            doc.RootElement.GetProperty("inputs").EnumerateArray().Select(OracleTensorInfo.FromJson).ToList(),
            doc.RootElement.GetProperty("outputs").EnumerateArray().Select(OracleTensorInfo.FromJson).ToList());
    }

    /// <summary>Runs the model once on <paramref name="inputs"/> (raw little-endian bytes, one array per input in signature order).</summary>
    /// <exception cref="OracleException">The oracle failed (e.g. wrong input size: exit code 1).</exception>
    /// <param name="modelPath">The model.</param>
    /// <param name="inputs">One array per input, in the signature's input order.</param>
    /// <param name="signature">A signature key; null for the model's first signature (or its main subgraph).</param>
    public static OracleResult Run(string modelPath, IReadOnlyList<byte[]> inputs, string? signature = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return WithTempDir(temp =>
        {
            var files = new List<string>();
            for (var k = 0; k < inputs.Count; k++)
            {
                var f = Path.Combine(temp, $"in_{k}.bin");
                File.WriteAllBytes(f, inputs[k]);
                files.Add(f);
            }

            var outDir = Path.Combine(temp, "out");
            Invoke(["run", Path.GetFullPath(modelPath), "--inputs", string.Join(",", files), "--out", outDir, .. SignatureArgs(signature)], "run");
            return ReadRun(outDir, inputs);
        });
    }

    /// <summary>
    /// Runs the model on inputs generated by the oracle from <paramref name="seed"/> (the generator that
    /// <see cref="SeededInputs"/> reproduces); <see cref="OracleResult.Inputs"/> holds them.
    /// </summary>
    public static OracleResult RunSeeded(string modelPath, int seed, double lo = 0, double hi = 1) =>
        WithTempDir(temp =>
        {
            Invoke(
                [
                    "run", Path.GetFullPath(modelPath), "--seed", seed.ToString(CultureInfo.InvariantCulture),
                    "--range", FormattableString.Invariant($"{lo:R},{hi:R}"), "--out", temp,
                ],
                "run --seed");
            var inputs = new List<byte[]>();
            for (var k = 0; File.Exists(Path.Combine(temp, $"input_{k}.bin")); k++)
            {
                inputs.Add(File.ReadAllBytes(Path.Combine(temp, $"input_{k}.bin")));
            }

            return ReadRun(temp, inputs);
        });

    /// <summary>Times the model in LiteRT.js on seeded inputs (seed 0) after warm-up (≥ <paramref name="warmup"/> runs and ≥ <paramref name="warmupMs"/> ms).</summary>
    public static OracleBenchResult Bench(string modelPath, int runs = 30, int warmup = 5, int warmupMs = 1000)
    {
        var stdout = Invoke(
            [
                "bench", Path.GetFullPath(modelPath), "--runs", runs.ToString(CultureInfo.InvariantCulture),
                "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
                "--warmup-ms", warmupMs.ToString(CultureInfo.InvariantCulture),
            ],
            "bench");
        using var doc = ParseJson(stdout, "bench");
        var r = doc.RootElement;
        return new OracleBenchResult(
            r.GetProperty("median_ms").GetDouble(),
            r.GetProperty("min_ms").GetDouble(),
            r.GetProperty("p90_ms").GetDouble(),
            r.GetProperty("mean_ms").GetDouble(),
            r.GetProperty("load_ms").GetDouble(),
            r.GetProperty("first_run_ms").GetDouble(),
            r.GetProperty("runs").GetInt32(),
            r.GetProperty("warmup_runs").GetInt32());
    }

    private static string[] SignatureArgs(string? signature) => signature is null ? [] : ["--signature", signature];

    private static OracleResult ReadRun(string outDir, IReadOnlyList<byte[]> inputs)
    {
        using var meta = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "meta.json")));
        var outputs = meta.RootElement.GetProperty("outputs").EnumerateArray()
            .Select(e => new OracleTensor(
                OracleTensorInfo.FromJson(e),
                File.ReadAllBytes(Path.Combine(outDir, e.GetProperty("file").GetString()!))))
            .ToList();
        foreach (var o in outputs.Where(o => o.Data.LongLength != o.Info.Bytes))
        {
            throw new InvalidDataException($"Oracle output '{o.Name}' has {o.Data.Length} bytes, meta.json says {o.Info.Bytes}.");
        }

        return new OracleResult(inputs, outputs);
    }

    private static string Invoke(IReadOnlyList<string> args, string what)
    {
        EnsureInstalled();
        var result = ProcessRunner.Run(NodeExecutable, [Script, .. args], Directory, Timeout);
        if (result.ExitCode != 0)
        {
            throw new OracleException($"LiteRT.js oracle '{what}' failed", result.ExitCode, result.StdErr);
        }

        return result.StdOut;
    }

    private static JsonDocument ParseJson(string stdout, string what)
    {
        try
        {
            return JsonDocument.Parse(stdout);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"LiteRT.js oracle '{what}' printed no valid JSON: {stdout}", e);
        }
    }

    private static T WithTempDir<T>(Func<string, T> body)
    {
        var temp = Path.Combine(Path.GetTempPath(), "mbt-oracle-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(temp);
        try
        {
            return body(temp);
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(temp, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    private static bool IsUpToDate(string dir)
    {
        var stamp = Path.Combine(dir, "node_modules", StampFile);
        return File.Exists(stamp)
               && File.Exists(Path.Combine(dir, "node_modules", "@litertjs", "core", "package.json"))
               && File.ReadAllText(stamp).Trim() == LockHash(dir);
    }

    private static string LockHash(string dir) =>
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "package-lock.json"))));
}
