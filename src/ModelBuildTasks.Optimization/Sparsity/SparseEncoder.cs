using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Pruning;

namespace ModelBuildTasks.Optimization.Sparsity;

/// <summary>Settings of <see cref="SparseEncoder"/>.</summary>
public sealed record SparseEncodingOptions
{
    /// <summary>The TFLite converter's rule: tensors with fewer zeros than this stay dense.</summary>
    public const double ConverterMinZeroFraction = 0.3;

    /// <summary>Tensors with a smaller fraction of exact zeros stay dense.</summary>
    public double MinZeroFraction { get; init; } = ConverterMinZeroFraction;

    /// <summary>
    /// Estimated file bytes one sparse tensor costs beyond its values and index vectors (the DENSIFY operator, its output
    /// tensor and the sparsity tables, alignment). A tensor is stored sparse only when that total is below its dense size.
    /// Measured: about 240 bytes per tensor on face_detection_short_range (names of about 50 characters).
    /// </summary>
    public int OverheadBytes { get; init; } = 256;

    /// <summary>
    /// Also store int8 weights (zero point 0) sparse. Off by default: LiteRT 2.5.3 (the WASM build our oracle runs)
    /// loads int8 sparse → DENSIFY → DEQUANTIZE models but computes wrong outputs (values around 1e8 on
    /// face_detection_short_range, per-tensor and per-channel alike), while our runtime gets them right. Pruned int8
    /// weights stay dense with exact zeros, which compress well.
    /// </summary>
    public bool StoreInt8Sparse { get; init; }

    /// <summary>Block sizes tried along the input-channel (last) axis and along the output-channel axis.</summary>
    public IReadOnlyList<int> BlockSizes { get; init; } = [2, 4, 8, 16];
}

/// <summary>What the encoder did to one weight tensor.</summary>
/// <param name="Name">The constant's name.</param>
/// <param name="ZeroFraction">Its fraction of exact zeros.</param>
/// <param name="DenseBytes">Its dense size.</param>
/// <param name="SparseBytes">Values plus index vectors when stored sparse (equal to DenseBytes when kept dense).</param>
/// <param name="Layout">The layout chosen: <c>dense</c>, <c>csr</c> or <c>block N along axis A</c>.</param>
public sealed record EncodedTensor(string Name, double ZeroFraction, long DenseBytes, long SparseBytes, string Layout);

/// <summary>The encoded model and the per-tensor decisions.</summary>
/// <param name="Model">The new model.</param>
/// <param name="Tensors">Every weight tensor considered, in operator order.</param>
/// <param name="Changes">The tensors stored sparse, as optimizer changes (pass <c>sparse</c>).</param>
public sealed record SparseEncodingResult(ModelGraph Model, IReadOnlyList<EncodedTensor> Tensors, IReadOnlyList<OptimizationChange> Changes);

/// <summary>
/// Stores pruned weight constants in TFLite's sparse format followed by a DENSIFY operator (v1), as the TFLite
/// converter does (see <c>face_detection_full_range_sparse</c>: float16 sparse → DENSIFY → DEQUANTIZE → CONV_2D), where
/// that makes the file smaller; other tensors stay dense with their exact zeros. For each tensor it tries plain CSR
/// and the block layouts that tile it and keeps the smallest. Run it last, after pruning, clustering and
/// quantization. int8 weights stay dense unless <see cref="SparseEncodingOptions.StoreInt8Sparse"/> asks otherwise.
/// Sets <c>min_runtime_version</c> to at least 2.2.0 (where DENSIFY appeared) when the model records one.
/// </summary>
public static class SparseEncoder
{
    /// <summary>The runtime version that introduced DENSIFY.</summary>
    public const string DensifyMinRuntimeVersion = "2.2.0";

    /// <summary>Encodes a copy of <paramref name="model"/>.</summary>
    public static SparseEncodingResult Encode(ModelGraph model, SparseEncodingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SparseEncodingOptions();
        var copy = ModelCloner.Clone(model);
        var report = new List<EncodedTensor>();
        var changes = new List<OptimizationChange>();
        var all = WeightLocator.Find(copy);
        foreach (var subgraph in copy.Subgraphs)
        {
            var weights = all.FindAll(w => ReferenceEquals(w.Subgraph, subgraph) && !w.IsSparse);
            if (weights.Count == 0)
            {
                continue;
            }
            var editor = new SubgraphEditor(copy, subgraph);
            foreach (var weight in weights)
            {
                var t = weight.Constant;
                var elementSize = TensorTypes.ElementSize(t.Type);
                var denseBytes = t.Data.Length;
                var zeros = SparseTensorCodec.ZeroFraction(t.Data.Span, elementSize);
                var best = zeros >= options.MinZeroFraction && CanStoreSparse(t, options) ? Smallest(t, weight, options) : null;
                if (best is null || best.Value.Sparse.PayloadBytes + options.OverheadBytes >= denseBytes)
                {
                    report.Add(new EncodedTensor(t.Name, zeros, denseBytes, denseBytes, "dense"));
                    continue;
                }
                var (sparse, layout) = best.Value;
                var densified = new Tensor(editor.UniqueName(t.Name + "_densified"), t.Type, [.. t.Shape])
                {
                    ShapeSignature = t.ShapeSignature is null ? null : [.. t.ShapeSignature],
                    Quantization = ModelCloner.CloneQuantization(t.Quantization),
                    HasRank = true,
                };
                var readers = editor.ConsumersOf(t).ToList();
                editor.ReplaceUses(t, densified);
                editor.AddTensorAfter(t, densified);
                var op = new Operator(new OperatorCode(BuiltinOperator.DENSIFY, Version: 1));
                op.Inputs.Add(t);
                op.Outputs.Add(densified);
                editor.InsertOperatorBefore(editor.First(readers), op);
                t.Data = sparse.Values;
                t.Sparsity = sparse.Parameters;
                report.Add(new EncodedTensor(t.Name, zeros, denseBytes, sparse.PayloadBytes, layout.ToString()));
                changes.Add(new OptimizationChange("sparse", t.Name, $"dense -> {layout} + DENSIFY", denseBytes, sparse.PayloadBytes));
            }
            editor.Commit();
        }
        if (changes.Count > 0)
        {
            RaiseMinRuntimeVersion(copy, DensifyMinRuntimeVersion);
        }
        return new SparseEncodingResult(copy, report, changes);
    }

    /// <summary>int8 only on request and with all zero points 0: DENSIFY fills missing elements with byte 0.</summary>
    private static bool CanStoreSparse(Tensor t, SparseEncodingOptions options) =>
        t.Type is TensorType.FLOAT32 or TensorType.FLOAT16 ||
        options.StoreInt8Sparse && t.Type == TensorType.INT8 && t.Quantization is { } q && Array.TrueForAll(q.ZeroPoint, z => z == 0);

    private static (SparseTensor Sparse, SparseBlock Layout)? Smallest(Tensor t, WeightTensor weight, SparseEncodingOptions options)
    {
        var elementSize = TensorTypes.ElementSize(t.Type);
        var candidates = new List<SparseBlock> { SparseBlock.None };
        foreach (var size in options.BlockSizes)
        {
            foreach (var axis in new[] { weight.InputAxis, weight.OutputAxis })
            {
                var block = new SparseBlock(axis, size);
                if (size > 1 && t.Shape[axis] % size == 0 && !candidates.Contains(block))
                {
                    candidates.Add(block);
                }
            }
        }
        // Compare sizes without building; build only the winner.
        var bestLayout = SparseBlock.None;
        var bestBytes = long.MaxValue;
        foreach (var layout in candidates)
        {
            var bytes = SparseTensorCodec.EncodedPayloadBytes(t.Data.Span, elementSize, t.Shape, layout);
            if (bytes < bestBytes)
            {
                bestBytes = bytes;
                bestLayout = layout;
            }
        }
        return (SparseTensorCodec.Encode(t.Data.Span, elementSize, t.Shape, bestLayout), bestLayout);
    }

    /// <summary>Raises the <c>min_runtime_version</c> metadata (if present) to <paramref name="version"/>.</summary>
    internal static void RaiseMinRuntimeVersion(ModelGraph model, string version)
    {
        var index = model.Metadata.FindIndex(m => m.Name == ModelGraph.MinRuntimeVersionName);
        if (index < 0)
        {
            return;
        }
        var current = Encoding.ASCII.GetString(model.Metadata[index].Data.Span).TrimEnd('\0', ' ');
        if (Version.TryParse(current, out var have) && Version.TryParse(version, out var need) && have >= need)
        {
            return;
        }
        // The converter pads the string with NULs to 16 bytes so the entry can be patched in place.
        var bytes = new byte[Math.Max(16, version.Length)];
        Encoding.ASCII.GetBytes(version, bytes);
        model.Metadata[index] = new MetadataEntry(ModelGraph.MinRuntimeVersionName, bytes);
    }
}
