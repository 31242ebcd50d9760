using System.Text;

namespace ModelBuildTasks.Generator.Emit;

/// <summary>Appends indented lines; '\n' line endings on every OS so the output (and snapshots) are byte-stable.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder builder = new();
    private int indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            builder.Append(' ', indent * 4);
            builder.Append(text);
        }
        builder.Append('\n');
    }

    public void Open(string header)
    {
        if (header.Length > 0)
        {
            Line(header);
        }
        Line("{");
        indent++;
    }

    public void Close(string suffix = "")
    {
        // No blank line before a closing brace: members end with one as a separator.
        if (builder.Length >= 2 && builder[builder.Length - 1] == '\n' && builder[builder.Length - 2] == '\n')
        {
            builder.Length--;
        }
        indent--;
        Line("}" + suffix);
    }

    public override string ToString() => builder.ToString();
}
