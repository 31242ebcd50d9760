using ModelBuildTasks.Runtime.Threading;

namespace ModelBuildTasks.Runtime.Kernels;

/// <summary>A session's view of memory while it runs: a pointer per tensor, per-thread scratch and the workers.</summary>
internal sealed unsafe class RunContext
{
    private readonly nint[] pointers;
    private readonly nint[] scratch;

    public RunContext(nint[] pointers, nint[] scratch, WorkerPool pool)
    {
        this.pointers = pointers;
        this.scratch = scratch;
        Pool = pool;
    }

    public WorkerPool Pool { get; }

    public int ThreadCount => Pool.ThreadCount;

    public float* F(int tensor) => (float*)pointers[tensor];

    public byte* B(int tensor) => (byte*)pointers[tensor];

    public T* P<T>(int tensor) where T : unmanaged => (T*)pointers[tensor];

    /// <summary>Per-thread scratch pointers, for parallel bodies to index by thread (a pinned array: stable address).</summary>
    public nint* ScratchTable => (nint*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(scratch));

    /// <summary>Scratch of worker <paramref name="thread"/> (0 = the calling thread).</summary>
    public byte* Scratch(int thread) => (byte*)scratch[thread];
}
