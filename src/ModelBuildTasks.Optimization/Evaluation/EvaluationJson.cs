using System.Text;
using System.Text.Json;

namespace ModelBuildTasks.Optimization.Evaluation;

/// <summary>
/// The stable JSON form of an <see cref="EvaluationReport"/> (as `mbt evaluate --json` prints it): camelCase, fields
/// added but never renamed or removed. JSON has no infinity, so non-finite figures (the SQNR of identical tensors) are
/// written as null.
/// </summary>
public static class EvaluationJson
{
    /// <summary>Format version of the JSON form; changes only for incompatible changes.</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes <paramref name="report"/> with the files it compared (any may be null).</summary>
    public static string ToJson(EvaluationReport report, string? reference = null, string? candidate = null, string? data = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("formatVersion", FormatVersion);
            w.WriteString("reference", reference);
            w.WriteString("candidate", candidate);
            w.WriteString("data", data);
            w.WriteNumber("samples", report.Samples);
            Number(w, "minCosine", report.MinCosine);
            Number(w, "minSqnrDb", report.MinSqnrDb);
            if (report.Accuracy is { } a)
            {
                w.WriteStartObject("accuracy");
                Number(w, "referenceAccuracy", a.ReferenceAccuracy);
                Number(w, "candidateAccuracy", a.CandidateAccuracy);
                Number(w, "drop", a.Drop);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("accuracy");
            }
            Tensors(w, "outputs", report.Outputs);
            w.WriteNumber("layersCompared", report.LayersCompared);
            Tensors(w, "layers", report.Layers);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Tensors(Utf8JsonWriter w, string name, IReadOnlyList<TensorMetrics> tensors)
    {
        w.WriteStartArray(name);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("opType", t.OpType);
            Number(w, "cosine", t.Cosine);
            Number(w, "sqnrDb", t.SqnrDb);
            Number(w, "mse", t.Mse);
            Number(w, "maxAbsError", t.MaxAbsError);
            Number(w, "top1Agreement", t.Top1Agreement);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
