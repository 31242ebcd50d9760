using System.Text.Json;
using ModelBuildTasks.Model;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>
/// The Baseline: a checked-in JSON record of the last accepted model size. Either <c>{ "bytes": 1712000 }</c> or a
/// copy of a report or model card (its <c>optimized.bytes</c> is used), so accepting a build is "copy the report".
/// </summary>
public static class BaselineFile
{
    /// <summary>The accepted optimized size in bytes.</summary>
    public static long ReadBytes(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("bytes", out var bytes) && bytes.TryGetInt64(out var direct) && direct >= 0)
                {
                    return direct;
                }

                if (root.TryGetProperty("optimized", out var optimized) && optimized.ValueKind == JsonValueKind.Object &&
                    optimized.TryGetProperty("bytes", out var nested) && nested.TryGetInt64(out var fromReport) && fromReport >= 0)
                {
                    return fromReport;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new ModelFormatException(TaskErrorCodes.BadBaseline, $"cannot read the Baseline: {e.Message}", path);
        }

        throw new ModelFormatException(TaskErrorCodes.BadBaseline,
            "the Baseline has no size: expected { \"bytes\": N } or a report/model card with optimized.bytes", path);
    }
}
