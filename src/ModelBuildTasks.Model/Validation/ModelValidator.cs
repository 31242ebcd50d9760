namespace ModelBuildTasks.Model;

/// <summary>
/// Checks that a model is well formed: every reference points inside its subgraph, shapes are sane, constant data is
/// long enough, and operators form no cycle. The reader runs it on every file; passes can run it on their output.
/// </summary>
public static class ModelValidator
{
    /// <summary>Throws a <see cref="ModelFormatException"/> for the first problem found.</summary>
    public static void Validate(ModelGraph model)
    {
        for (var s = 0; s < model.Subgraphs.Count; s++)
        {
            ValidateSubgraph(model.Subgraphs[s], s);
        }
        foreach (var signature in model.Signatures)
        {
            var owned = new HashSet<Tensor>(signature.Subgraph.Tensors, ReferenceEqualityComparer.Instance);
            foreach (var entry in signature.Inputs.Concat(signature.Outputs).Where(e => !owned.Contains(e.Tensor)))
            {
                throw new ModelFormatException(ModelErrorCodes.InvalidGraph,
                    $"signature '{signature.Key}' maps '{entry.Name}' to tensor {entry.Tensor}, which its subgraph does not contain");
            }
        }
    }

    private static void ValidateSubgraph(Subgraph subgraph, int index)
    {
        var owned = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (var t = 0; t < subgraph.Tensors.Count; t++)
        {
            var tensor = subgraph.Tensors[t];
            if (!owned.Add(tensor))
            {
                throw new ModelFormatException(ModelErrorCodes.InvalidGraph,
                    $"subgraph {index} lists tensor {tensor} twice (index {t})");
            }
            ValidateTensor(tensor, $"subgraph {index} tensor {t} {tensor}");
        }

        void Owned(Tensor? tensor, string role)
        {
            if (tensor is not null && !owned.Contains(tensor))
            {
                throw new ModelFormatException(ModelErrorCodes.InvalidGraph,
                    $"subgraph {index} {role} uses tensor {tensor}, which is not one of the subgraph's tensors");
            }
        }
        subgraph.Inputs.ForEach(t => Owned(t, "input"));
        subgraph.Outputs.ForEach(t => Owned(t, "output"));
        for (var o = 0; o < subgraph.Operators.Count; o++)
        {
            var op = subgraph.Operators[o];
            op.Inputs.ForEach(t => Owned(t, $"operator {o} ({op})"));
            op.Outputs.ForEach(t => Owned(t, $"operator {o} ({op})"));
            op.Intermediates.ForEach(t => Owned(t, $"operator {o} ({op})"));
        }
        GraphAlgorithms.TopologicalOrder(subgraph, $"subgraph {index}"); // throws on a cycle or a tensor with two producers
    }

    private static void ValidateTensor(Tensor tensor, string where)
    {
        if (!TensorTypes.IsKnown(tensor.Type))
        {
            throw new ModelFormatException(ModelErrorCodes.Unsupported, $"{where} has unknown element type {(int)tensor.Type}");
        }
        long elements = 1;
        foreach (var d in tensor.Shape)
        {
            if (d < 0)
            {
                throw new ModelFormatException(ModelErrorCodes.InvalidShape,
                    $"{where} has a negative dimension {d} in its shape [{string.Join(",", tensor.Shape)}]");
            }
            // More than 2^56 elements cannot be addressed by any runtime; stop before the product overflows.
            if (d != 0 && elements > (1L << 56) / d)
            {
                throw new ModelFormatException(ModelErrorCodes.InvalidShape,
                    $"{where} has shape [{string.Join(",", tensor.Shape)}], whose element count overflows");
            }
            elements *= d;
        }
        // The same limit for bytes keeps ByteSize (elements × up to 128 bits) far from overflowing a long.
        if (elements > (1L << 59) / Math.Max(1, TensorTypes.BitsPerElement(tensor.Type)))
        {
            throw new ModelFormatException(ModelErrorCodes.InvalidShape,
                $"{where} has shape [{string.Join(",", tensor.Shape)}], whose size in bytes overflows (over 2^56 bytes)");
        }
        if (tensor.ShapeSignature is { } signature)
        {
            if (signature.Length != tensor.Shape.Length || signature.Any(d => d < -1))
            {
                throw new ModelFormatException(ModelErrorCodes.InvalidShape,
                    $"{where} has shape signature [{string.Join(",", signature)}], which does not match shape [{string.Join(",", tensor.Shape)}]");
            }
        }
        var needed = TensorTypes.ByteSize(tensor.Type, elements);
        if (tensor.IsConstant && tensor.Sparsity is null && needed > tensor.Data.Length)
        {
            throw new ModelFormatException(ModelErrorCodes.DataTooShort,
                $"{where} needs {needed} bytes of data for its shape, but its buffer holds {tensor.Data.Length}");
        }
    }
}
