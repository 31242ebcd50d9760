using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Recipes;
using OptimizationKind = ModelBuildTasks.Optimization.Optimization;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>
/// `mbt optimize MODEL -o OUT --optimization none|float32|float16|dynamic|int8|int16x8 [--target …]
/// [--representative-data PATH] [--input-type/--output-type …] [--calibration …] [--recipe FILE] [--report FILE.json]
/// [--prune 0.5 [--prune-pattern unstructured|block:1x4|2:4]] [--cluster 16 [--cluster-init kmeans++] [--cluster-per-channel]]`:
/// a thin adapter over <see cref="Optimizer"/>. Progress goes to stderr, the one-line result to stdout; the output file is
/// written atomically, so a failure leaves none.
/// </summary>
internal static class OptimizeCommand
{
    private static readonly string[] Optimizations = ["none", "float32", "float16", "dynamic", "int8", "int16x8", "auto"];
    private static readonly string[] Targets = ["cpu", "gpu", "edgetpu", "mcu"];
    private static readonly string[] IoTypes = ["float32", "int8", "uint8", "int16"];
    private static readonly string[] Calibrations = ["minmax", "moving-average", "percentile", "mse"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .tflite file to optimize." };
        var outputPath = new Option<FileInfo>("--output", "-o") { Description = "Where to write the result.", Required = true };
        var optimization = Choice("--optimization", Optimizations, "none",
            "none (lossless rewrite), float32 (dequantize weights), float16, dynamic (int8 weights), int8 or int16x8 (full integer; needs --representative-data).");
        var target = Choice("--target", Targets, "cpu", "The hardware whose constraints the model must meet.");
        var data = new Option<string>("--representative-data") { Description = "Calibration samples for int8/int16x8: a folder of .npy files, one .npy with a batch axis, or a folder of images." };
        var inputType = Choice("--input-type", IoTypes, null, "Full integer: the model inputs' type (default float32; int8 for edgetpu and mcu).");
        var outputType = Choice("--output-type", IoTypes, null, "Full integer: the model outputs' type (default float32; int8 for edgetpu and mcu).");
        var calibration = Choice("--calibration", Calibrations, "minmax", "How activation ranges are calibrated.");
        var percentile = new Option<double?>("--percentile") { Description = "Percentile calibration: share of values kept, in percent (default 99.99)." };
        var maxSamples = new Option<int?>("--max-samples") { Description = "Calibrate on at most this many samples." };
        var minElements = new Option<int?>("--min-elements") { Description = "Dynamic range: weights with fewer elements stay float (default 1024)." };
        var noHybrid = new Option<bool>("--no-hybrid") { Description = "Dynamic range: read every int8 weight through DEQUANTIZE (weight-only error, better fidelity) instead of hybrid CONV_2D/FULLY_CONNECTED kernels." };
        var recipe = new Option<FileInfo>("--recipe") { Description = "JSON per-layer overrides: {\"rules\":[{\"tensor\":REGEX,\"op\":REGEX,\"scheme\":\"none|int8|int16x8\"}]}; the last match wins." };
        var report = new Option<FileInfo>("--report") { Description = "Also write a JSON report of what was done." };
        var prune = new Option<double?>("--prune") { Description = "Magnitude-prune weights to this sparsity (0 < s < 1, e.g. 0.5) before quantizing; pruned float weights are stored sparse where smaller." };
        var prunePattern = new Option<string>("--prune-pattern") { Description = "Pruning pattern: unstructured (default), block:RxC (e.g. block:1x4) or N:M (e.g. 2:4, which fixes the sparsity itself)." };
        var cluster = new Option<int?>("--cluster") { Description = "Cluster each weight tensor to at most N shared values (2..256) before quantizing; with int8 at most N codes remain." };
        var clusterInit = new Option<string>("--cluster-init") { Description = "Centroid initialization: kmeans++ (default), linear, density or random (seeded)." };
        var clusterPerChannel = new Option<bool>("--cluster-per-channel") { Description = "Cluster each output channel on its own (N values per channel; better fidelity, larger)." };
        var command = new Command("optimize", "Optimize a model and write the result.")
        {
            model, outputPath, optimization, target, data, inputType, outputType, calibration, percentile, maxSamples, minElements, noHybrid, recipe, report,
            prune, prunePattern, cluster, clusterInit, clusterPerChannel,
        };
        var budgets = BudgetOptions.AddTo(command);
        command.SetAction(parse => CommandErrors.Guard(error, () =>
        {
            var source = parse.GetValue(model)!.FullName;
            var destination = parse.GetValue(outputPath)!.FullName;
            try
            {
                var graph = ModelReader.ReadFile(source);
                var options = new OptimizationOptions
                {
                    Optimization = ParseOptimization(parse.GetValue(optimization)!),
                    Target = ParseTarget(parse.GetValue(target)!),
                    InputType = ParseIo(parse.GetValue(inputType)),
                    OutputType = ParseIo(parse.GetValue(outputType)),
                    Calibration = ParseCalibration(parse.GetValue(calibration)!),
                    Rules = parse.GetValue(recipe) is { } r ? QuantizationRecipe.Load(r.FullName) : [],
                    DynamicRangeHybridOps = !parse.GetValue(noHybrid),
                };
                if (parse.GetValue(percentile) is { } p) options = options with { CalibrationPercentile = p };
                if (parse.GetValue(maxSamples) is { } m) options = options with { MaxCalibrationSamples = m };
                if (parse.GetValue(minElements) is { } e) options = options with { DynamicRangeMinElements = e };
                options = options with
                {
                    Pruning = PruningFrom(parse.GetValue(prune), parse.GetValue(prunePattern)),
                    Clustering = ClusteringFrom(parse.GetValue(cluster), parse.GetValue(clusterInit), parse.GetValue(clusterPerChannel)),
                };
                var samples = parse.GetValue(data) is { } d ? SampleSources.Open(d, graph) : null;
                if (budgets.RunAuto(parse, parse.GetValue(optimization)!, graph, options, samples, destination, parse.GetValue(report), output, error) is { } autoExit) return autoExit;
                var progress = new StderrProgress(error);
                var result = Optimizer.Optimize(graph, options, samples, progress);
                progress.Finish();
                ModelWriter.WriteFile(result.Model, destination);
                foreach (var w in result.Warnings)
                {
                    error.WriteLine($"warning {w.Rule}: {w.Message}");
                }
                if (parse.GetValue(report) is { } reportFile)
                {
                    budgets.WriteReport(parse, graph, result, samples, source, destination, reportFile.FullName);
                }
                output.WriteLine($"{Path.GetFileName(source)} -> {destination}: {InspectCommand.Bytes(new FileInfo(source).Length)} -> " +
                                 $"{InspectCommand.Bytes(new FileInfo(destination).Length)} ({parse.GetValue(optimization)}" +
                                 (options.Pruning is { } pr ? $", pruned {pr.Pattern} {pr.TargetSparsity:P0}" : "") +
                                 (options.Clustering is { } cl ? $", {cl.ClusterCount} clusters" : "") + ")");
                return budgets.Check(parse, graph, result.Model, destination, error) ?? ExitCodes.Ok;
            }
            catch (ModelFormatException e) when (e.FilePath is null)
            {
                throw e.WithFile(source);
            }
        }));
        return command;
    }

    /// <summary>--prune and --prune-pattern as engine options; an N:M pattern alone fixes its own sparsity.</summary>
    internal static PruningOptions? PruningFrom(double? sparsity, string? patternText)
    {
        var pattern = patternText is null ? SparsityPattern.Unstructured : SparsityPattern.Parse(patternText);
        if (sparsity is null)
        {
            if (patternText is null)
            {
                return null;
            }
            if (pattern.ImpliedSparsity is null)
            {
                throw new OptimizationException(OptimizationErrorCodes.InvalidOptions,
                    $"--prune-pattern {pattern} needs --prune (the target sparsity, e.g. 0.5)");
            }
        }
        else if (pattern.ImpliedSparsity is { } implied && Math.Abs(implied - sparsity.Value) > 1e-9)
        {
            throw new OptimizationException(OptimizationErrorCodes.InvalidOptions,
                $"--prune {sparsity.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} contradicts --prune-pattern {pattern}, which prunes {implied:P0}");
        }
        return new PruningOptions { TargetSparsity = sparsity ?? pattern.ImpliedSparsity!.Value, Pattern = pattern };
    }

    /// <summary>--cluster, --cluster-init and --cluster-per-channel as engine options.</summary>
    internal static ClusteringOptions? ClusteringFrom(int? count, string? initialization, bool perChannel)
    {
        if (count is null)
        {
            if (initialization is not null || perChannel)
            {
                throw new OptimizationException(OptimizationErrorCodes.InvalidOptions,
                    "--cluster-init and --cluster-per-channel need --cluster (the number of clusters, e.g. 16)");
            }
            return null;
        }
        return new ClusteringOptions
        {
            ClusterCount = count.Value,
            Initialization = initialization is null ? CentroidInitialization.KMeansPlusPlus : ClusteringOptions.ParseInitialization(initialization),
            PerChannel = perChannel,
        };
    }

    private static Option<string> Choice(string name, string[] values, string? defaultValue, string description)
    {
        var option = new Option<string>(name) { Description = description + $" One of: {string.Join(", ", values)}." };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    private static OptimizationKind ParseOptimization(string s) => s switch
    {
        "float32" => OptimizationKind.Float32,
        "float16" => OptimizationKind.Float16,
        "dynamic" => OptimizationKind.Dynamic,
        "int8" => OptimizationKind.Int8,
        "int16x8" => OptimizationKind.Int16x8,
        _ => OptimizationKind.None,
    };

    private static OptimizationTarget ParseTarget(string s) => s switch
    {
        "gpu" => OptimizationTarget.Gpu,
        "edgetpu" => OptimizationTarget.EdgeTpu,
        "mcu" => OptimizationTarget.Mcu,
        _ => OptimizationTarget.Cpu,
    };

    private static ModelIoType? ParseIo(string? s) => s switch
    {
        null => null,
        "int8" => ModelIoType.Int8,
        "uint8" => ModelIoType.UInt8,
        "int16" => ModelIoType.Int16,
        _ => ModelIoType.Float32,
    };

    private static CalibrationMethod ParseCalibration(string s) => s switch
    {
        "moving-average" => CalibrationMethod.MovingAverage,
        "percentile" => CalibrationMethod.Percentile,
        "mse" => CalibrationMethod.Mse,
        _ => CalibrationMethod.MinMax,
    };

    /// <summary>Prints "calibration 12/32" on stderr, overwriting the line, at most once per step.</summary>
    private sealed class StderrProgress(TextWriter error) : IProgress<OptimizationProgress>
    {
        private bool _any;

        public void Report(OptimizationProgress value)
        {
            _any = true;
            error.Write($"\r{value.Stage} {value.Done}{(value.Total is { } t ? $"/{t}" : "")}   ");
        }

        public void Finish()
        {
            if (_any)
            {
                error.WriteLine();
            }
        }
    }
}
