using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ModelBuildTasks.Generator.Emit;

/// <summary>C# literals and XML doc text, culture-invariant and exact.</summary>
internal static class Literals
{
    public static string String(string? value)
    {
        if (value is null)
        {
            return "null";
        }
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < ' ' || c == '\u2028' || c == '\u2029' || c == '\u0085')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }
                    break;
            }
        }
        builder.Append('"');
        return builder.ToString();
    }

    public static string Float(double value)
    {
        var f = (float)value;
        if (float.IsNaN(f))
        {
            return "float.NaN";
        }
        if (float.IsInfinity(f))
        {
            return f > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity";
        }
        return f.ToString("R", CultureInfo.InvariantCulture) + "f";
    }

    public static string Double(double value) =>
        double.IsNaN(value) ? "double.NaN"
        : double.IsInfinity(value) ? (value > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity")
        : value.ToString("R", CultureInfo.InvariantCulture) + "d";

    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string NullableDouble(double? value) => value is { } v ? Double(v) : "null";

    public static string NullableLong(long? value) => value is { } v ? Long(v) : "null";

    public static string NullableInt(int? value) => value is { } v ? Int(v) : "null";

    public static string IntArray(IEnumerable<int> values) => "new int[] { " + Join(values, v => Int(v)) + " }";

    public static string FloatArray(IEnumerable<double> values) => "new float[] { " + Join(values, Float) + " }";

    public static string Dims(IEnumerable<int> values) => "[" + Join(values, v => v.ToString(CultureInfo.InvariantCulture), ",") + "]";

    public static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Escapes text for an XML doc comment and keeps it on one line.</summary>
    public static string Xml(string? text)
    {
        if (text is null)
        {
            return "";
        }
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '\r':
                case '\n':
                case '\t':
                    builder.Append(' ');
                    break;
                default:
                    if (c >= ' ')
                    {
                        builder.Append(c);
                    }
                    break;
            }
        }
        return builder.ToString();
    }

    public static string Join<T>(IEnumerable<T> values, Func<T, string> format, string separator = ", ")
    {
        var builder = new StringBuilder();
        foreach (var value in values)
        {
            if (builder.Length > 0)
            {
                builder.Append(separator);
            }
            builder.Append(format(value));
        }
        return builder.ToString();
    }
}
