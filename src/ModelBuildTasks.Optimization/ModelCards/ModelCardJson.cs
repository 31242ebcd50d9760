using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization.ModelCards;

/// <summary>Error codes of model card files (shared with the budget analyzer, which reports the same code).</summary>
public static class ModelCardErrorCodes
{
    /// <summary>A model card is missing, unreadable or of a newer format.</summary>
    public const string Unreadable = "MBT3010";
}

/// <summary>
/// Reads and writes model cards as deterministic UTF-8 JSON: camelCase, indented, nulls written, "\n" line ends,
/// same card → same bytes (no timestamps, stable property order).
/// </summary>
public static class ModelCardJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The card as JSON bytes (UTF-8, no BOM, ending with a newline).</summary>
    public static byte[] ToBytes(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var json = JsonSerializer.Serialize(card, Options).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
        return Encoding.UTF8.GetBytes(json);
    }

    /// <summary>Writes the card atomically (temporary file, then rename).</summary>
    public static void WriteFile(ModelCard card, string path) => AtomicFile.Write(path, ToBytes(card));

    /// <summary>Reads a card; a missing, malformed or newer-format file gives <see cref="ModelCardErrorCodes.Unreadable"/>.</summary>
    public static ModelCard ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(ModelCardErrorCodes.Unreadable, $"cannot read the model card: {e.Message}", path);
        }

        ModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<ModelCard>(bytes, Options);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(ModelCardErrorCodes.Unreadable, $"the model card is not valid JSON: {e.Message}", path);
        }

        if (card is null)
        {
            throw new ModelFormatException(ModelCardErrorCodes.Unreadable, "the model card is empty", path);
        }

        if (card.FormatVersion > ModelCard.CurrentFormatVersion)
        {
            throw new ModelFormatException(
                ModelCardErrorCodes.Unreadable,
                $"the model card has format version {card.FormatVersion}; this version reads up to {ModelCard.CurrentFormatVersion} (rebuild with one ModelBuildTasks version)",
                path);
        }

        return card;
    }
}

/// <summary>Writes whole files atomically: a reader (or a cancelled build) never sees a partial file.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to a temporary file beside <paramref name="path"/>, then renames it.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
