using System.Runtime.InteropServices;
using ModelBuildTasks.Model;

namespace ModelBuildTasks.Runtime;

/// <summary>
/// Sees every executed operator's outputs right after it ran, without copies: calibration (min/max, histograms)
/// and per-layer error reports hook in here. Attach with <see cref="ModelSession.Observer"/>; when none is
/// attached a run pays one null check per operator. Operators folded at load are not reported (see
/// <see cref="CompiledModel.FoldedOperators"/>).
/// </summary>
public interface IOperatorObserver
{
    /// <summary>Called on the thread that called <see cref="ModelSession.Run"/>, in execution order.</summary>
    void OnOperatorExecuted(in ObservedOperator op);
}

/// <summary>
/// An operator that just ran, with read-only views of its outputs. The views are valid only during the
/// callback: later operators reuse the memory.
/// </summary>
public readonly ref struct ObservedOperator
{
    private readonly ModelSession session;
    private readonly Step step;

    internal ObservedOperator(ModelSession session, Step step, int position)
    {
        this.session = session;
        this.step = step;
        Position = position;
    }

    /// <summary>Index of the operator in the operator list of the subgraph the session runs.</summary>
    public int OperatorIndex => step.OperatorIndex;

    /// <summary>Position in execution order (0 = first executed operator).</summary>
    public int Position { get; }

    public OperatorCode Code => step.Code;

    public int OutputCount => step.Outputs.Length;

    /// <summary>The descriptor of output <paramref name="i"/>; null when the operator omits that output.</summary>
    public TensorDescriptor? GetOutputDescriptor(int i) =>
        step.Outputs[i] < 0 ? null : session.Model.Tensors[step.Outputs[i]]!.Descriptor;

    /// <summary>The bytes of output <paramref name="i"/> (empty when omitted).</summary>
    public ReadOnlySpan<byte> GetOutputBytes(int i) => step.Outputs[i] < 0 ? default : session.TensorBytes(step.Outputs[i]);

    /// <summary>Output <paramref name="i"/> as elements of its type (checked).</summary>
    public ReadOnlySpan<T> GetOutput<T>(int i) where T : unmanaged
    {
        var d = GetOutputDescriptor(i) ?? throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor,
            $"operator {OperatorIndex} has no output {i}");
        ModelSession.CheckType<T>(d);
        return MemoryMarshal.Cast<byte, T>(GetOutputBytes(i));
    }
}
