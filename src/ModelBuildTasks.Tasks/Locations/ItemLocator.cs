using System.Xml;

namespace ModelBuildTasks.Tasks.Locations;

/// <summary>Where an item is declared: the project (or import) file and the 1-based line and column of its element.</summary>
/// <param name="File">Absolute path of the declaring file.</param>
/// <param name="Line">1-based line; 0 when unknown.</param>
/// <param name="Column">1-based column; 0 when unknown.</param>
public sealed record ItemLocation(string File, int Line, int Column);

/// <summary>
/// Finds the <c>&lt;ModelItem Include=…&gt;</c> element an item comes from, so diagnostics point at its line.
/// MSBuild tells us the declaring file (DefiningProjectFullPath); the element is found by reading that file with an
/// XmlReader that keeps line info. Files are read once per task run and cached.
/// </summary>
public sealed class ItemLocator
{
    private readonly Dictionary<string, List<(string Include, int Line, int Column)>> elementsByFile = new(StringComparer.Ordinal);

    /// <summary>Locates the element declaring item <paramref name="itemSpec"/> in <paramref name="definingFile"/>.</summary>
    public ItemLocation Locate(string definingFile, string itemSpec, string itemType = "ModelItem")
    {
        if (string.IsNullOrEmpty(definingFile))
        {
            return new ItemLocation("", 0, 0);
        }

        if (!elementsByFile.TryGetValue(definingFile, out var elements))
        {
            elements = ReadElements(definingFile, itemType);
            elementsByFile[definingFile] = elements;
        }

        var wanted = Normalize(itemSpec);
        // An exact Include match first; then an element whose Include lists the item among others ("a.tflite;b.tflite");
        // then a lone element (wildcards, properties); else the file without a line.
        foreach (var e in elements)
        {
            if (Normalize(e.Include) == wanted)
            {
                return new ItemLocation(definingFile, e.Line, e.Column);
            }
        }

        foreach (var e in elements)
        {
            if (e.Include.Split(';').Any(part => Normalize(part) == wanted))
            {
                return new ItemLocation(definingFile, e.Line, e.Column);
            }
        }

        return elements.Count == 1
            ? new ItemLocation(definingFile, elements[0].Line, elements[0].Column)
            : new ItemLocation(definingFile, 0, 0);
    }

    private static string Normalize(string path) => path.Trim().Replace('\\', '/').TrimStart('.', '/');

    private static List<(string, int, int)> ReadElements(string file, string itemType)
    {
        var result = new List<(string, int, int)>();
        try
        {
            using var reader = XmlReader.Create(file, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            var info = (IXmlLineInfo)reader;
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == itemType && reader.GetAttribute("Include") is { } include)
                {
                    result.Add((include, info.LineNumber, info.LinePosition > 1 ? info.LinePosition - 1 : info.LinePosition));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or XmlException)
        {
            // MSBuild already read this file; a failure here only costs the line number.
        }

        return result;
    }
}
