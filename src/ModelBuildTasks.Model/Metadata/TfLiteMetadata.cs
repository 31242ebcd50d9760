namespace ModelBuildTasks.Model.Metadata;

/// <summary>
/// What TFLite metadata says about one input or output tensor.
/// </summary>
/// <param name="Name">The tensor's name for people and generated code (not necessarily the graph tensor's name).</param>
/// <param name="Content">"image" or "feature" (the content type the metadata declares); null when it declares none
/// or another one.</param>
/// <param name="Mean">Per-channel mean of the input normalization <c>(x - mean) / std</c>; one value means every channel.</param>
/// <param name="Std">Per-channel standard deviation of the normalization (never zero).</param>
/// <param name="Min">Smallest value of the tensor's statistics (the minimum over channels).</param>
/// <param name="Max">Largest value of the tensor's statistics (the maximum over channels).</param>
/// <param name="LabelsFile">Name of the tensor's TENSOR_AXIS_LABELS file in the model's associated files.</param>
/// <param name="Labels">That file's lines: one label per line.</param>
public sealed record TensorMetadataInfo(string? Name, string? Description, string? Content,
    float[]? Mean, float[]? Std, float? Min, float? Max, string? LabelsFile, IReadOnlyList<string>? Labels);

/// <summary>
/// The TFLite metadata of a model (the <c>TFLITE_METADATA</c> buffer): model description and the main subgraph's
/// input and output tensors, in the subgraph's input and output order.
/// </summary>
/// <param name="AssociatedFiles">Names of the files the metadata attaches to the model or its main subgraph
/// (readme, vocabulary …); tensor label files are in <see cref="TensorMetadataInfo.LabelsFile"/>.</param>
public sealed record ModelMetadataInfo(string? Name, string? Description, string? Version, string? Author, string? License,
    IReadOnlyList<TensorMetadataInfo> Inputs, IReadOnlyList<TensorMetadataInfo> Outputs, IReadOnlyList<string> AssociatedFiles);

/// <summary>
/// Reads and writes TFLite model metadata: a FlatBuffer with identifier "M001" stored in the model's metadata entry
/// <see cref="ModelGraph.TfLiteMetadataName"/>, plus the zip of associated files (labels) appended to the model.
/// </summary>
public static class TfLiteMetadata
{
    /// <summary>The FlatBuffer file identifier of TFLite metadata.</summary>
    public const string FileIdentifier = "M001";

    /// <summary>
    /// The model's metadata, or null when it has no <c>TFLITE_METADATA</c> entry. Labels are read from
    /// <see cref="ModelGraph.AssociatedFiles"/>. Malformed metadata, or a labels file the zip lacks, throws a
    /// <see cref="ModelFormatException"/> with code <see cref="ModelErrorCodes.InvalidMetadata"/>.
    /// </summary>
    /// <param name="sourceName">The model's file name, for error messages.</param>
    public static ModelMetadataInfo? Read(ModelGraph model, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var entry = model.FindMetadata(ModelGraph.TfLiteMetadataName);
        if (entry is null)
        {
            return null;
        }
        try
        {
            return MetadataParser.Parse(entry.Data, model);
        }
        catch (ModelFormatException e) when (sourceName is not null)
        {
            throw e.WithFile(sourceName);
        }
    }

    /// <summary>
    /// A minimal valid metadata buffer describing <paramref name="info"/> (one subgraph); store it as the model's
    /// <c>TFLITE_METADATA</c> entry. Labels are not stored here: put them in the model's associated files (see
    /// <see cref="CreateAssociatedFiles"/>) under each tensor's <see cref="TensorMetadataInfo.LabelsFile"/>.
    /// </summary>
    public static byte[] Write(ModelMetadataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return MetadataBuilder.Build(info);
    }

    /// <summary>
    /// A zip of associated files for <see cref="ModelGraph.AssociatedFiles"/>: entries stored uncompressed (as TFLite's
    /// metadata tools write them, so every metadata extractor can read them) in the given order, with a fixed
    /// timestamp so the same files always give the same bytes.
    /// </summary>
    public static byte[] CreateAssociatedFiles(IEnumerable<KeyValuePair<string, byte[]>> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return AssociatedFilesArchive.Create(files);
    }

    /// <summary>Labels text for <see cref="CreateAssociatedFiles"/>: one label per line, UTF-8, a final newline.</summary>
    public static byte[] LabelsFileContent(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var text = new System.Text.StringBuilder();
        foreach (var label in labels)
        {
            if (label.Contains('\n') || label.Contains('\r'))
            {
                throw new ArgumentException($"the label '{label}' contains a line break", nameof(labels));
            }
            text.Append(label).Append('\n');
        }
        return System.Text.Encoding.UTF8.GetBytes(text.ToString());
    }
}
