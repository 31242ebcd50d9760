using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization.ModelCards;

/// <summary>Turns a model's signatures and I/O tensors into card entries (cheap: no weights are touched).</summary>
public static class ModelDescriber
{
    /// <summary>
    /// The model's signatures; a model without signatures gets one "main" entry with subgraph 0's inputs and outputs.
    /// </summary>
    public static IReadOnlyList<CardSignature> Signatures(ModelGraph model)
    {
        ArgumentNullException.ThrowIfNull(model);
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
                    Inputs = main.Inputs.Select(t => Describe(main, t, null)).ToList(),
                    Outputs = main.Outputs.Select(t => Describe(main, t, null)).ToList(),
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
                Inputs = signature.Inputs.Select(t => Describe(subgraph, t.Tensor, t.Name)).ToList(),
                Outputs = signature.Outputs.Select(t => Describe(subgraph, t.Tensor, t.Name)).ToList(),
            });
        }

        return result;
    }

    private static CardTensor Describe(Subgraph subgraph, Tensor tensor, string? signatureName)
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
        };
    }
}
