using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization.Graph;

/// <summary>
/// Copies a model's structure (subgraphs, tensors, operators, signatures, metadata) so passes can edit the copy while
/// the caller's model stays as it was. Constant data is not copied: both models share the same read-only slices,
/// and passes give changed tensors new arrays. Options tables and sparsity descriptions are shared too; passes
/// replace them rather than mutate them.
/// </summary>
internal static class ModelCloner
{
    public static ModelGraph Clone(ModelGraph source)
    {
        var copy = new ModelGraph
        {
            Version = source.Version,
            Description = source.Description,
            AssociatedFiles = source.AssociatedFiles,
        };
        var subgraphs = new Dictionary<Subgraph, (Subgraph Copy, Dictionary<Tensor, Tensor> Tensors)>(ReferenceEqualityComparer.Instance);
        foreach (var subgraph in source.Subgraphs)
        {
            var (sg, map) = CloneSubgraph(subgraph);
            subgraphs[subgraph] = (sg, map);
            copy.Subgraphs.Add(sg);
        }
        foreach (var signature in source.Signatures)
        {
            var (sg, map) = subgraphs.TryGetValue(signature.Subgraph, out var found)
                ? found
                : throw new ModelFormatException(ModelErrorCodes.InvalidGraph,
                    $"signature '{signature.Key}' refers to a subgraph the model does not contain");
            var s = new SignatureDef(signature.Key, sg);
            s.Inputs.AddRange(signature.Inputs.Select(e => new SignatureTensor(e.Name, Map(map, e.Tensor, $"signature '{signature.Key}'"))));
            s.Outputs.AddRange(signature.Outputs.Select(e => new SignatureTensor(e.Name, Map(map, e.Tensor, $"signature '{signature.Key}'"))));
            copy.Signatures.Add(s);
        }
        copy.Metadata.AddRange(source.Metadata.Select(m => new MetadataEntry(m.Name, m.Data)));
        copy.LegacyMetadataBuffers.AddRange(source.LegacyMetadataBuffers);
        copy.ExternalBufferGroups.AddRange(source.ExternalBufferGroups);
        copy.ExternalBuffers.AddRange(source.ExternalBuffers);
        return copy;
    }

    private static (Subgraph, Dictionary<Tensor, Tensor>) CloneSubgraph(Subgraph source)
    {
        var sg = new Subgraph { Name = source.Name, DebugMetadataIndex = source.DebugMetadataIndex };
        var map = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in source.Tensors)
        {
            var c = CloneTensor(t);
            map[t] = c;
            sg.Tensors.Add(c);
        }
        var where = string.IsNullOrEmpty(source.Name) ? "subgraph" : $"subgraph '{source.Name}'";
        sg.Inputs.AddRange(source.Inputs.Select(t => Map(map, t, where)));
        sg.Outputs.AddRange(source.Outputs.Select(t => Map(map, t, where)));
        foreach (var op in source.Operators)
        {
            var c = new Operator(op.Code)
            {
                Options = op.Options,
                Options2 = op.Options2,
                CustomOptions = op.CustomOptions,
                CustomOptionsFormat = op.CustomOptionsFormat,
                MutatingVariableInputs = op.MutatingVariableInputs is null ? null : [.. op.MutatingVariableInputs],
                DebugMetadataIndex = op.DebugMetadataIndex,
            };
            c.Inputs.AddRange(op.Inputs.Select(t => t is null ? null : Map(map, t, where)));
            c.Outputs.AddRange(op.Outputs.Select(t => t is null ? null : Map(map, t, where)));
            c.Intermediates.AddRange(op.Intermediates.Select(t => Map(map, t, where)));
            sg.Operators.Add(c);
        }
        return (sg, map);
    }

    /// <summary>A copy of a tensor's description that shares its data and sparsity.</summary>
    public static Tensor CloneTensor(Tensor t) => new(t.Name, t.Type, [.. t.Shape])
    {
        ShapeSignature = t.ShapeSignature is null ? null : [.. t.ShapeSignature],
        Data = t.Data,
        Quantization = CloneQuantization(t.Quantization),
        Sparsity = t.Sparsity,
        IsVariable = t.IsVariable,
        HasRank = t.HasRank,
        VariantTensors = t.VariantTensors,
        ExternalBuffer = t.ExternalBuffer,
    };

    public static TensorQuantization? CloneQuantization(TensorQuantization? q) => q is null ? null : new TensorQuantization
    {
        Min = q.Min is null ? null : [.. q.Min],
        Max = q.Max is null ? null : [.. q.Max],
        Scale = [.. q.Scale],
        ZeroPoint = [.. q.ZeroPoint],
        QuantizedDimension = q.QuantizedDimension,
        Details = q.Details,
    };

    private static Tensor Map(Dictionary<Tensor, Tensor> map, Tensor t, string where) =>
        map.TryGetValue(t, out var c)
            ? c
            : throw new ModelFormatException(ModelErrorCodes.InvalidGraph, $"{where} uses tensor {t}, which is not one of its tensors");
}
