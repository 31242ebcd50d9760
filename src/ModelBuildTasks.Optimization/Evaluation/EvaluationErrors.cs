using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization.Evaluation;

/// <summary>Stable error codes of the evaluation engine (MBT205x). Part of the public contract: never renumber one.</summary>
public static class EvaluationErrorCodes
{
    /// <summary>The managed runtime cannot load or run one of the models (the runtime's own code is in the message).</summary>
    public const string ModelNotRunnable = "MBT2050";

    /// <summary>Reference and candidate do not have the same inputs and outputs (count or element count).</summary>
    public const string ModelsDoNotMatch = "MBT2051";

    /// <summary>Labels were given but no output is classifier-shaped ([N] or [1,N], N ≥ 2), or a label is out of range.</summary>
    public const string LabelsNotUsable = "MBT2052";

    /// <summary>The data yielded no sample to evaluate.</summary>
    public const string NoSamples = "MBT2053";
}

/// <summary>An evaluation could not be run. Names the model or data at fault.</summary>
public sealed class EvaluationException : ModelFormatException
{
    /// <summary>Creates the exception with one of <see cref="EvaluationErrorCodes"/>.</summary>
    public EvaluationException(string code, string message, string? filePath = null, Exception? inner = null)
        : base(code, message, filePath, inner)
    {
    }
}
