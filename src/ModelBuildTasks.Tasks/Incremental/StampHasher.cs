using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Incremental;

/// <summary>
/// The fingerprint of everything an item's outputs depend on: its effective settings, the model's content hash, the
/// data files (relative names, sizes, write times) and the tool version (package version plus the engine assembly's
/// build id, so a rebuilt engine re-runs too). Written to a stamp file only when it changes; the optimize target uses
/// that file as its input, so timestamps alone never decide (a touched but unchanged model does not re-run, a changed
/// budget does).
/// </summary>
public static class StampHasher
{
    /// <summary>The tool identity folded into every stamp.</summary>
    public static string ToolIdentity { get; } = ComputeToolIdentity();

    /// <summary>The package version the task came from.</summary>
    public static string ToolVersion { get; } = ComputeToolVersion();

    /// <summary>The stamp text: a readable list of the inputs, ending with their SHA-256.</summary>
    public static string Compute(ModelItemSettings settings, string toolIdentity, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        text.Append("tool ").Append(toolIdentity).Append('\n');
        // The record's generated ToString lists every property, so a new setting is hashed without touching this code.
        var culture = CultureInfo.CurrentCulture;
        try
        {
            // Numbers in the record's text must not depend on the build machine's culture.
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            text.Append("settings ").Append(settings).Append('\n');
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        text.Append("model ").Append(HashFile(settings.ModelPath, cancellationToken)).Append('\n');
        foreach (var data in new[] { settings.RepresentativeData, settings.EvaluationData, settings.Labels, settings.Recipe, settings.Baseline })
        {
            if (data is not null)
            {
                AppendTree(text, data, cancellationToken);
            }
        }

        var digest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
        return text.Append("sha256 ").Append(digest).Append('\n').ToString();
    }

    /// <summary>Lower-case hex SHA-256 of a file's content, or "missing".</summary>
    public static string HashFile(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
        {
            return "missing";
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>Lower-case hex SHA-256 of bytes.</summary>
    public static string HashBytes(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>A file, or every file under a folder in ordinal order: relative name, size and last write time.</summary>
    private static void AppendTree(StringBuilder text, string path, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            AppendFile(text, path, Path.GetFileName(path));
            return;
        }

        if (!Directory.Exists(path))
        {
            text.Append("missing ").Append(path).Append('\n');
            return;
        }

        text.Append("folder ").Append(path).Append('\n');
        var files = Directory.GetFiles(path, "*", SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            AppendFile(text, file, Path.GetRelativePath(path, file).Replace('\\', '/'));
        }
    }

    private static void AppendFile(StringBuilder text, string file, string name)
    {
        var info = new FileInfo(file);
        text.Append("file ").Append(name).Append(' ')
            .Append(info.Length.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static string ComputeToolVersion()
    {
        var version = typeof(StampHasher).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    private static string ComputeToolIdentity() =>
        ComputeToolVersion() + " " +
        typeof(StampHasher).Assembly.ManifestModule.ModuleVersionId.ToString("N") + " " +
        typeof(Optimization.Optimizer).Assembly.ManifestModule.ModuleVersionId.ToString("N") + " " +
        typeof(Model.ModelGraph).Assembly.ManifestModule.ModuleVersionId.ToString("N");
}
