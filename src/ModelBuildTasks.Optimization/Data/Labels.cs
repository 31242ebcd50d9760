using System.Globalization;

namespace ModelBuildTasks.Optimization.Data;

/// <summary>Class labels of a data set, read from a CSV <c>file,label</c> or a .npy array of integers.</summary>
internal static class Labels
{
    /// <summary>
    /// Reads a CSV of <c>file,label</c> rows (an optional header row is skipped; labels are integers ≥ 0). Keys are the
    /// file column with '/' separators; a sample matches by its id with or without extension.
    /// </summary>
    public static Dictionary<string, int> ReadCsv(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(DataErrorCodes.DataNotFound, $"cannot read the labels file: {e.Message}", path, e);
        }

        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var comma = line.LastIndexOf(',');
            if (comma <= 0)
            {
                throw new DataException(DataErrorCodes.InvalidLabels, $"line {i + 1}: expected 'file,label', got '{line}'", path);
            }
            var file = line[..comma].Trim().Trim('"').Replace('\\', '/');
            var text = line[(comma + 1)..].Trim().Trim('"');
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var label))
            {
                if (labels.Count == 0)
                {
                    continue; // a header row such as "file,label"
                }
                throw new DataException(DataErrorCodes.InvalidLabels,
                    $"line {i + 1}: the label '{text}' is not a non-negative integer", path);
            }
            if (!labels.TryAdd(file, label))
            {
                throw new DataException(DataErrorCodes.InvalidLabels, $"line {i + 1}: '{file}' is labeled twice", path);
            }
        }
        return labels;
    }

    /// <summary>Reads a 1-D integer .npy of <paramref name="count"/> labels.</summary>
    public static int[] ReadNpy(string path, int count)
    {
        var npy = NpyFile.Open(path);
        if (npy.ElementCount != count || npy.Shape.Count > 2)
        {
            throw new DataException(DataErrorCodes.LabelsMismatch,
                $"the labels array has shape {npy.ShapeText}; the data has {count} samples", path);
        }
        if (npy.Type is NpyType.Float16 or NpyType.Float32 or NpyType.Float64)
        {
            throw new DataException(DataErrorCodes.InvalidLabels, $"labels must be integers, not {npy.Type}", path);
        }
        var values = new double[count];
        npy.ReadAsDoubles(0, values);
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (values[i] < 0 || values[i] > int.MaxValue)
            {
                throw new DataException(DataErrorCodes.InvalidLabels, $"label {i} is {values[i]}; labels must be ≥ 0", path);
            }
            labels[i] = (int)values[i];
        }
        return labels;
    }

    /// <summary>Assigns CSV labels to sample ids; every sample needs one and every row must match a sample.</summary>
    public static int[] Assign(IReadOnlyList<string> ids, Dictionary<string, int> csv, string labelsPath, string dataPath)
    {
        var result = new int[ids.Count];
        var used = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var withoutExtension = Path.ChangeExtension(id, null).Replace('\\', '/');
            if (csv.TryGetValue(id, out var label) || csv.TryGetValue(withoutExtension, out label))
            {
                result[i] = label;
                used++;
                continue;
            }
            throw new DataException(DataErrorCodes.LabelsMismatch,
                $"sample '{id}' of {dataPath} has no label in the labels file", labelsPath);
        }
        if (used != csv.Count)
        {
            var known = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in ids)
            {
                known.Add(id);
                known.Add(Path.ChangeExtension(id, null).Replace('\\', '/'));
            }
            var orphan = csv.Keys.Where(k => !known.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).First();
            throw new DataException(DataErrorCodes.LabelsMismatch,
                $"the labels file names '{orphan}', which is not a sample of {dataPath} ({csv.Count - used} such row(s))", labelsPath);
        }
        return result;
    }
}
