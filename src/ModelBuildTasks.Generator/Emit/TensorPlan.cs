using System.Collections.Generic;
using ModelBuildTasks.Generator.Cards;

namespace ModelBuildTasks.Generator.Emit;

/// <summary>How a tensor's stored elements become the values users see.</summary>
internal enum Conversion
{
    /// <summary>Users see the stored elements.</summary>
    None,

    /// <summary>Affine int8/uint8/int16: value = (stored - zeroPoint) * scale.</summary>
    Affine,

    /// <summary>float16 stored, float seen.</summary>
    Half,
}

/// <summary>The C# shape of one tensor in the wrapper: member name, element types and conversion.</summary>
internal sealed class TensorPlan
{
    private TensorPlan(TensorSpec spec, int position, string storedType, string valueType, Conversion conversion, long length, long min, long max)
    {
        Spec = spec;
        Position = position;
        StoredType = storedType;
        ValueType = valueType;
        Conversion = conversion;
        Length = length;
        Min = min;
        Max = max;
    }

    public TensorSpec Spec { get; }

    /// <summary>Position in the signature's input or output list.</summary>
    public int Position { get; }

    /// <summary>C# type of the elements in the session's memory.</summary>
    public string StoredType { get; }

    /// <summary>C# type of the values the typed API takes and returns.</summary>
    public string ValueType { get; }

    public Conversion Conversion { get; }

    /// <summary>Element count of the static shape.</summary>
    public long Length { get; }

    /// <summary>Range of a quantized type.</summary>
    public long Min { get; }

    public long Max { get; }

    public string Member { get; set; } = "";

    public bool HasLabels => Spec.Labels is { Count: > 0 };

    public bool HasNormalization => Spec.Normalization is not null;

    public bool IsDynamic
    {
        get
        {
            if (Spec.ShapeSignature is not { } signature)
            {
                return false;
            }
            foreach (var d in signature)
            {
                if (d < 0)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>Plans a tensor; null when its element type has no typed form (string, complex, resource, 4-bit…).</summary>
    public static TensorPlan? Create(TensorSpec spec, int position)
    {
        long length = 1;
        foreach (var d in spec.Shape)
        {
            length *= d;
            if (length > int.MaxValue)
            {
                return null;
            }
        }
        var quantized = spec.Quantization is { IsPerTensor: true };
        switch (spec.Type)
        {
            case "float32":
                return new TensorPlan(spec, position, "float", "float", Conversion.None, length, 0, 0);
            case "float16":
                return new TensorPlan(spec, position, "global::System.Half", "float", Conversion.Half, length, 0, 0);
            case "float64":
                return new TensorPlan(spec, position, "double", "double", Conversion.None, length, 0, 0);
            case "int8":
                return Integer(spec, position, "sbyte", quantized, length, sbyte.MinValue, sbyte.MaxValue);
            case "uint8":
                return Integer(spec, position, "byte", quantized, length, byte.MinValue, byte.MaxValue);
            case "int16":
                return Integer(spec, position, "short", quantized, length, short.MinValue, short.MaxValue);
            case "uint16":
                return Integer(spec, position, "ushort", false, length, 0, 0);
            case "int32":
                return Integer(spec, position, "int", false, length, 0, 0);
            case "uint32":
                return Integer(spec, position, "uint", false, length, 0, 0);
            case "int64":
                return Integer(spec, position, "long", false, length, 0, 0);
            case "uint64":
                return Integer(spec, position, "ulong", false, length, 0, 0);
            case "bool":
                return new TensorPlan(spec, position, "bool", "bool", Conversion.None, length, 0, 0);
            default:
                return null;
        }
    }

    /// <summary>Names this tensor adds to the model class and its Input/Output types, for collision checks.</summary>
    public IEnumerable<string> DerivedNames(string stem, bool isInput)
    {
        yield return stem + "Length";
        yield return stem + "Shape";
        yield return stem + "Span";
        if (isInput)
        {
            yield return "Set" + stem;
            yield return "Set" + stem + "FromPixels";
            yield return stem + "Mean";
            yield return stem + "Std";
        }
        else
        {
            yield return "Copy" + stem + "To";
            yield return stem + "Labels";
            yield return stem + "TopK";
        }
        if (Conversion == Conversion.Affine)
        {
            yield return stem + "Scale";
            yield return stem + "ZeroPoint";
        }
    }

    private static TensorPlan Integer(TensorSpec spec, int position, string type, bool quantized, long length, long min, long max) =>
        quantized
            ? new TensorPlan(spec, position, type, "float", Conversion.Affine, length, min, max)
            : new TensorPlan(spec, position, type, type, Conversion.None, length, 0, 0);
}
