using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Runtime.Kernels;
using ModelBuildTasks.Runtime.Loading;

namespace ModelBuildTasks.Runtime;

/// <summary>
/// A model prepared for execution: kernels resolved and validated, constant weights folded to float32 (float16
/// and int8 DEQUANTIZE, DENSIFY), weights packed for the kernels, activation memory planned. Immutable and
/// thread-safe: any number of <see cref="ModelSession"/>s on any threads share its read-only weights, each with
/// its own activation arena. It keeps no reference to the <see cref="ModelGraph"/> it was built from.
/// </summary>
/// <remarks>
/// Each instance is one entry point of the model: <see cref="Load(string)"/> returns the main subgraph's, and
/// <see cref="GetSignature"/> the one of each signature (its inputs and outputs in signature order, under the
/// signature's names). Signatures on the same subgraph share one preparation, so their weights exist once.
/// </remarks>
public sealed class CompiledModel
{
    private Dictionary<string, int> inputNames;
    private Dictionary<string, int> outputNames;

    // Entry points shared by every view of one loaded model: signatures by key (file order) and prepared subgraphs.
    private EntryPoints entries = EntryPoints.Empty;

    internal CompiledModel(
        RuntimeTensor?[] tensors, Step[] steps, RuntimeTensor[] inputs, RuntimeTensor[] outputs, int operatorCount,
        int[] folded, long arenaBytes, long scratchBytes, long constantBytes, int subgraphIndex)
    {
        Tensors = tensors;
        Steps = steps;
        InputTensors = inputs;
        OutputTensors = outputs;
        Inputs = inputs.Select(t => t.Descriptor).ToArray();
        Outputs = outputs.Select(t => t.Descriptor).ToArray();
        OperatorCount = operatorCount;
        FoldedOperators = folded;
        PeakActivationBytes = arenaBytes;
        ScratchBytesPerThread = scratchBytes;
        ConstantBytes = constantBytes;
        SubgraphIndex = subgraphIndex;
        inputNames = NameIndex(Inputs, []);
        outputNames = NameIndex(Outputs, []);
    }

    /// <summary>A view of a prepared subgraph through a signature: same kernels and weights, the signature's names and order.</summary>
    private CompiledModel(CompiledModel program, SignatureDef signature, RuntimeTensor[] inputs, RuntimeTensor[] outputs)
    {
        Tensors = program.Tensors;
        Steps = program.Steps;
        InputTensors = inputs;
        OutputTensors = outputs;
        Inputs = inputs.Select((t, i) => t.Descriptor.WithSignatureName(signature.Inputs[i].Name)).ToArray();
        Outputs = outputs.Select((t, i) => t.Descriptor.WithSignatureName(signature.Outputs[i].Name)).ToArray();
        OperatorCount = program.OperatorCount;
        FoldedOperators = program.FoldedOperators;
        PeakActivationBytes = program.PeakActivationBytes;
        ScratchBytesPerThread = program.ScratchBytesPerThread;
        ConstantBytes = program.ConstantBytes;
        SubgraphIndex = program.SubgraphIndex;
        SignatureKey = signature.Key;
        // The signature's names are its API; tensor names still work where they do not clash.
        inputNames = NameIndex(Inputs, Inputs.Select(d => d.SignatureName!));
        outputNames = NameIndex(Outputs, Outputs.Select(d => d.SignatureName!));
    }

    /// <summary>The subgraph this entry point runs (0 is the model's main subgraph).</summary>
    public int SubgraphIndex { get; }

    /// <summary>
    /// The signature this entry point runs, or null for a subgraph opened by index (what <see cref="Load(string)"/>
    /// returns: subgraph 0, which also answers to the names of the first signature on it).
    /// </summary>
    public string? SignatureKey { get; }

    /// <summary>Keys of the model's signatures, in file order (empty when the model has none).</summary>
    public IReadOnlyList<string> SignatureKeys => entries.Keys;

    /// <summary>The inputs: in signature order for a signature, else in subgraph order.</summary>
    public IReadOnlyList<TensorDescriptor> Inputs { get; }

    /// <summary>The outputs: in signature order for a signature, else in subgraph order.</summary>
    public IReadOnlyList<TensorDescriptor> Outputs { get; }

    /// <summary>Operators in this entry point's subgraph.</summary>
    public int OperatorCount { get; }

    /// <summary>Operators computed once at load (constant DEQUANTIZE/DENSIFY); they do not run and are not observed.</summary>
    public IReadOnlyList<int> FoldedOperators { get; }

    /// <summary>Operators that run on every <see cref="ModelSession.Run"/>, in execution order.</summary>
    public IReadOnlyList<int> ExecutedOperators => Steps.Select(s => s.OperatorIndex).ToArray();

    /// <summary>
    /// Bytes of the activation arena each session allocates: inputs, outputs and intermediates placed by lifetime.
    /// </summary>
    public long PeakActivationBytes { get; }

    /// <summary>
    /// Multiply-accumulates of one run in convolutions and matrix products (twice this is the FLOP count behind a
    /// GFLOP/s figure).
    /// </summary>
    public long MultiplyAccumulates => Steps.Sum(s => s.Kernel.MultiplyAccumulates);

    /// <summary>Per-thread scratch memory of the most demanding kernel (e.g. an im2col block).</summary>
    public long ScratchBytesPerThread { get; }

    /// <summary>Bytes of weights and other constants the kernels read (shared by all sessions).</summary>
    public long ConstantBytes { get; }

    internal RuntimeTensor?[] Tensors { get; }

    internal Step[] Steps { get; }

    internal RuntimeTensor[] InputTensors { get; }

    internal RuntimeTensor[] OutputTensors { get; }

    /// <summary>Reads and prepares a model file; every error names the file.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid model (MBT1xxx) or the runtime cannot execute it (MBT2xxx).</exception>
    public static CompiledModel Load(string path)
    {
        var graph = ModelReader.ReadFile(path);
        try
        {
            return FromGraph(graph);
        }
        catch (ModelRuntimeException e)
        {
            throw e.WithFile(path);
        }
        catch (ModelFormatException e)
        {
            throw e.WithFile(path);
        }
    }

    /// <summary>Reads and prepares a model held in memory.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid model, or the runtime cannot execute it.</exception>
    public static CompiledModel Load(ReadOnlyMemory<byte> bytes) => FromGraph(ModelReader.Read(bytes));

    /// <summary>Reads (one copy) and prepares a model from a stream.</summary>
    /// <exception cref="ModelFormatException">The stream is not a valid model, or the runtime cannot execute it.</exception>
    public static CompiledModel Load(Stream stream) => FromGraph(ModelReader.Read(stream));

    /// <summary>
    /// Prepares a model: its main subgraph and the subgraph of every signature, so unsupported operators or type
    /// combinations anywhere a signature reaches fail here with a coded error. Returns the main subgraph's entry
    /// point; <see cref="GetSignature"/> opens the others.
    /// </summary>
    /// <exception cref="ModelRuntimeException">The runtime cannot execute the model.</exception>
    public static CompiledModel FromGraph(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return Prepare(graph, 0);
    }

    /// <summary>
    /// Prepares one subgraph of a model as the entry point returned (for a subgraph no signature names, e.g. a
    /// model's second graph without signature definitions), plus every signature as <see cref="FromGraph(ModelGraph)"/> does.
    /// </summary>
    /// <exception cref="ModelRuntimeException">The subgraph does not exist (MBT2008), or the runtime cannot execute it.</exception>
    public static CompiledModel FromGraph(ModelGraph graph, int subgraphIndex)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if ((uint)subgraphIndex >= (uint)graph.Subgraphs.Count)
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.UnknownSignature,
                $"subgraph {subgraphIndex} does not exist; the model has {graph.Subgraphs.Count} subgraph(s)");
        }
        return Prepare(graph, subgraphIndex);
    }

    private static CompiledModel Prepare(ModelGraph graph, int rootSubgraph)
    {
        // One preparation per subgraph, shared by the signatures on it (weights are not duplicated).
        var programs = new Dictionary<int, CompiledModel>();
        CompiledModel Program(int subgraph, string? why)
        {
            if (!programs.TryGetValue(subgraph, out var program))
            {
                program = Compile(graph, subgraph, why);
                programs.Add(subgraph, program);
            }
            return program;
        }

        var root = Program(rootSubgraph, null);
        var keys = new List<string>();
        var signatures = new Dictionary<string, CompiledModel>(StringComparer.Ordinal);
        foreach (var signature in graph.Signatures)
        {
            var subgraph = graph.Subgraphs.IndexOf(signature.Subgraph);
            if (subgraph < 0)
            {
                throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                    $"signature '{signature.Key}' refers to a subgraph that is not in the model");
            }
            if (signatures.ContainsKey(signature.Key))
            {
                throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                    $"the model defines signature '{signature.Key}' twice");
            }
            var program = Program(subgraph, $"signature '{signature.Key}'");
            keys.Add(signature.Key);
            signatures.Add(signature.Key, program.View(graph, signature));
        }

        // The main entry point also answers to the names of the first signature on its subgraph, as it always has.
        if (graph.Signatures.FirstOrDefault(s => s.Subgraph == graph.Subgraphs[rootSubgraph]) is { } named)
        {
            root.outputNames = NameIndex(root.Outputs, SignatureNames(root.Outputs, named.Outputs), signatureFirst: false);
            root.inputNames = NameIndex(root.Inputs, SignatureNames(root.Inputs, named.Inputs), signatureFirst: false);
        }

        var shared = new EntryPoints(keys, signatures, programs);
        root.entries = shared;
        foreach (var view in signatures.Values)
        {
            view.entries = shared;
        }
        foreach (var program in programs.Values)
        {
            program.entries = shared;
        }
        return root;
    }

    private static CompiledModel Compile(ModelGraph graph, int subgraph, string? why)
    {
        // A signature may name an intermediate tensor as an output: keep it readable after a run.
        var extra = new List<Tensor>();
        if (subgraph < graph.Subgraphs.Count)
        {
            var s = graph.Subgraphs[subgraph];
            foreach (var signature in graph.Signatures)
            {
                if (signature.Subgraph == s)
                {
                    extra.AddRange(signature.Outputs.Select(o => o.Tensor).Where(t => !s.Outputs.Contains(t)));
                }
            }
        }
        try
        {
            return new ModelLoader(graph, KernelRegistry.Default, subgraph, extra).Build();
        }
        catch (OverflowException e)
        {
            // Sizes are checked arithmetic: a tensor or plan beyond what one array can hold lands here.
            throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                $"{Where(subgraph, why)}the model's tensors are too large for this runtime (one tensor, or the activations of a session, must fit in 2 GB)", -1, e);
        }
        catch (ModelRuntimeException e) when (subgraph != 0)
        {
            // Operator indices count within a subgraph: say which one.
            throw new ModelRuntimeException(e.Code, Where(subgraph, why) + e.Detail, e.OperatorIndex, e);
        }
    }

    private static string Where(int subgraph, string? why) =>
        subgraph == 0 ? "" : why is null ? $"subgraph {subgraph}: " : $"subgraph {subgraph} ({why}): ";

    /// <summary>This prepared subgraph seen through <paramref name="signature"/>: its names, its order.</summary>
    private CompiledModel View(ModelGraph graph, SignatureDef signature)
    {
        var subgraph = graph.Subgraphs[SubgraphIndex];
        var inputs = new RuntimeTensor[signature.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var position = subgraph.Inputs.IndexOf(signature.Inputs[i].Tensor);
            inputs[i] = position >= 0
                ? InputTensors[position]
                : throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                    $"signature '{signature.Key}' input '{signature.Inputs[i].Name}' is tensor {signature.Inputs[i].Tensor}, which is not an input of subgraph {SubgraphIndex}");
        }
        var outputs = new RuntimeTensor[signature.Outputs.Count];
        for (var i = 0; i < outputs.Length; i++)
        {
            var index = subgraph.Tensors.IndexOf(signature.Outputs[i].Tensor);
            outputs[i] = index >= 0 && Tensors[index] is { } t
                ? t
                : throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                    $"signature '{signature.Key}' output '{signature.Outputs[i].Name}' is tensor {signature.Outputs[i].Tensor}, which subgraph {SubgraphIndex} does not compute");
        }
        // Every subgraph input must be writable, or a run would read stale memory.
        if (inputs.Distinct().Count() != InputTensors.Length)
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                $"signature '{signature.Key}' names {inputs.Length} input(s) but subgraph {SubgraphIndex} has {InputTensors.Length}: each must be named once");
        }
        return new CompiledModel(this, signature, inputs, outputs);
    }

    /// <summary>A new session (activation arena and worker threads of its own) on this entry point.</summary>
    public ModelSession CreateSession(SessionOptions? options = null) => new(this, options);

    /// <summary>A new session on the signature <paramref name="signatureKey"/>.</summary>
    /// <exception cref="ModelRuntimeException">The model has no such signature (MBT2008).</exception>
    public ModelSession CreateSession(string signatureKey, SessionOptions? options = null) => new(GetSignature(signatureKey), options);

    /// <summary>The entry point of signature <paramref name="key"/>: inputs and outputs in its order, under its names.</summary>
    /// <exception cref="ModelRuntimeException">The model has no such signature (MBT2008); the message lists the keys it has.</exception>
    public CompiledModel GetSignature(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return entries.Signatures.TryGetValue(key, out var view)
            ? view
            : throw new ModelRuntimeException(RuntimeErrorCodes.UnknownSignature, entries.Keys.Count == 0
                ? $"the model has no signature '{key}'; it defines no signatures (run it without one)"
                : $"the model has no signature '{key}'; signatures: {string.Join(", ", entries.Keys.Select(k => $"'{k}'"))}");
    }

    /// <summary>
    /// The entry point of subgraph <paramref name="index"/> by its own tensor names: available for the subgraph
    /// loaded as main and those of signatures (others are not prepared; use <see cref="FromGraph(ModelGraph, int)"/>).
    /// </summary>
    /// <exception cref="ModelRuntimeException">The subgraph was not prepared (MBT2008).</exception>
    public CompiledModel GetSubgraph(int index) => entries.Subgraphs.TryGetValue(index, out var program)
        ? program
        : throw new ModelRuntimeException(RuntimeErrorCodes.UnknownSignature,
            $"subgraph {index} was not prepared; prepared subgraphs: {string.Join(", ", entries.Subgraphs.Keys.Order())} (load it with CompiledModel.FromGraph(graph, {index}))");

    /// <summary>Position of the input with this tensor (or signature) name; -1 when none.</summary>
    public int FindInput(string name) => inputNames.GetValueOrDefault(name, -1);

    /// <summary>Position of the output with this tensor (or signature) name; -1 when none.</summary>
    public int FindOutput(string name) => outputNames.GetValueOrDefault(name, -1);

    /// <summary>The entry point a session opens for <paramref name="options"/> (a signature, a subgraph, or this one).</summary>
    internal CompiledModel EntryFor(SessionOptions options)
    {
        if (options.Signature is not null && options.Subgraph is not null)
        {
            throw new ArgumentException("Set either SessionOptions.Signature or SessionOptions.Subgraph, not both.", nameof(options));
        }
        return options.Signature is { } key ? GetSignature(key)
            : options.Subgraph is { } index ? GetSubgraph(index)
            : this;
    }

    /// <summary>Names to positions: <paramref name="preferred"/> names (a signature's) first, then tensor names.</summary>
    private static Dictionary<string, int> NameIndex(IReadOnlyList<TensorDescriptor> list, IEnumerable<string?> preferred, bool signatureFirst = true)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!signatureFirst)
        {
            AddTensorNames();
        }
        var position = 0;
        foreach (var name in preferred)
        {
            if (name is not null)
            {
                map.TryAdd(name, position);
            }
            position++;
        }
        if (signatureFirst)
        {
            AddTensorNames();
        }
        return map;

        void AddTensorNames()
        {
            for (var i = 0; i < list.Count; i++)
            {
                map.TryAdd(list[i].Name, i);
            }
        }
    }

    /// <summary>For each position of <paramref name="list"/>, the signature's name of that tensor (or null).</summary>
    private static IEnumerable<string?> SignatureNames(IReadOnlyList<TensorDescriptor> list, IReadOnlyList<SignatureTensor> signature) =>
        list.Select(d => signature.FirstOrDefault(s => s.Tensor.Name == d.Name)?.Name);

    /// <summary>What all entry points of one loaded model share.</summary>
    private sealed record EntryPoints(
        IReadOnlyList<string> Keys, IReadOnlyDictionary<string, CompiledModel> Signatures, IReadOnlyDictionary<int, CompiledModel> Subgraphs)
    {
        public static readonly EntryPoints Empty = new([], new Dictionary<string, CompiledModel>(), new Dictionary<int, CompiledModel>());
    }
}

/// <summary>One operator to run: its kernel, its index in the model and its outputs (tensor indices, -1 when omitted).</summary>
internal sealed record Step(Kernel Kernel, int OperatorIndex, OperatorCode Code, int[] Outputs);
