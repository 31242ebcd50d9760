using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Data;

/// <summary>What a sample must provide for one model input: its name, element type, shape and quantization.</summary>
internal sealed class InputSpec
{
    private InputSpec(Tensor tensor)
    {
        Name = tensor.Name;
        Type = tensor.Type;
        Shape = tensor.Shape;
        Quantization = tensor.Quantization is { Scale.Length: > 0 } q ? q : null;
        ElementCount = TensorTypes.ElementCount(Shape);
        ByteLength = checked((int)TensorTypes.ByteSize(Type, ElementCount));
    }

    public string Name { get; }

    public TensorType Type { get; }

    public int[] Shape { get; }

    public TensorQuantization? Quantization { get; }

    public long ElementCount { get; }

    public int ByteLength { get; }

    public string ShapeText => $"[{string.Join(",", Shape)}]";

    /// <summary>The main subgraph's inputs, in order.</summary>
    public static InputSpec[] Of(ModelGraph model)
    {
        var inputs = model.Main.Inputs;
        var specs = new InputSpec[inputs.Count];
        for (var i = 0; i < specs.Length; i++)
        {
            if (!TensorValues.CanWrite(inputs[i].Type))
            {
                throw new DataException(DataErrorCodes.InputMismatch,
                    $"model input '{inputs[i].Name}' is {TensorTypes.Name(inputs[i].Type)}; samples can only be read for numeric inputs");
            }
            specs[i] = new InputSpec(inputs[i]);
        }
        return specs;
    }

    /// <summary>
    /// True when a sample of <paramref name="shape"/> fills this input: equal after dropping leading 1s (batch axes)
    /// from both, so (28, 28, 1) fits [1,28,28,1].
    /// </summary>
    public bool Accepts(IReadOnlyList<long> shape)
    {
        var a = 0;
        while (a < shape.Count && shape[a] == 1)
        {
            a++;
        }
        var b = 0;
        while (b < Shape.Length && Shape[b] == 1)
        {
            b++;
        }
        if (shape.Count - a != Shape.Length - b)
        {
            return false;
        }
        for (var i = 0; i < Shape.Length - b; i++)
        {
            if (shape[a + i] != Shape[b + i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The .npy element type that holds this input's values exactly as they are (copied without conversion).</summary>
    public NpyType? SameNpyType => Type switch
    {
        TensorType.FLOAT32 => NpyType.Float32,
        TensorType.FLOAT16 => NpyType.Float16,
        TensorType.FLOAT64 => NpyType.Float64,
        TensorType.INT8 => NpyType.Int8,
        TensorType.UINT8 => NpyType.UInt8,
        TensorType.INT16 => NpyType.Int16,
        TensorType.INT32 => NpyType.Int32,
        TensorType.INT64 => NpyType.Int64,
        TensorType.BOOL => NpyType.Bool,
        _ => null,
    };

    /// <summary>A file name for this input in a per-sample folder: the tensor name with path-unsafe characters replaced by '_'.</summary>
    public string SafeFileName
    {
        get
        {
            var chars = Name.ToCharArray();
            var invalid = Path.GetInvalidFileNameChars();
            for (var i = 0; i < chars.Length; i++)
            {
                if (chars[i] is '/' or '\\' or ':' || Array.IndexOf(invalid, chars[i]) >= 0)
                {
                    chars[i] = '_';
                }
            }
            return new string(chars) + ".npy";
        }
    }
}
