using ModelBuildTasks.Model;

namespace ModelBuildTasks.Runtime;

/// <summary>
/// Stable error codes of the runtime (MBT2xxx). Like the model codes (MBT1xxx) they are part of the public
/// contract: never renumber one.
/// </summary>
public static class RuntimeErrorCodes
{
    /// <summary>An operator, or its combination of tensor types, has no kernel in this runtime.</summary>
    public const string UnsupportedOperator = "MBT2001";

    /// <summary>An operator's tensors or options are inconsistent (shapes that do not match, a missing input).</summary>
    public const string InvalidOperator = "MBT2002";

    /// <summary>The model needs something the runtime cannot plan: dynamic shapes, variables, a tensor read before it is written.</summary>
    public const string UnsupportedModel = "MBT2003";

    /// <summary>No input or output has the given name or index.</summary>
    public const string UnknownTensor = "MBT2004";

    /// <summary>A tensor was accessed as an element type it does not have.</summary>
    public const string TypeMismatch = "MBT2005";

    /// <summary>Input data the model cannot process (for example a gather index out of range).</summary>
    public const string InvalidInputData = "MBT2006";

    /// <summary>A .npy file that cannot be used: not NumPy's format, an unsupported element type or order, truncated.</summary>
    public const string InvalidNpyFile = "MBT2007";

    /// <summary>No signature has the given key (or the subgraph asked for was not prepared); the message lists what exists.</summary>
    public const string UnknownSignature = "MBT2008";
}

/// <summary>
/// A model cannot be loaded into, or run by, the runtime. <see cref="ModelFormatException.Code"/> is one of
/// <see cref="RuntimeErrorCodes"/>; <see cref="OperatorIndex"/> names the operator when one is at fault. A
/// <see cref="ModelFormatException"/>, so callers that handle bad models handle these too.
/// </summary>
public class ModelRuntimeException : ModelFormatException
{
    public ModelRuntimeException(string code, string message, int operatorIndex = -1, Exception? inner = null, string? filePath = null)
        : base(code, message, filePath, inner)
    {
        OperatorIndex = operatorIndex;
    }

    /// <summary>Index of the operator in its subgraph's operator list (the message names the subgraph when it is not 0), or -1.</summary>
    public int OperatorIndex { get; }

    /// <summary>The same error, now naming the file the model came from.</summary>
    public new ModelRuntimeException WithFile(string filePath) =>
        FilePath is null ? new ModelRuntimeException(Code, Detail, OperatorIndex, InnerException, filePath) : this;
}
