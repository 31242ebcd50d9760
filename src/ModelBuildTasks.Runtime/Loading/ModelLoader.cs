using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Kernels;
using ModelBuildTasks.Runtime.Planning;

namespace ModelBuildTasks.Runtime.Loading;

/// <summary>
/// Turns a <see cref="ModelGraph"/> into a <see cref="CompiledModel"/>: execution order, constant folding,
/// kernel resolution, memory planning. Every problem surfaces here as a coded exception.
/// </summary>
internal sealed class ModelLoader
{
    // One pinned byte array per session, with room for alignment.
    private const long MaxArenaBytes = int.MaxValue - 1024;

    private readonly KernelRegistry registry;
    private readonly Subgraph main;
    private readonly int subgraphIndex;
    private readonly IReadOnlyList<Tensor> extraOutputs;
    private readonly Dictionary<Tensor, int> tensorIndex = new(ReferenceEqualityComparer.Instance);
    private readonly RuntimeTensor?[] tensors;

    // Constant bytes computed at load (dequantized or densified), by tensor index; pinned like all constants.
    private readonly Dictionary<int, byte[]> folded = [];

    /// <param name="graph">The model.</param>
    /// <param name="registry">Kernels to resolve operators with.</param>
    /// <param name="subgraphIndex">The subgraph to prepare (0, the main one, unless a signature names another).</param>
    /// <param name="extraOutputs">
    /// Tensors a signature exposes as outputs although the subgraph does not list them: kept readable after a run.
    /// </param>
    public ModelLoader(ModelGraph graph, KernelRegistry registry, int subgraphIndex = 0, IReadOnlyList<Tensor>? extraOutputs = null)
    {
        this.registry = registry;
        this.subgraphIndex = subgraphIndex;
        this.extraOutputs = extraOutputs ?? [];
        main = graph.Subgraphs.Count == 0
            ? throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel, "the model has no subgraph")
            : (uint)subgraphIndex < (uint)graph.Subgraphs.Count
                ? graph.Subgraphs[subgraphIndex]
                : throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                    $"subgraph {subgraphIndex} does not exist; the model has {graph.Subgraphs.Count} subgraph(s)");
        for (var i = 0; i < main.Tensors.Count; i++)
        {
            tensorIndex.TryAdd(main.Tensors[i], i);
        }
        tensors = new RuntimeTensor?[main.Tensors.Count];
    }

    public CompiledModel Build()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The runtime reads model data as little-endian.");
        }
        var opIndex = new Dictionary<Operator, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < main.Operators.Count; i++)
        {
            opIndex[main.Operators[i]] = i;
        }
        var graphInputs = main.Inputs.Select(IndexOf).ToHashSet();

        // 1. Fold what only depends on constants; everything else runs.
        var executed = new List<Operator>();
        var foldedOps = new List<int>();
        foreach (var op in GraphAlgorithms.TopologicalOrder(main))
        {
            if (TryFold(op, opIndex[op], graphInputs))
            {
                foldedOps.Add(opIndex[op]);
            }
            else
            {
                executed.Add(op);
            }
        }

        // 2. Every input must be a constant, a graph input or written by an earlier operator.
        var available = new HashSet<int>(graphInputs);
        foreach (var op in executed)
        {
            foreach (var input in op.Inputs)
            {
                if (input is null)
                {
                    continue;
                }
                var t = IndexOf(input);
                if (!available.Contains(t) && ConstantBytes(t) is null)
                {
                    var why = input.IsVariable ? "variable tensors are not supported"
                        : input.Sparsity is not null ? "a sparse tensor can only be read through DENSIFY"
                        : "no operator writes it";
                    throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                        $"operator {opIndex[op]} ({op.Code}) reads tensor {input}, but {why}", opIndex[op]);
                }
            }
            foreach (var output in op.Outputs)
            {
                if (output is not null)
                {
                    available.Add(IndexOf(output));
                }
            }
        }

        // 3. Kernels.
        var steps = new Step[executed.Count];
        for (var s = 0; s < executed.Count; s++)
        {
            var op = executed[s];
            var index = opIndex[op];
            var ins = op.Inputs.Select(t => t is null ? null : Runtime(IndexOf(t), graphInputs)).ToArray();
            var outs = op.Outputs.Select(t => t is null ? null : Runtime(IndexOf(t), graphInputs)).ToArray();
            foreach (var o in outs)
            {
                if (o is { IsConstant: true })
                {
                    throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                        $"operator {index} ({op.Code}) writes constant tensor {o}", index);
                }
            }
            var kernel = CreateKernel(new KernelSetup(op, index, ins, outs));
            steps[s] = new Step(kernel, index, op.Code, outs.Select(o => o?.Index ?? -1).ToArray());
        }

        var inputs = main.Inputs.Select(t => Runtime(IndexOf(t), graphInputs)).ToArray();
        var outputs = main.Outputs.Select(t => Runtime(IndexOf(t), graphInputs)).ToArray();
        var kept = extraOutputs.Select(t => Runtime(IndexOf(t), graphInputs));

        // 4. Memory.
        var arena = PlanMemory(steps, inputs, outputs.Concat(kept).ToArray());
        if (arena > MaxArenaBytes)
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                $"the activations need {arena} bytes; a session can hold at most {MaxArenaBytes} (2 GB)");
        }
        var scratch = steps.Length == 0 ? 0 : steps.Max(s => s.Kernel.ScratchBytesPerThread);
        var constantBytes = tensors.Where(t => t is { IsConstant: true }).Sum(t => t!.Constant!.LongLength);
        return new CompiledModel(tensors, steps, inputs, outputs, main.Operators.Count, foldedOps.ToArray(), arena,
            scratch, constantBytes, subgraphIndex);
    }

    /// <summary>
    /// Kernel constructors validate what they read, but a malformed model can still break an assumption (a rank, an
    /// option out of range) deep inside one: that becomes a coded error naming the operator, never a crash.
    /// </summary>
    private Kernel CreateKernel(KernelSetup setup)
    {
        try
        {
            return registry.Create(setup);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException
                                      or InvalidCastException or NullReferenceException or DivideByZeroException)
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.InvalidOperator,
                $"operator {setup.OperatorIndex} ({setup.Op.Code}) {setup.DescribeTypes()}: its tensors or options are inconsistent ({e.Message})",
                setup.OperatorIndex, e);
        }
    }

    private int IndexOf(Tensor t) => tensorIndex.TryGetValue(t, out var i)
        ? i
        : throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel, $"tensor {t} does not belong to subgraph {subgraphIndex}");

    /// <summary>Constant bytes of a tensor: folded ones, or the file's (dense tensors only).</summary>
    private ReadOnlyMemory<byte>? ConstantBytes(int t)
    {
        if (folded.TryGetValue(t, out var f))
        {
            return f;
        }
        var tensor = main.Tensors[t];
        return tensor.IsConstant && tensor.Sparsity is null ? (ReadOnlyMemory<byte>?)tensor.Data : null;
    }

    private bool TryFold(Operator op, int index, HashSet<int> graphInputs)
    {
        if (op.Inputs.Count != 1 || op.Outputs.Count != 1 || op.Inputs[0] is not { } input || op.Outputs[0] is not { } output)
        {
            return false;
        }
        var inIndex = IndexOf(input);
        var outIndex = IndexOf(output);
        if (graphInputs.Contains(inIndex) || graphInputs.Contains(outIndex))
        {
            return false;
        }
        Exception Fail(string message) => new ModelRuntimeException(RuntimeErrorCodes.InvalidOperator,
            $"operator {index} ({op.Code}): {message}", index);

        switch (op.Code.Builtin)
        {
            case BuiltinOperator.DEQUANTIZE when output.Type == TensorType.FLOAT32 && Dequantization.CanDequantize(input.Type):
            {
                if (ConstantBytes(inIndex) is not { } data)
                {
                    return false;
                }
                if (input.Type != TensorType.FLOAT16 && !Dequantization.IsValid(input.Quantization, input.Shape))
                {
                    throw Fail($"tensor {input} has no usable quantization parameters");
                }
                var count = checked((int)input.ElementCount);
                if (output.ElementCount != count || data.Length < input.DenseByteSize)
                {
                    throw Fail($"input {input} and output {output} sizes do not match");
                }
                var bytes = GC.AllocateArray<byte>(count * 4 + 64, pinned: true);
                Dequantization.Dequantize(input.Type, data.Span, MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, count * 4)),
                    input.Quantization, input.Shape);
                folded[outIndex] = bytes;
                return true;
            }
            case BuiltinOperator.DENSIFY when input.IsConstant && input.Sparsity is not null:
            {
                if (input.Type != output.Type || !input.Shape.AsSpan().SequenceEqual(output.Shape))
                {
                    throw Fail($"input {input} and output {output} must have the same type and shape");
                }
                var dense = Densifier.Densify(input, input.Data.Span, Fail);
                var pinned = GC.AllocateArray<byte>(dense.Length + 64, pinned: true);
                dense.CopyTo(pinned, 0);
                folded[outIndex] = pinned;
                return true;
            }
            default:
                return false;
        }
    }

    private RuntimeTensor Runtime(int index, HashSet<int> graphInputs)
    {
        if (tensors[index] is { } existing)
        {
            return existing;
        }
        var t = main.Tensors[index];
        if (t.Shape.Any(d => d < 0))
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel, $"tensor {t} has an unknown dimension");
        }
        if (TensorTypes.ElementSize(t.Type) == 0)
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                $"tensor {t} has element type {TensorTypes.Name(t.Type)}, which the runtime cannot store");
        }
        var rt = new RuntimeTensor(new TensorDescriptor(index, t.Name, t.Type, (int[])t.Shape.Clone(), t.Quantization));
        if (!graphInputs.Contains(index) && ConstantBytes(index) is { } data)
        {
            if (data.Length < rt.ByteLength)
            {
                throw new ModelRuntimeException(RuntimeErrorCodes.UnsupportedModel,
                    $"constant tensor {t} holds {data.Length} bytes; its shape needs {rt.ByteLength}");
            }
            if (folded.TryGetValue(index, out var f))
            {
                rt.Constant = f;
            }
            else
            {
                // Pinned, so kernels can keep raw pointers; over-allocate so 8-float vector tails may read past the end.
                var pinned = GC.AllocateArray<byte>(checked((int)rt.ByteLength + 64), pinned: true);
                data.Span[..(int)rt.ByteLength].CopyTo(pinned);
                rt.Constant = pinned;
            }
        }
        tensors[index] = rt;
        return rt;
    }

    private long PlanMemory(Step[] steps, RuntimeTensor[] inputs, RuntimeTensor[] outputs)
    {
        var first = new Dictionary<int, int>();
        var last = new Dictionary<int, int>();
        var end = Math.Max(0, steps.Length - 1);
        void Use(int tensor, int step)
        {
            var rt = tensors[tensor]!;
            if (rt.IsConstant)
            {
                return;
            }
            first[tensor] = first.TryGetValue(tensor, out var f) ? Math.Min(f, step) : step;
            last[tensor] = last.TryGetValue(tensor, out var l) ? Math.Max(l, step) : step;
        }
        // Inputs live for the whole run, so a caller can fill them once and run many times; outputs stay
        // readable after the run.
        foreach (var t in inputs)
        {
            Use(t.Index, 0);
            Use(t.Index, end);
        }
        for (var s = 0; s < steps.Length; s++)
        {
            foreach (var o in steps[s].Outputs)
            {
                if (o >= 0)
                {
                    Use(o, s);
                }
            }
        }
        for (var s = 0; s < steps.Length; s++)
        {
            foreach (var input in main.Operators[steps[s].OperatorIndex].Inputs)
            {
                if (input is not null)
                {
                    Use(IndexOf(input), s);
                }
            }
        }
        foreach (var t in outputs)
        {
            Use(t.Index, end);
        }

        var ids = first.Keys.Order().ToArray();
        var plan = MemoryPlanner.Plan(ids.Select(t => new BufferLifetime(tensors[t]!.ByteLength, first[t], last[t])).ToArray());
        for (var i = 0; i < ids.Length; i++)
        {
            tensors[ids[i]]!.ArenaOffset = plan.Offsets[i];
        }
        return plan.ArenaBytes;
    }
}
