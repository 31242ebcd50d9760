using Google.FlatBuffers;
using Fb = ModelBuildTasks.Model.Metadata.Schema;

namespace ModelBuildTasks.Model.Metadata;

/// <summary>Writes a <see cref="ModelMetadataInfo"/> as an M001 FlatBuffer with one subgraph.</summary>
internal static class MetadataBuilder
{
    /// <summary>Oldest metadata parser that understands every field written here (all exist since 1.0.0).</summary>
    private const string MinParserVersion = "1.0.0";

    public static byte[] Build(ModelMetadataInfo info)
    {
        var b = new FlatBufferBuilder(1024);
        var inputs = Fb.SubGraphMetadata.CreateInputTensorMetadataVector(b, info.Inputs.Select(t => Tensor(b, t)).ToArray());
        var outputs = Fb.SubGraphMetadata.CreateOutputTensorMetadataVector(b, info.Outputs.Select(t => Tensor(b, t)).ToArray());
        var subgraph = Fb.SubGraphMetadata.CreateSubGraphMetadata(b, input_tensor_metadataOffset: inputs, output_tensor_metadataOffset: outputs);
        var files = info.AssociatedFiles.Count == 0
            ? default
            : Fb.ModelMetadata.CreateAssociatedFilesVector(b, info.AssociatedFiles
                .Select(f => Fb.AssociatedFile.CreateAssociatedFile(b, b.CreateString(f), type: Fb.AssociatedFileType.DESCRIPTIONS)).ToArray());
        var root = Fb.ModelMetadata.CreateModelMetadata(b,
            nameOffset: Text(b, info.Name),
            descriptionOffset: Text(b, info.Description),
            versionOffset: Text(b, info.Version),
            subgraph_metadataOffset: Fb.ModelMetadata.CreateSubgraphMetadataVector(b, [subgraph]),
            authorOffset: Text(b, info.Author),
            licenseOffset: Text(b, info.License),
            associated_filesOffset: files,
            min_parser_versionOffset: b.CreateString(MinParserVersion));
        Fb.ModelMetadata.FinishModelMetadataBuffer(b, root);
        return b.SizedByteArray();
    }

    private static Offset<Fb.TensorMetadata> Tensor(FlatBufferBuilder b, TensorMetadataInfo t)
    {
        var content = t.Content switch
        {
            null => default,
            "image" => Fb.Content.CreateContent(b, Fb.ContentProperties.ImageProperties,
                Fb.ImageProperties.CreateImageProperties(b, Fb.ColorSpaceType.RGB).Value),
            "feature" => Fb.Content.CreateContent(b, Fb.ContentProperties.FeatureProperties, EmptyFeatureProperties(b)),
            _ => throw new ArgumentException($"tensor '{t.Name}': content must be \"image\", \"feature\" or null, not \"{t.Content}\""),
        };
        var units = default(VectorOffset);
        if (t.Mean is not null || t.Std is not null)
        {
            var normalization = Fb.NormalizationOptions.CreateNormalizationOptions(b,
                Fb.NormalizationOptions.CreateMeanVector(b, t.Mean ?? [0f]),
                Fb.NormalizationOptions.CreateStdVector(b, t.Std ?? [1f]));
            units = Fb.TensorMetadata.CreateProcessUnitsVector(b,
                [Fb.ProcessUnit.CreateProcessUnit(b, Fb.ProcessUnitOptions.NormalizationOptions, normalization.Value)]);
        }
        var stats = t.Min is null && t.Max is null
            ? default
            : Fb.Stats.CreateStats(b,
                t.Max is { } max ? Fb.Stats.CreateMaxVector(b, [max]) : default,
                t.Min is { } min ? Fb.Stats.CreateMinVector(b, [min]) : default);
        var files = t.LabelsFile is null
            ? default
            : Fb.TensorMetadata.CreateAssociatedFilesVector(b,
                [Fb.AssociatedFile.CreateAssociatedFile(b, b.CreateString(t.LabelsFile), type: Fb.AssociatedFileType.TENSOR_AXIS_LABELS)]);
        return Fb.TensorMetadata.CreateTensorMetadata(b,
            nameOffset: Text(b, t.Name),
            descriptionOffset: Text(b, t.Description),
            contentOffset: content,
            process_unitsOffset: units,
            statsOffset: stats,
            associated_filesOffset: files);
    }

    private static int EmptyFeatureProperties(FlatBufferBuilder b)
    {
        Fb.FeatureProperties.StartFeatureProperties(b);
        return Fb.FeatureProperties.EndFeatureProperties(b).Value;
    }

    private static StringOffset Text(FlatBufferBuilder b, string? value) => value is null ? default : b.CreateString(value);
}
