using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization;

/// <summary>
/// Stable error codes of the optimization engine (MBT2xxx). Like <see cref="ModelErrorCodes"/> they are part of the
/// public contract: never renumber one.
/// </summary>
public static class OptimizationErrorCodes
{
    /// <summary>An option is out of range or not supported together with another.</summary>
    public const string InvalidOptions = "MBT2100";

    /// <summary>A tensor a pass must rewrite is inconsistent (e.g. quantization parameters that do not fit its shape).</summary>
    public const string InvalidTensor = "MBT2105";

    /// <summary>The optimized model breaks a constraint of the chosen target (e.g. float ops left for the Edge TPU).</summary>
    public const string TargetViolation = "MBT2101";

    /// <summary>Full-integer quantization needs representative data and got none (or none usable).</summary>
    public const string MissingRepresentativeData = "MBT2102";

    /// <summary>Calibration could not run the model (a sample does not fit the inputs, or the runtime lacks an op).</summary>
    public const string CalibrationFailed = "MBT2103";

    /// <summary>A recipe file is unreadable or malformed.</summary>
    public const string InvalidRecipe = "MBT2104";
}

/// <summary>
/// An optimization could not be applied. Derives from <see cref="ModelFormatException"/> so every front end that
/// reports coded model errors (CLI, MSBuild task) reports these the same way.
/// </summary>
public sealed class OptimizationException : ModelFormatException
{
    /// <summary>Creates the exception with one of <see cref="OptimizationErrorCodes"/>.</summary>
    public OptimizationException(string code, string message)
        : base(code, message)
    {
    }
}
