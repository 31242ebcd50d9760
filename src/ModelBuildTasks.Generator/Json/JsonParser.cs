using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ModelBuildTasks.Generator.Json;

/// <summary>Thrown for malformed JSON; the message names the position.</summary>
internal sealed class JsonParseException : Exception
{
    public JsonParseException(string message)
        : base(message)
    {
    }
}

/// <summary>A strict RFC 8259 reader (no comments, no trailing commas) with a nesting limit against stack exhaustion.</summary>
internal sealed class JsonParser
{
    private const int MaxDepth = 64;
    private readonly string text;
    private int position;

    private JsonParser(string text)
    {
        this.text = text;
    }

    public static JsonValue Parse(string text)
    {
        var parser = new JsonParser(text);
        parser.SkipWhitespace();
        // A UTF-8 byte order mark may survive decoding as U+FEFF.
        if (parser.position < text.Length && text[parser.position] == '\uFEFF')
        {
            parser.position++;
            parser.SkipWhitespace();
        }
        var value = parser.ReadValue(0);
        parser.SkipWhitespace();
        if (parser.position != text.Length)
        {
            throw parser.Error("unexpected text after the JSON value");
        }
        return value;
    }

    private JsonValue ReadValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error($"nesting deeper than {MaxDepth} levels");
        }
        SkipWhitespace();
        if (position >= text.Length)
        {
            throw Error("unexpected end of input");
        }
        var c = text[position];
        switch (c)
        {
            case '{':
                return ReadObject(depth);
            case '[':
                return ReadArray(depth);
            case '"':
                return JsonValue.FromString(ReadString());
            case 't':
                ExpectWord("true");
                return JsonValue.FromBool(true);
            case 'f':
                ExpectWord("false");
                return JsonValue.FromBool(false);
            case 'n':
                ExpectWord("null");
                return JsonValue.Null;
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return JsonValue.FromNumber(ReadNumber());
                }
                throw Error($"unexpected character '{c}'");
        }
    }

    private JsonValue ReadObject(int depth)
    {
        position++;
        var properties = new Dictionary<string, JsonValue>(StringComparer.Ordinal);
        SkipWhitespace();
        if (Peek() == '}')
        {
            position++;
            return JsonValue.FromProperties(properties);
        }
        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"')
            {
                throw Error("expected a property name");
            }
            var name = ReadString();
            SkipWhitespace();
            Expect(':');
            // Last duplicate wins, as most readers do.
            properties[name] = ReadValue(depth + 1);
            SkipWhitespace();
            var next = Peek();
            position++;
            if (next == '}')
            {
                return JsonValue.FromProperties(properties);
            }
            if (next != ',')
            {
                position--;
                throw Error("expected ',' or '}'");
            }
        }
    }

    private JsonValue ReadArray(int depth)
    {
        position++;
        var items = new List<JsonValue>();
        SkipWhitespace();
        if (Peek() == ']')
        {
            position++;
            return JsonValue.FromItems(items);
        }
        while (true)
        {
            items.Add(ReadValue(depth + 1));
            SkipWhitespace();
            var next = Peek();
            position++;
            if (next == ']')
            {
                return JsonValue.FromItems(items);
            }
            if (next != ',')
            {
                position--;
                throw Error("expected ',' or ']'");
            }
        }
    }

    private string ReadString()
    {
        position++; // opening quote
        var builder = new StringBuilder();
        while (true)
        {
            if (position >= text.Length)
            {
                throw Error("unterminated string");
            }
            var c = text[position++];
            if (c == '"')
            {
                return builder.ToString();
            }
            if (c < ' ')
            {
                throw Error("control character in a string");
            }
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }
            if (position >= text.Length)
            {
                throw Error("unterminated escape");
            }
            var e = text[position++];
            switch (e)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case '/': builder.Append('/'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (position + 4 > text.Length
                        || !int.TryParse(text.Substring(position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        position -= 2; // point at the backslash
                        throw Error("bad \\u escape");
                    }
                    builder.Append((char)code);
                    position += 4;
                    break;
                default:
                    throw Error($"bad escape '\\{e}'");
            }
        }
    }

    private double ReadNumber()
    {
        var start = position;
        if (Peek() == '-')
        {
            position++;
        }
        while (position < text.Length && "0123456789.eE+-".IndexOf(text[position]) >= 0)
        {
            position++;
        }
        var token = text.Substring(start, position - start);
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || double.IsInfinity(value))
        {
            position = start;
            throw Error($"bad number '{token}'");
        }
        return value;
    }

    private void ExpectWord(string word)
    {
        if (string.CompareOrdinal(text, position, word, 0, word.Length) != 0)
        {
            throw Error($"expected '{word}'");
        }
        position += word.Length;
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw Error($"expected '{c}'");
        }
        position++;
    }

    private char Peek() => position < text.Length ? text[position] : '\0';

    private void SkipWhitespace()
    {
        while (position < text.Length && text[position] is ' ' or '\t' or '\r' or '\n')
        {
            position++;
        }
    }

    private JsonParseException Error(string problem)
    {
        // Report a 1-based line and column: cards are small, so counting is cheap.
        int line = 1, column = 1;
        for (var i = 0; i < position && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return new JsonParseException($"invalid JSON at line {line}, column {column}: {problem}");
    }
}
