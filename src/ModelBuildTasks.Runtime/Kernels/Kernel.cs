namespace ModelBuildTasks.Runtime.Kernels;

/// <summary>
/// A prepared operator: everything that depends only on the model (validated shapes, options, packed weights) is
/// computed once when the model is loaded; <see cref="Run"/> reads inputs and writes outputs through the
/// session's tensor pointers. Kernels are immutable after construction and shared by every session of a model,
/// so <see cref="Run"/> must keep per-call state on the stack or in the per-thread scratch.
/// </summary>
internal abstract class Kernel
{
    /// <summary>Scratch memory each thread needs while this kernel runs (e.g. an im2col block).</summary>
    public long ScratchBytesPerThread { get; protected init; }

    /// <summary>Multiply-accumulates of one run (convolutions, matrix products; 0 for other kernels), for GFLOP/s figures.</summary>
    public long MultiplyAccumulates { get; protected init; }

    public abstract void Run(RunContext context);
}
