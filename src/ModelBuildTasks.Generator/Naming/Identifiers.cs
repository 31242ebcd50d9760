using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelBuildTasks.Generator.Naming;

/// <summary>
/// Turns tensor, model and namespace names into valid C# identifiers. Core ML and Android Studio both shipped
/// wrappers that did not compile for names with '-', '/', ':', leading digits or keywords; every such case maps to
/// a PascalCase identifier here.
/// </summary>
internal static class Identifiers
{
    /// <summary>Longest generated name stem; derived names add a few characters.</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// PascalCase from any text: characters that cannot appear in an identifier split words ("input_1:0" → "Input10",
    /// "conv2d/BiasAdd" → "Conv2dBiasAdd"); a leading digit gets <paramref name="prefixForDigit"/>; empty → fallback.
    /// </summary>
    public static string ToPascal(string raw, string fallback, string prefixForDigit = "T")
    {
        // The converter joins fused ops' names with ';' ("model/conv/BiasAdd;model/conv/Conv2D;bias"): the first
        // part names the tensor. C# also caps identifiers at 512 characters; keep member names readable.
        var semicolon = raw.IndexOf(';');
        if (semicolon > 0)
        {
            raw = raw.Substring(0, semicolon);
        }
        var builder = new StringBuilder(raw.Length);
        var upperNext = true;
        foreach (var c in raw)
        {
            if (!IsIdentifierPart(c) || c == '_')
            {
                upperNext = true;
                continue;
            }
            builder.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = false;
        }
        if (builder.Length == 0)
        {
            return fallback;
        }
        if (!IsIdentifierStart(builder[0]))
        {
            builder.Insert(0, prefixForDigit);
        }
        if (builder.Length > MaxLength)
        {
            builder.Length = MaxLength;
        }
        var name = builder.ToString();
        // PascalCase rarely hits a keyword, but a user-chosen ClassName may: escape it.
        return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
    }

    /// <summary>A user-given class name is kept when it is already a valid identifier, else sanitized.</summary>
    public static string ClassName(string? given, string modelName)
    {
        if (given is { Length: > 0 } && SyntaxFacts.IsValidIdentifier(given))
        {
            return SyntaxFacts.GetKeywordKind(given) != SyntaxKind.None ? "@" + given : given;
        }
        return ToPascal(given is { Length: > 0 } ? given : modelName, "Model", "Model");
    }

    /// <summary>A dotted namespace with every segment made valid; null or empty means the global namespace.</summary>
    public static string? Namespace(string? given)
    {
        if (given is null || given.Trim().Length == 0)
        {
            return null;
        }
        var parts = given.Split('.');
        var result = new List<string>(parts.Length);
        foreach (var part in parts)
        {
            var trimmed = part.Trim();
            if (trimmed.Length == 0)
            {
                continue;
            }
            var segment = SyntaxFacts.IsValidIdentifier(trimmed) ? trimmed : ToPascal(trimmed, "Models", "N");
            result.Add(SyntaxFacts.GetKeywordKind(segment) != SyntaxKind.None ? "@" + segment : segment);
        }
        return result.Count == 0 ? null : string.Join(".", result);
    }

    private static bool IsIdentifierStart(char c) =>
        c == '_' || char.IsLetter(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.LetterNumber;

    private static bool IsIdentifierPart(char c) => SyntaxFacts.IsIdentifierPartCharacter(c) && c != '\u200D' && c != '\u200C'
        && CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format;
}

/// <summary>
/// Hands out collision-free member names within one generated class. A name "stem" also claims the names derived
/// from it (e.g. "Scores" claims "ScoresLength", "ScoresShape", "SetScores"), so two tensors never produce the same
/// member even when one tensor's name is another's plus a suffix.
/// </summary>
internal sealed class NameAllocator
{
    private readonly HashSet<string> taken = new(StringComparer.Ordinal);

    public NameAllocator(IEnumerable<string> reserved)
    {
        foreach (var name in reserved)
        {
            taken.Add(name);
        }
    }

    public string Allocate(string stem, Func<string, IEnumerable<string>> derived)
    {
        for (var n = 1; ; n++)
        {
            var candidate = n == 1 ? stem : stem + n.ToString(CultureInfo.InvariantCulture);
            if (taken.Contains(candidate) || Any(derived(candidate), taken.Contains))
            {
                continue;
            }
            taken.Add(candidate);
            foreach (var d in derived(candidate))
            {
                taken.Add(d);
            }
            return candidate;
        }
    }

    private static bool Any(IEnumerable<string> names, Func<string, bool> predicate)
    {
        foreach (var name in names)
        {
            if (predicate(name))
            {
                return true;
            }
        }
        return false;
    }
}
