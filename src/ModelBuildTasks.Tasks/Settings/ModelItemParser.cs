using System.Globalization;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Optimization.Pruning;

namespace ModelBuildTasks.Tasks.Settings;

/// <summary>
/// Turns a <c>&lt;ModelItem&gt;</c>'s metadata (plus project-wide defaults) into <see cref="ModelItemSettings"/>, or
/// into coded errors. Item metadata wins over defaults; unknown metadata is an error (typos must not be ignored).
/// </summary>
public static class ModelItemParser
{
    /// <summary>Samples evaluated when EvaluationSamples is not set.</summary>
    public const int DefaultEvaluationSamples = 32;

    /// <summary>Seeded random samples evaluated when there is no data at all.</summary>
    public const int RandomEvaluationSamples = 8;

    /// <summary>
    /// Every metadata name a ModelItem accepts (MSBuild metadata names are case-insensitive). The target hardware is
    /// TargetDevice because MSBuild reserves the metadata name Target (error MSB4118).
    /// </summary>
    public static readonly IReadOnlyList<string> KnownMetadata =
    [
        "Optimization", "TargetDevice", "RepresentativeData", "EvaluationData", "EvaluationSamples", "Labels",
        "InputType", "OutputType", "Calibration", "Recipe", "Prune", "PrunePattern", "Cluster", "ClusterInit",
        "MaxSize", "MaxCompressedSize", "MaxAccuracyDrop", "MinCosine", "MinSqnr", "Baseline", "MaxSizeGrowth",
        "BudgetSeverity", "ClassName", "Namespace", "GenerateWrapper", "Deploy", "HybridOps", "Report",
    ];

    /// <summary>Metadata the build itself attaches to items (prefix): never reported as unknown.</summary>
    public const string InternalMetadataPrefix = "_Mbt";

    /// <summary>Metadata MSBuild or the IDE put on any item (copies, Solution Explorer): not the user's settings.</summary>
    private static readonly string[] IgnoredMetadata = ["OriginalItemSpec", "Visible"];

    private static readonly string[] Optimizations = ["none", "float16", "dynamic", "int8", "int16x8", "auto"];
    private static readonly string[] Targets = ["cpu", "gpu", "edgetpu", "mcu"];
    private static readonly string[] IoTypes = ["float32", "int8", "uint8", "int16"];
    private static readonly string[] Calibrations = ["minmax", "moving-average", "percentile", "mse"];
    private static readonly string[] ClusterInits = ["kmeans++", "linear", "density", "random"];
    private static readonly string[] Severities = ["error", "warning"];
    private static readonly string[] Deploys = ["copy", "embed", "none"];
    private static readonly string[] Booleans = ["true", "false"];
    private static readonly string[] ReportFormats = ["json", "html", "md"];

    /// <summary>Parses one item.</summary>
    /// <param name="include">The item spec as written (relative to the project, usually).</param>
    /// <param name="metadata">The item's custom metadata (name → value; empty values count as unset).</param>
    /// <param name="defaults">Project-wide defaults by metadata name (from the Model…Default properties).</param>
    /// <param name="projectDirectory">Folder relative paths are resolved against.</param>
    /// <param name="errors">Receives every problem found (parsing goes on to report them all at once).</param>
    /// <returns>The settings, or null when there were errors.</returns>
    public static ModelItemSettings? Parse(
        string include,
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyDictionary<string, string> defaults,
        string projectDirectory,
        List<SettingsError> errors)
    {
        var before = errors.Count;
        foreach (var key in metadata.Keys)
        {
            if (!key.StartsWith(InternalMetadataPrefix, StringComparison.Ordinal) &&
                !IgnoredMetadata.Contains(key, StringComparer.OrdinalIgnoreCase) &&
                !KnownMetadata.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                var hint = KnownMetadata.FirstOrDefault(k => Distance(k.ToLowerInvariant(), key.ToLowerInvariant()) <= 2);
                errors.Add(new(TaskErrorCodes.UnknownMetadata,
                    $"unknown ModelItem metadata '{key}'" + (hint is null ? "" : $" (did you mean '{hint}'?)") +
                    $". Known: {string.Join(", ", KnownMetadata)}."));
            }
        }

        var reader = new Reader(metadata, defaults, errors);
        var modelPath = Path.GetFullPath(Path.Combine(projectDirectory, include));
        var target = reader.Choice("TargetDevice", Targets) ?? "cpu";
        var requested = reader.Choice("Optimization", Optimizations) ?? "";
        var representative = reader.ExistingPath("RepresentativeData", projectDirectory);
        var settings = new ModelItemSettings
        {
            Include = include,
            ModelPath = modelPath,
            Name = Path.GetFileNameWithoutExtension(include),
            RequestedOptimization = requested,
            Optimization = ResolveOptimization(requested, target, representative is not null, errors),
            Target = target,
            RepresentativeData = representative,
            EvaluationData = reader.ExistingPath("EvaluationData", projectDirectory),
            EvaluationSamples = reader.Integer("EvaluationSamples", 1, 1_000_000) ?? DefaultEvaluationSamples,
            Labels = reader.ExistingPath("Labels", projectDirectory),
            InputType = reader.Choice("InputType", IoTypes),
            OutputType = reader.Choice("OutputType", IoTypes),
            Calibration = reader.Choice("Calibration", Calibrations) ?? "minmax",
            Recipe = reader.ExistingPath("Recipe", projectDirectory),
            Prune = reader.Fraction("Prune", allowZero: false, max: 0.99),
            PrunePattern = reader.PrunePattern("PrunePattern") ?? "unstructured",
            Cluster = reader.Integer("Cluster", 2, 256),
            ClusterInit = reader.Choice("ClusterInit", ClusterInits) ?? "kmeans++",
            MaxSize = reader.Size("MaxSize"),
            MaxCompressedSize = reader.Size("MaxCompressedSize"),
            MaxAccuracyDrop = reader.Fraction("MaxAccuracyDrop", allowZero: true, max: 1),
            MinCosine = reader.Number("MinCosine", -1, 1, unit: null),
            MinSqnrDb = reader.Number("MinSqnr", double.MinValue, double.MaxValue, unit: "dB"),
            Baseline = reader.ExistingPath("Baseline", projectDirectory),
            MaxSizeGrowth = reader.Fraction("MaxSizeGrowth", allowZero: true, max: 100),
            BudgetSeverity = reader.Choice("BudgetSeverity", Severities) ?? "error",
            ClassName = reader.Identifier("ClassName", dotted: false),
            Namespace = reader.Identifier("Namespace", dotted: true),
            GenerateWrapper = (reader.Choice("GenerateWrapper", Booleans) ?? "true") == "true",
            Deploy = reader.Choice("Deploy", Deploys) ?? "copy",
            HybridOps = (reader.Choice("HybridOps", Booleans) ?? "true") == "true",
            ReportFormat = reader.Choice("Report", ReportFormats) ?? "json",
        };

        if (settings.Optimization == "auto" && settings is { MaxSize: null, MaxCompressedSize: null, MaxAccuracyDrop: null, MinCosine: null, MinSqnrDb: null })
        {
            errors.Add(new(TaskErrorCodes.Conflict,
                "Optimization=auto searches for the smallest model that meets the budgets, and none is set: add MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine or MinSqnr"));
        }

        if (settings.Name.Length == 0)
        {
            errors.Add(new(TaskErrorCodes.InvalidChoice, $"'{include}' has no file name to name the outputs after"));
        }

        if (settings.MaxSizeGrowth is not null && settings.Baseline is null)
        {
            errors.Add(new(TaskErrorCodes.Conflict, "MaxSizeGrowth is set but Baseline is not: growth is measured against the Baseline file"));
        }

        if (settings.ClusterInit != "kmeans++" && settings.Cluster is null)
        {
            errors.Add(new(TaskErrorCodes.Conflict, "ClusterInit is set but Cluster (the number of clusters) is not"));
        }

        // An N:M pattern fixes its own sparsity; the others need Prune.
        if (settings.PrunePattern != "unstructured" && SparsityPattern.Parse(settings.PrunePattern).ImpliedSparsity is null && settings.Prune is null)
        {
            errors.Add(new(TaskErrorCodes.Conflict, "PrunePattern is set but Prune (the target sparsity) is not"));
        }

        return errors.Count == before ? settings : null;
    }

    /// <summary>
    /// The LiteRT guide's workflow as defaults: no data → the data-free quantization the target runs best (float16 on
    /// gpu, dynamic range on cpu); with RepresentativeData → full integer where the target supports it. Edge TPU and
    /// microcontrollers need full-integer models, so they need data.
    /// </summary>
    public static string ResolveOptimization(string requested, string target, bool hasRepresentativeData, List<SettingsError> errors)
    {
        var needsInteger = target is "edgetpu" or "mcu";
        if (requested.Length == 0)
        {
            if (target == "gpu")
            {
                return "float16";
            }

            if (hasRepresentativeData)
            {
                return "int8";
            }

            if (needsInteger)
            {
                errors.Add(new(TaskErrorCodes.Conflict,
                    $"TargetDevice={target} needs a full-integer model, which needs RepresentativeData (a folder of samples for calibration)"));
            }

            return "dynamic";
        }

        if (requested is "int8" or "int16x8" && !hasRepresentativeData)
        {
            errors.Add(new(TaskErrorCodes.Conflict,
                $"Optimization={requested} quantizes activations and needs RepresentativeData (a folder of samples for calibration); " +
                "without data use Optimization=dynamic or float16"));
        }
        else if (needsInteger && requested is "float16" or "dynamic" or "none")
        {
            errors.Add(new(TaskErrorCodes.Conflict,
                $"TargetDevice={target} runs only full-integer models; Optimization={requested} cannot run there (use int8 with RepresentativeData)"));
        }
        else if (target == "edgetpu" && requested == "int16x8")
        {
            errors.Add(new(TaskErrorCodes.Conflict, "TargetDevice=edgetpu has no 16x8 kernels; use Optimization=int8"));
        }

        return requested;
    }

    /// <summary>Reads values item-first, then from the defaults; records errors naming where a value came from.</summary>
    private sealed class Reader(
        IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, string> defaults, List<SettingsError> errors)
    {
        private (string Value, string Where)? Get(string name)
        {
            foreach (var (key, value) in metadata)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(value))
                {
                    return (value.Trim(), $"{name}=\"{value}\"");
                }
            }

            foreach (var (key, value) in defaults)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(value))
                {
                    return (value.Trim(), $"{name}=\"{value}\" (project default)");
                }
            }

            return null;
        }

        public string? Choice(string name, string[] allowed)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            var lower = value.ToLowerInvariant();
            if (allowed.Contains(lower))
            {
                return lower;
            }

            errors.Add(new(TaskErrorCodes.InvalidChoice, $"{where} is not valid; use one of: {string.Join(", ", allowed)}"));
            return null;
        }

        /// <summary>unstructured, N:M (2:4) or block:RxC (block alone = block:1x4), normalized.</summary>
        public string? PrunePattern(string name)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            var text = value.ToLowerInvariant() == "block" ? "block:1x4" : value;
            try
            {
                return SparsityPattern.Parse(text).ToString();
            }
            catch (OptimizationException)
            {
                errors.Add(new(TaskErrorCodes.InvalidChoice, $"{where} is not valid; use unstructured, block:RxC (e.g. block:1x4, block alone = 1x4) or N:M (e.g. 2:4)"));
                return null;
            }
        }

        public string? ExistingPath(string name, string projectDirectory)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            var full = Path.GetFullPath(Path.Combine(projectDirectory, value));
            if (File.Exists(full) || Directory.Exists(full))
            {
                return full;
            }

            errors.Add(new(TaskErrorCodes.FileNotFound, $"{where}: '{full}' does not exist"));
            return null;
        }

        public long? Size(string name)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            if (Sizes.TryParse(value, out var bytes))
            {
                return bytes;
            }

            errors.Add(new(TaskErrorCodes.InvalidSize,
                $"{where} is not a size; write bytes or a number with B, KB, MB, GB (1000) or KiB, MiB, GiB (1024), e.g. 2MB or 1.5MiB"));
            return null;
        }

        public int? Integer(string name, int min, int max)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
            {
                return n;
            }

            errors.Add(new(TaskErrorCodes.InvalidNumber, $"{where} must be a whole number from {min} to {max}"));
            return null;
        }

        /// <summary>A fraction written as 0.05 or 5%.</summary>
        public double? Fraction(string name, bool allowZero, double max)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            var percent = value.EndsWith('%');
            var text = percent ? value[..^1].TrimEnd() : value;
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            {
                n = percent ? n / 100 : n;
                if ((allowZero ? n >= 0 : n > 0) && n <= max)
                {
                    return n;
                }
            }

            errors.Add(new(TaskErrorCodes.InvalidNumber,
                $"{where} must be a fraction {(allowZero ? "from 0" : "above 0")} to {max.ToString(CultureInfo.InvariantCulture)} (e.g. 0.05) or a percentage (e.g. 5%)"));
            return null;
        }

        public double? Number(string name, double min, double max, string? unit)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            var text = unit is not null && value.EndsWith(unit, StringComparison.OrdinalIgnoreCase) ? value[..^unit.Length].TrimEnd() : value;
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) &&
                double.IsFinite(n) && n >= min && n <= max)
            {
                return n;
            }

            var range = min == double.MinValue ? "a number" : $"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
            errors.Add(new(TaskErrorCodes.InvalidNumber, $"{where} must be {range}{(unit is null ? "" : $" (optionally followed by {unit})")}"));
            return null;
        }

        public string? Identifier(string name, bool dotted)
        {
            if (Get(name) is not var (value, where))
            {
                return null;
            }

            var parts = dotted ? value.Split('.') : [value];
            if (parts.All(IsIdentifier))
            {
                return value;
            }

            errors.Add(new(TaskErrorCodes.InvalidChoice,
                $"{where} is not a valid C# {(dotted ? "namespace" : "identifier")} (letters, digits and _, not starting with a digit)"));
            return null;
        }

        private static bool IsIdentifier(string s) =>
            s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');
    }

    /// <summary>Edit distance, for "did you mean" hints on misspelt metadata.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
