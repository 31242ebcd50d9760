using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Metadata;

namespace ModelBuildTasks.Optimization.ModelCards;

/// <summary>Turns a model's signatures and I/O tensors into card entries (cheap: no weights are touched).</summary>
public static class ModelDescriber
{
    /// <summary>
    /// Every signature of the model, in file order, with its inputs and outputs in signature order under the
    /// signature's names; a model without signatures gets one "main" entry with subgraph 0's inputs and outputs.
    /// </summary>
    public static IReadOnlyList<CardSignature> Signatures(ModelGraph model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var metadata = TfLiteMetadata.Read(model);
        var result = new List<CardSignature>();
        if (model.Signatures.Count == 0)
        {
            if (model.Subgraphs.Count > 0)
            {
                var main = model.Subgraphs[0];
                result.Add(new CardSignature
                {
                    Key = "main",
                    Subgraph = 0,
                    Inputs = main.Inputs.Select(t => Describe(main, t, null, InputMetadata(metadata, model, main, t))).ToList(),
                    Outputs = main.Outputs.Select(t => Describe(main, t, null, OutputMetadata(metadata, model, main, t))).ToList(),
                });
            }

            return result;
        }

        foreach (var signature in model.Signatures)
        {
            var subgraph = signature.Subgraph;
            result.Add(new CardSignature
            {
                Key = signature.Key,
                Subgraph = model.Subgraphs.IndexOf(subgraph),
                Inputs = signature.Inputs.Select(t => Describe(subgraph, t.Tensor, t.Name, InputMetadata(metadata, model, subgraph, t.Tensor))).ToList(),
                Outputs = signature.Outputs.Select(t => Describe(subgraph, t.Tensor, t.Name, OutputMetadata(metadata, model, subgraph, t.Tensor))).ToList(),
            });
        }

        return result;
    }

    /// <summary>The model-level TFLite metadata for the card, or null when the model has none.</summary>
    public static CardTfLiteMetadata? Metadata(ModelGraph model) => TfLiteMetadata.Read(model) is { } m
        ? new CardTfLiteMetadata { Name = m.Name, Description = m.Description, Version = m.Version, Author = m.Author, License = m.License }
        : null;

    // TFLite metadata describes the main subgraph's inputs and outputs in order: other subgraphs get none.
    private static TensorMetadataInfo? InputMetadata(ModelMetadataInfo? metadata, ModelGraph model, Subgraph subgraph, Tensor tensor) =>
        metadata is null || subgraph != model.Subgraphs[0] || subgraph.Inputs.IndexOf(tensor) is not (>= 0 and var i)
            ? null : metadata.Inputs.ElementAtOrDefault(i);

    private static TensorMetadataInfo? OutputMetadata(ModelMetadataInfo? metadata, ModelGraph model, Subgraph subgraph, Tensor tensor) =>
        metadata is null || subgraph != model.Subgraphs[0] || subgraph.Outputs.IndexOf(tensor) is not (>= 0 and var i)
            ? null : metadata.Outputs.ElementAtOrDefault(i);

    private static CardTensor Describe(Subgraph subgraph, Tensor tensor, string? signatureName, TensorMetadataInfo? metadata)
    {
        var q = tensor.Quantization;
        var dynamic = tensor.ShapeSignature is { } sig && sig.Any(d => d < 0);
        return new CardTensor
        {
            Name = tensor.Name,
            SignatureName = signatureName,
            Index = subgraph.Tensors.IndexOf(tensor),
            Type = TensorTypes.Name(tensor.Type),
            Shape = tensor.Shape.ToArray(),
            ShapeSignature = dynamic ? tensor.ShapeSignature!.ToArray() : null,
            Quantization = q is null || q.Scale.Length == 0
                ? null
                : new CardQuantization { Scale = q.Scale.ToArray(), ZeroPoint = q.ZeroPoint.ToArray(), Dimension = q.QuantizedDimension },
            Normalization = metadata is { Mean: { } mean, Std: { } std } ? new CardNormalization { Mean = mean, Std = std } : null,
            Labels = metadata?.Labels,
            // The card says "tensor" for what TFLite metadata calls a feature.
            Content = metadata?.Content switch { "image" => "image", "feature" => "tensor", _ => null },
        };
    }
}
