using Google.FlatBuffers;
using Fb = ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model;

/// <summary>
/// Structural equality of two models: same subgraphs, tensors (by position), data bytes, operators, options,
/// signatures and metadata. Used to prove lossless round trips and idempotent passes.
/// </summary>
public static class ModelComparer
{
    /// <summary>Null when the models are equal, else a description of the first difference.</summary>
    public static string? FirstDifference(ModelGraph a, ModelGraph b)
    {
        var d = new List<string>();
        Check(d, "version", a.Version, b.Version);
        Check(d, "description", a.Description, b.Description);
        Check(d, "subgraph count", a.Subgraphs.Count, b.Subgraphs.Count);
        for (var s = 0; s < Math.Min(a.Subgraphs.Count, b.Subgraphs.Count) && d.Count == 0; s++)
        {
            CompareSubgraph(d, $"subgraph {s}", a.Subgraphs[s], b.Subgraphs[s]);
        }
        Check(d, "metadata names", Join(a.Metadata.Select(m => m.Name)), Join(b.Metadata.Select(m => m.Name)));
        for (var i = 0; i < Math.Min(a.Metadata.Count, b.Metadata.Count); i++)
        {
            CheckBytes(d, $"metadata '{a.Metadata[i].Name}'", a.Metadata[i].Data, b.Metadata[i].Data);
        }
        Check(d, "legacy metadata buffers", a.LegacyMetadataBuffers.Count, b.LegacyMetadataBuffers.Count);
        for (var i = 0; i < Math.Min(a.LegacyMetadataBuffers.Count, b.LegacyMetadataBuffers.Count); i++)
        {
            CheckBytes(d, $"legacy metadata buffer {i}", a.LegacyMetadataBuffers[i], b.LegacyMetadataBuffers[i]);
        }
        Check(d, "signature count", a.Signatures.Count, b.Signatures.Count);
        for (var i = 0; i < Math.Min(a.Signatures.Count, b.Signatures.Count); i++)
        {
            CompareSignature(d, a, b, a.Signatures[i], b.Signatures[i]);
        }
        Check(d, "external buffer groups", Packed(a.ExternalBufferGroups, Fb.ExternalBufferGroup.Pack), Packed(b.ExternalBufferGroups, Fb.ExternalBufferGroup.Pack));
        Check(d, "external buffers", Packed(a.ExternalBuffers, Fb.ExternalBuffer.Pack), Packed(b.ExternalBuffers, Fb.ExternalBuffer.Pack));
        CheckBytes(d, "associated files", a.AssociatedFiles, b.AssociatedFiles);
        return d.Count == 0 ? null : d[0];
    }

    private static void CompareSubgraph(List<string> d, string where, Subgraph a, Subgraph b)
    {
        Check(d, $"{where} name", a.Name, b.Name);
        Check(d, $"{where} debug metadata index", a.DebugMetadataIndex, b.DebugMetadataIndex);
        Check(d, $"{where} tensor count", a.Tensors.Count, b.Tensors.Count);
        Check(d, $"{where} operator count", a.Operators.Count, b.Operators.Count);
        if (d.Count > 0)
        {
            return;
        }
        var ia = Index(a);
        var ib = Index(b);
        Check(d, $"{where} inputs", Join(a.Inputs.Select(t => ia[t])), Join(b.Inputs.Select(t => ib[t])));
        Check(d, $"{where} outputs", Join(a.Outputs.Select(t => ia[t])), Join(b.Outputs.Select(t => ib[t])));
        for (var t = 0; t < a.Tensors.Count && d.Count == 0; t++)
        {
            CompareTensor(d, $"{where} tensor {t} '{a.Tensors[t].Name}'", a.Tensors[t], b.Tensors[t]);
        }
        string Refs(IEnumerable<Tensor?> tensors, Dictionary<Tensor, int> index) => Join(tensors.Select(t => t is null ? -1 : index[t]));
        for (var o = 0; o < a.Operators.Count && d.Count == 0; o++)
        {
            var (x, y) = (a.Operators[o], b.Operators[o]);
            var at = $"{where} operator {o} ({x})";
            Check(d, $"{at} code", x.Code, y.Code);
            Check(d, $"{at} inputs", Refs(x.Inputs, ia), Refs(y.Inputs, ib));
            Check(d, $"{at} outputs", Refs(x.Outputs, ia), Refs(y.Outputs, ib));
            Check(d, $"{at} intermediates", Refs(x.Intermediates, ia), Refs(y.Intermediates, ib));
            Check(d, $"{at} options", Packed(x.Options), Packed(y.Options));
            Check(d, $"{at} options 2", Packed(x.Options2), Packed(y.Options2));
            CheckBytes(d, $"{at} custom options", x.CustomOptions, y.CustomOptions);
            Check(d, $"{at} custom options format", x.CustomOptionsFormat, y.CustomOptionsFormat);
            Check(d, $"{at} mutating variable inputs", Join(x.MutatingVariableInputs ?? []), Join(y.MutatingVariableInputs ?? []));
            Check(d, $"{at} debug metadata index", x.DebugMetadataIndex, y.DebugMetadataIndex);
        }
    }

    private static void CompareTensor(List<string> d, string where, Tensor a, Tensor b)
    {
        Check(d, $"{where} name", a.Name, b.Name);
        Check(d, $"{where} type", a.Type, b.Type);
        Check(d, $"{where} shape", Join(a.Shape), Join(b.Shape));
        Check(d, $"{where} shape signature", a.ShapeSignature is null ? "none" : Join(a.ShapeSignature), b.ShapeSignature is null ? "none" : Join(b.ShapeSignature));
        Check(d, $"{where} is_variable", a.IsVariable, b.IsVariable);
        Check(d, $"{where} has_rank", a.HasRank, b.HasRank);
        Check(d, $"{where} external buffer", a.ExternalBuffer, b.ExternalBuffer);
        Check(d, $"{where} quantization", Describe(a.Quantization), Describe(b.Quantization));
        Check(d, $"{where} sparsity", Packed(a.Sparsity, Fb.SparsityParameters.Pack), Packed(b.Sparsity, Fb.SparsityParameters.Pack));
        Check(d, $"{where} variant tensors", Packed(a.VariantTensors ?? [], Fb.VariantSubType.Pack), Packed(b.VariantTensors ?? [], Fb.VariantSubType.Pack));
        CheckBytes(d, $"{where} data", a.Data, b.Data);
    }

    private static void CompareSignature(List<string> d, ModelGraph ma, ModelGraph mb, SignatureDef a, SignatureDef b)
    {
        var where = $"signature '{a.Key}'";
        Check(d, $"{where} key", a.Key, b.Key);
        Check(d, $"{where} subgraph", ma.Subgraphs.IndexOf(a.Subgraph), mb.Subgraphs.IndexOf(b.Subgraph));
        string Map(IEnumerable<SignatureTensor> entries, Subgraph s) => Join(entries.Select(e => $"{e.Name}={s.Tensors.IndexOf(e.Tensor)}"));
        Check(d, $"{where} inputs", Map(a.Inputs, a.Subgraph), Map(b.Inputs, b.Subgraph));
        Check(d, $"{where} outputs", Map(a.Outputs, a.Subgraph), Map(b.Outputs, b.Subgraph));
    }

    private static string Describe(TensorQuantization? q) => q is null
        ? "none"
        : $"min [{Join(q.Min ?? [])}] max [{Join(q.Max ?? [])}] scale [{Join(q.Scale)}] zero [{Join(q.ZeroPoint)}] " +
          $"dim {q.QuantizedDimension} details {Packed(q.Details)}";

    /// <summary>Options tables have no equality of their own: compare their serialized bytes.</summary>
    private static string Packed(Fb.BuiltinOptionsUnion? u) =>
        u is null || u.Type == Fb.BuiltinOptions.NONE ? "none" : $"{u.Type}:{Serialize(b => Fb.BuiltinOptionsUnion.Pack(b, u))}";

    private static string Packed(Fb.BuiltinOptions2Union? u) =>
        u is null || u.Type == Fb.BuiltinOptions2.NONE ? "none" : $"{u.Type}:{Serialize(b => Fb.BuiltinOptions2Union.Pack(b, u))}";

    private static string Packed(Fb.QuantizationDetailsUnion? u) =>
        u is null || u.Type == Fb.QuantizationDetails.NONE ? "none" : $"{u.Type}:{Serialize(b => Fb.QuantizationDetailsUnion.Pack(b, u))}";

    private static string Packed<T, TTable>(T? value, Func<FlatBufferBuilder, T, Offset<TTable>> pack) where T : class where TTable : struct =>
        value is null ? "none" : Serialize(b => pack(b, value).Value);

    private static string Packed<T, TTable>(List<T> values, Func<FlatBufferBuilder, T, Offset<TTable>> pack) where T : class where TTable : struct =>
        Join(values.Select(v => Packed(v, pack)));

    private static string Serialize(Func<FlatBufferBuilder, int> pack)
    {
        var builder = new FlatBufferBuilder(256);
        builder.Finish(pack(builder));
        return Convert.ToHexString(builder.SizedByteArray());
    }

    private static Dictionary<Tensor, int> Index(Subgraph s)
    {
        var index = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < s.Tensors.Count; i++)
        {
            index[s.Tensors[i]] = i;
        }
        return index;
    }

    private static void Check<T>(List<string> d, string what, T a, T b)
    {
        if (d.Count == 0 && !EqualityComparer<T>.Default.Equals(a, b))
        {
            d.Add($"{what} differs: {a} vs {b}");
        }
    }

    private static void CheckBytes(List<string> d, string what, ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b)
    {
        if (d.Count == 0 && !a.Span.SequenceEqual(b.Span))
        {
            d.Add($"{what} differs ({a.Length} vs {b.Length} bytes)");
        }
    }

    private static string Join<T>(IEnumerable<T> values) => string.Join(",", values);
}
