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
public sealed class CompiledModel
{
    private readonly Dictionary<string, int> inputNames;
    private readonly Dictionary<string, int> outputNames;

    internal CompiledModel(
        RuntimeTensor?[] tensors, Step[] steps, RuntimeTensor[] inputs, RuntimeTensor[] outputs, int operatorCount,
        int[] folded, long arenaBytes, long scratchBytes, long constantBytes, IReadOnlyList<SignatureDef> signatures)
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
        inputNames = NameIndex(Inputs, signatures.Count > 0 ? signatures[0].Inputs : []);
        outputNames = NameIndex(Outputs, signatures.Count > 0 ? signatures[0].Outputs : []);
    }

    /// <summary>The model's inputs, in subgraph order.</summary>
    public IReadOnlyList<TensorDescriptor> Inputs { get; }

    /// <summary>The model's outputs, in subgraph order.</summary>
    public IReadOnlyList<TensorDescriptor> Outputs { get; }

    /// <summary>Operators in the model's main subgraph.</summary>
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

    /// <summary>Prepares a model. Unsupported operators or type combinations fail here with a coded error.</summary>
    /// <exception cref="ModelRuntimeException">The runtime cannot execute the model.</exception>
    public static CompiledModel FromGraph(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        try
        {
            return new ModelLoader(graph, KernelRegistry.Default).Build();
        }
        catch (OverflowException e)
        {
            // Sizes are checked arithmetic: a tensor or plan beyond what one array can hold lands here.
            throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                "the model's tensors are too large for this runtime (one tensor, or the activations of a session, must fit in 2 GB)", -1, e);
        }
    }

    /// <summary>A new session (activation arena and worker threads of its own) on this model.</summary>
    public ModelSession CreateSession(SessionOptions? options = null) => new(this, options);

    /// <summary>Position of the input with this tensor (or signature) name; -1 when none.</summary>
    public int FindInput(string name) => inputNames.GetValueOrDefault(name, -1);

    /// <summary>Position of the output with this tensor (or signature) name; -1 when none.</summary>
    public int FindOutput(string name) => outputNames.GetValueOrDefault(name, -1);

    private static Dictionary<string, int> NameIndex(IReadOnlyList<TensorDescriptor> list, IEnumerable<SignatureTensor> signature)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            map.TryAdd(list[i].Name, i);
        }
        foreach (var s in signature)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].Name == s.Tensor.Name)
                {
                    map.TryAdd(s.Name, i);
                }
            }
        }
        return map;
    }
}

/// <summary>One operator to run: its kernel, its index in the model and its outputs (tensor indices, -1 when omitted).</summary>
internal sealed record Step(Kernel Kernel, int OperatorIndex, OperatorCode Code, int[] Outputs);
