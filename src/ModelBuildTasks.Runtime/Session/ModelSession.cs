using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Kernels;
using ModelBuildTasks.Runtime.Threading;

namespace ModelBuildTasks.Runtime;

/// <summary>
/// Runs a <see cref="CompiledModel"/>: write inputs through <see cref="GetInput{T}(string)"/>, call
/// <see cref="Run"/>, read outputs through <see cref="GetOutput{T}(string)"/>. The spans point straight into the
/// session's activation arena, so nothing is copied and <see cref="Run"/> allocates nothing.
/// </summary>
/// <remarks>
/// Thread-safety: a session is for one thread at a time (it owns mutable activation memory). Use one session per
/// thread; sessions created from the same <see cref="CompiledModel"/> share its read-only weights. Inputs keep
/// their values across runs; outputs stay valid until the next <see cref="Run"/>. With
/// <see cref="SessionOptions.Threads"/> above 1 the session owns worker threads: dispose it to stop them.
/// </remarks>
public sealed unsafe class ModelSession : IDisposable
{
    private readonly byte[] arena;
    private readonly byte[][] scratch;
    private readonly nint[] pointers;
    private readonly WorkerPool pool;
    private readonly RunContext context;
    private readonly Step[] steps;
    private bool disposed;

    public ModelSession(CompiledModel model, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SessionOptions();
        model = model.EntryFor(options);
        Model = model;
        Threads = options.EffectiveThreads;
        steps = model.Steps;

        // One pinned block, aligned to 64 bytes by hand, so kernels can use raw pointers.
        arena = GC.AllocateArray<byte>(checked((int)model.PeakActivationBytes + 128), pinned: true);
        var arenaBase = AlignUp((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(arena)));
        pointers = new nint[model.Tensors.Length];
        for (var i = 0; i < pointers.Length; i++)
        {
            if (model.Tensors[i] is not { } t)
            {
                continue;
            }
            pointers[i] = t.Constant is { } c
                ? (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(c))
                : arenaBase + (nint)t.ArenaOffset;
        }

        scratch = new byte[Threads][];
        var scratchPointers = GC.AllocateArray<nint>(Threads, pinned: true);
        for (var i = 0; i < Threads; i++)
        {
            scratch[i] = GC.AllocateArray<byte>(checked((int)model.ScratchBytesPerThread + 128), pinned: true);
            scratchPointers[i] = AlignUp((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(scratch[i])));
        }
        pool = new WorkerPool(Threads);
        context = new RunContext(pointers, scratchPointers, pool);
    }

    public static ModelSession Load(string path, SessionOptions? options = null) => new(CompiledModel.Load(path), options);

    public static ModelSession Load(ReadOnlyMemory<byte> bytes, SessionOptions? options = null) => new(CompiledModel.Load(bytes), options);

    public static ModelSession Load(Stream stream, SessionOptions? options = null) => new(CompiledModel.Load(stream), options);

    public static ModelSession Load(ModelGraph graph, SessionOptions? options = null) => new(CompiledModel.FromGraph(graph), options);

    /// <summary>The entry point this session runs (a signature's when <see cref="SessionOptions.Signature"/> was set).</summary>
    public CompiledModel Model { get; }

    /// <summary>Threads taking part in a run, the caller included.</summary>
    public int Threads { get; }

    public IReadOnlyList<TensorDescriptor> Inputs => Model.Inputs;

    public IReadOnlyList<TensorDescriptor> Outputs => Model.Outputs;

    /// <summary>Called after every executed operator; null (the default) costs nothing.</summary>
    public IOperatorObserver? Observer { get; set; }

    public Span<T> GetInput<T>(int index) where T : unmanaged
    {
        var t = InputTensor(index);
        CheckType<T>(t.Descriptor);
        return MemoryMarshal.Cast<byte, T>(TensorBytes(t.Index));
    }

    public Span<T> GetInput<T>(string name) where T : unmanaged => GetInput<T>(InputIndex(name));

    public Span<byte> GetInputBytes(int index) => TensorBytes(InputTensor(index).Index);

    public Span<byte> GetInputBytes(string name) => GetInputBytes(InputIndex(name));

    public ReadOnlySpan<T> GetOutput<T>(int index) where T : unmanaged
    {
        var t = OutputTensor(index);
        CheckType<T>(t.Descriptor);
        return MemoryMarshal.Cast<byte, T>(TensorBytes(t.Index));
    }

    public ReadOnlySpan<T> GetOutput<T>(string name) where T : unmanaged => GetOutput<T>(OutputIndex(name));

    public ReadOnlySpan<byte> GetOutputBytes(int index) => TensorBytes(OutputTensor(index).Index);

    public ReadOnlySpan<byte> GetOutputBytes(string name) => GetOutputBytes(OutputIndex(name));

    /// <summary>Runs the model once on the current inputs.</summary>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var observer = Observer;
        for (var i = 0; i < steps.Length; i++)
        {
            steps[i].Kernel.Run(context);
            observer?.OnOperatorExecuted(new ObservedOperator(this, steps[i], i));
        }
    }

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            pool.Dispose();
        }
    }

    internal Span<byte> TensorBytes(int tensor)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new Span<byte>((void*)pointers[tensor], checked((int)Model.Tensors[tensor]!.ByteLength));
    }

    internal static void CheckType<T>(TensorDescriptor d) where T : unmanaged
    {
        var ok = d.Type switch
        {
            TensorType.FLOAT32 => typeof(T) == typeof(float),
            TensorType.FLOAT16 => typeof(T) == typeof(Half),
            TensorType.FLOAT64 => typeof(T) == typeof(double),
            TensorType.INT8 => typeof(T) == typeof(sbyte),
            TensorType.UINT8 => typeof(T) == typeof(byte),
            TensorType.BOOL => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
            TensorType.INT16 => typeof(T) == typeof(short),
            TensorType.UINT16 => typeof(T) == typeof(ushort),
            TensorType.INT32 => typeof(T) == typeof(int),
            TensorType.UINT32 => typeof(T) == typeof(uint),
            TensorType.INT64 => typeof(T) == typeof(long),
            TensorType.UINT64 => typeof(T) == typeof(ulong),
            _ => false,
        };
        if (!ok)
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.TypeMismatch,
                $"tensor {d} is {TensorTypes.Name(d.Type)}; it cannot be accessed as {typeof(T).Name}");
        }
    }

    private RuntimeTensor InputTensor(int index) => (uint)index < (uint)Model.InputTensors.Length
        ? Model.InputTensors[index]
        : throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor,
            $"input index {index} is out of range; the model has {Model.InputTensors.Length} input(s)");

    private RuntimeTensor OutputTensor(int index) => (uint)index < (uint)Model.OutputTensors.Length
        ? Model.OutputTensors[index]
        : throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor,
            $"output index {index} is out of range; the model has {Model.OutputTensors.Length} output(s)");

    private int InputIndex(string name) => Model.FindInput(name) is var i and >= 0
        ? i
        : throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor,
            $"the model has no input '{name}'{Entry()}; inputs: {string.Join(", ", Model.Inputs.Select(d => d.SignatureName ?? d.Name))}");

    private int OutputIndex(string name) => Model.FindOutput(name) is var i and >= 0
        ? i
        : throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor,
            $"the model has no output '{name}'{Entry()}; outputs: {string.Join(", ", Model.Outputs.Select(d => d.SignatureName ?? d.Name))}");

    private string Entry() => Model.SignatureKey is { } key ? $" in signature '{key}'" : "";

    private static nint AlignUp(nint p) => (p + 63) & ~(nint)63;
}
