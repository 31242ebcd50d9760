using System.Globalization;

namespace ModelBuildTasks.Optimization.ModelCards;

/// <summary>Byte sizes as people write them: "2MB", "1.5 MiB", "300kb", "1024".</summary>
public static class Sizes
{
    /// <summary>
    /// Parses a size. Units: B, KB/MB/GB (decimal, 1000) and KiB/MiB/GiB (binary, 1024), case-insensitive, optional
    /// space; a bare number is bytes. Returns false for anything else (negative, fractional bytes, overflow).
    /// </summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var split = s.Length;
        while (split > 0 && char.IsLetter(s[split - 1]))
        {
            split--;
        }

        var unit = s[split..].ToUpperInvariant();
        var number = s[..split].TrimEnd();
        long multiplier = unit switch
        {
            "" or "B" => 1,
            "KB" => 1000,
            "MB" => 1000 * 1000,
            "GB" => 1000L * 1000 * 1000,
            "KIB" => 1024,
            "MIB" => 1024 * 1024,
            "GIB" => 1024L * 1024 * 1024,
            _ => 0,
        };
        if (multiplier == 0 || number.Length == 0 || !char.IsDigit(number[0]) ||
            !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        decimal total;
        try
        {
            total = value * multiplier;
        }
        catch (OverflowException)
        {
            return false;
        }

        if (total != decimal.Truncate(total) || total > long.MaxValue)
        {
            return false;
        }

        bytes = (long)total;
        return true;
    }

    /// <summary>Formats bytes for messages: "812 B", "41.3 KB", "2.41 MB" (decimal units).</summary>
    public static string Format(long bytes)
    {
        var abs = Math.Abs((double)bytes);
        return abs switch
        {
            < 1000 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
            < 1000 * 1000 => (bytes / 1000.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
            < 1000.0 * 1000 * 1000 => (bytes / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " MB",
            _ => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
        };
    }
}
