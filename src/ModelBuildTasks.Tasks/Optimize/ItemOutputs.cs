namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>The files the build writes for one model item, all under the project's intermediate folder.</summary>
/// <param name="Directory">The folder (obj/…/models/).</param>
/// <param name="Name">The item's output base name.</param>
public sealed record ItemOutputs(string Directory, string Name)
{
    /// <summary>The optimized model.</summary>
    public string Model => Path.Combine(Directory, Name + ".tflite");

    /// <summary>The report (sizes, metrics, per-layer errors, settings, hashes).</summary>
    public string Report => Path.Combine(Directory, Name + ".report.json");

    /// <summary>The report rendered as one self-contained HTML page (Report="html").</summary>
    public string HtmlReport => Path.Combine(Directory, Name + ".report.html");

    /// <summary>The report as a Markdown summary (Report="md").</summary>
    public string MarkdownReport => Path.Combine(Directory, Name + ".report.md");

    /// <summary>Optimization="auto": the chosen configuration as a recipe file (check it in and set Recipe to pin it).</summary>
    public string Recipe => Path.Combine(Directory, Name + ".recipe.json");

    /// <summary>The model card for the source generator; written last, so it is the target's output.</summary>
    public string Card => Path.Combine(Directory, Name + ".modelcard.json");

    /// <summary>The stamp: the fingerprint of every input (the target's input).</summary>
    public string Stamp => Path.Combine(Directory, Name + ".stamp");

    /// <summary>Every file, for FileWrites (the optional ones too, so <c>dotnet clean</c> removes them when present).</summary>
    public IEnumerable<string> All => [Model, Report, HtmlReport, MarkdownReport, Recipe, Card, Stamp];
}
