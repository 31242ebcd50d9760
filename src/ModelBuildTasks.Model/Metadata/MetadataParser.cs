using Google.FlatBuffers;
using Fb = ModelBuildTasks.Model.Metadata.Schema;

namespace ModelBuildTasks.Model.Metadata;

/// <summary>
/// Reads a TFLITE_METADATA buffer through the generated accessors. The buffer is untrusted: lengths are checked
/// against its size before use, the text it yields is budgeted (a string can be referenced many times), and any
/// failed bounds check becomes a coded <see cref="ModelErrorCodes.InvalidMetadata"/> error.
/// </summary>
internal sealed class MetadataParser
{
    private readonly byte[] _buffer;
    private readonly ModelGraph _model;
    private long _textBytes;
    private string _where = "the metadata header";

    private MetadataParser(byte[] buffer, ModelGraph model)
    {
        _buffer = buffer;
        _model = model;
    }

    /// <summary>
    /// Characters of text the parse may produce: a few times the buffer and the label files, as when every string and
    /// every file is read once.
    /// </summary>
    private long TextBudget => 4L * (_buffer.Length + _model.AssociatedFiles.Length) + (1 << 20);

    public static ModelMetadataInfo Parse(ReadOnlyMemory<byte> data, ModelGraph model)
    {
        // A private copy: the accessors bound-check against their array, which must end where the buffer ends.
        var parser = new MetadataParser(data.ToArray(), model);
        try
        {
            return parser.ReadModel();
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException
                                      or InvalidCastException or NullReferenceException or InvalidOperationException)
        {
            throw Error($"malformed FlatBuffer while reading {parser._where}: an offset or length points outside the " +
                        $"{parser._buffer.Length}-byte metadata buffer", e);
        }
    }

    public static ModelFormatException Error(string message, Exception? inner = null) =>
        new(ModelErrorCodes.InvalidMetadata, $"{ModelGraph.TfLiteMetadataName}: {message}", null, inner);

    private ModelMetadataInfo ReadModel()
    {
        if (_buffer.Length < 8)
        {
            throw Error($"the metadata buffer is {_buffer.Length} bytes long, too short for TFLite metadata");
        }
        var bb = new ByteBuffer(_buffer);
        if (!Fb.ModelMetadata.ModelMetadataBufferHasIdentifier(bb))
        {
            var id = new string(System.Text.Encoding.ASCII.GetString(_buffer, 4, 4).Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
            throw Error($"the metadata buffer's identifier is '{id}', expected '{TfLiteMetadata.FileIdentifier}'");
        }
        var root = BitConverter.ToUInt32(_buffer, 0);
        if (root < 8 || root > _buffer.Length - 4)
        {
            throw Error($"the root table offset {root} points outside the {_buffer.Length}-byte metadata buffer");
        }
        var fb = Fb.ModelMetadata.GetRootAsModelMetadata(bb);

        _where = "the model description";
        var (name, description, version, author, license) = (Text(fb.Name), Text(fb.Description), Text(fb.Version), Text(fb.Author), Text(fb.License));

        var files = new List<string>();
        _where = "the model's associated files";
        for (int i = 0, n = Count(fb.AssociatedFilesLength, "model associated_files"); i < n; i++)
        {
            AddFileName(files, fb.AssociatedFiles(i));
        }

        IReadOnlyList<TensorMetadataInfo> inputs = [], outputs = [];
        _where = "the subgraph metadata";
        if (Count(fb.SubgraphMetadataLength, "subgraph_metadata") > 0 && fb.SubgraphMetadata(0) is { } subgraph)
        {
            var main = _model.Subgraphs.Count > 0 ? _model.Subgraphs[0] : null;
            inputs = ReadTensors(subgraph.InputTensorMetadataLength, subgraph.InputTensorMetadata, "input", main?.Inputs.Count ?? 0);
            outputs = ReadTensors(subgraph.OutputTensorMetadataLength, subgraph.OutputTensorMetadata, "output", main?.Outputs.Count ?? 0);
            _where = "the subgraph's associated files";
            for (int i = 0, n = Count(subgraph.AssociatedFilesLength, "subgraph associated_files"); i < n; i++)
            {
                AddFileName(files, subgraph.AssociatedFiles(i));
            }
        }
        return new ModelMetadataInfo(name, description, version, author, license, inputs, outputs, files);
    }

    private void AddFileName(List<string> names, Fb.AssociatedFile? file)
    {
        if (Text(file?.Name) is { Length: > 0 } name && !names.Contains(name))
        {
            names.Add(name);
        }
    }

    private List<TensorMetadataInfo> ReadTensors(int length, Func<int, Fb.TensorMetadata?> at, string role, int graphCount)
    {
        _where = $"the {role} tensor metadata";
        var count = Count(length, $"{role}_tensor_metadata");
        // Code generators pair metadata with tensors by position: a different count would mislabel them.
        if (count != 0 && count != graphCount)
        {
            throw Error($"the metadata describes {count} {role}s, but subgraph 0 has {graphCount}");
        }
        var tensors = new List<TensorMetadataInfo>(count);
        for (var i = 0; i < count; i++)
        {
            _where = $"{role} {i}";
            var tensor = at(i) ?? throw Error($"{role} {i} has no metadata table (null offset)");
            tensors.Add(ReadTensor(tensor, $"{role} {i}"));
        }
        return tensors;
    }

    private TensorMetadataInfo ReadTensor(Fb.TensorMetadata t, string where)
    {
        var name = Text(t.Name);
        var label = name is null ? where : $"{where} '{name}'";
        var content = t.Content?.ContentPropertiesType switch
        {
            Fb.ContentProperties.ImageProperties => "image",
            Fb.ContentProperties.FeatureProperties => "feature",
            _ => null,
        };

        float[]? mean = null, std = null;
        for (int i = 0, n = Count(t.ProcessUnitsLength, $"{where} process_units"); i < n; i++)
        {
            if (t.ProcessUnits(i) is { OptionsType: Fb.ProcessUnitOptions.NormalizationOptions } unit
                && unit.Options<Fb.NormalizationOptions>() is { } normalization)
            {
                mean = Floats(normalization.MeanLength, normalization.Mean, $"{where} normalization mean");
                std = Floats(normalization.StdLength, normalization.Std, $"{where} normalization std");
                CheckNormalization(mean, std, label);
                break; // the first normalization is the one the input pipeline applies
            }
        }

        float? min = null, max = null;
        if (t.Stats is { } stats)
        {
            var mins = Floats(stats.MinLength, stats.Min, $"{where} stats min");
            var maxes = Floats(stats.MaxLength, stats.Max, $"{where} stats max");
            min = mins.Length > 0 ? mins.Min() : null;
            max = maxes.Length > 0 ? maxes.Max() : null;
        }

        string? labelsFile = null;
        for (int i = 0, n = Count(t.AssociatedFilesLength, $"{where} associated_files"); i < n; i++)
        {
            // Several label files are translations (by locale); the first one is the default.
            if (t.AssociatedFiles(i) is { Type: Fb.AssociatedFileType.TENSOR_AXIS_LABELS } file)
            {
                labelsFile = Text(file.Name) is { Length: > 0 } fileName
                    ? fileName
                    : throw Error($"{label} has a TENSOR_AXIS_LABELS associated file without a name");
                break;
            }
        }
        IReadOnlyList<string>? labels = null;
        if (labelsFile is not null)
        {
            var lines = AssociatedFilesArchive.ReadLines(_model.AssociatedFiles, labelsFile, label);
            _textBytes += lines.Count * 32L; // the list and string headers, once per line
            foreach (var line in lines)
            {
                Charge(line.Length);
            }
            labels = lines;
        }
        return new TensorMetadataInfo(name, Text(t.Description), content, mean, std, min, max, labelsFile, labels);
    }

    private static void CheckNormalization(float[] mean, float[] std, string label)
    {
        if (mean.Length == 0 || std.Length == 0 || (mean.Length != std.Length && mean.Length != 1 && std.Length != 1))
        {
            throw Error($"{label} has normalization with {mean.Length} mean and {std.Length} std values; " +
                        "they must be equal in number (or one of them a single value for every channel)");
        }
        foreach (var s in std)
        {
            if (s == 0 || !float.IsFinite(s))
            {
                throw Error($"{label} has normalization std {s}; dividing by it is undefined");
            }
        }
        foreach (var m in mean)
        {
            if (!float.IsFinite(m))
            {
                throw Error($"{label} has normalization mean {m}, which is not a finite number");
            }
        }
    }

    private float[] Floats(int length, Func<int, float> at, string what)
    {
        var values = new float[Count(length, what, 4)];
        Charge(values.Length * 2L);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = at(i);
        }
        return values;
    }

    /// <summary>A vector length, refused when its entries could not fit in the buffer.</summary>
    private int Count(int length, string what, int entrySize = 4)
    {
        if (length < 0 || (long)length * entrySize > _buffer.Length)
        {
            throw Error($"the {what} vector claims {length} entries, more than the {_buffer.Length}-byte metadata buffer can hold");
        }
        return length;
    }

    private string? Text(string? value)
    {
        if (value is not null)
        {
            Charge(value.Length);
        }
        return value;
    }

    private void Charge(long characters)
    {
        _textBytes += characters;
        if (_textBytes > TextBudget)
        {
            throw Error($"reading {_where} yields more text than the {_buffer.Length}-byte metadata buffer holds: " +
                        "its strings are referenced many times over");
        }
    }
}
