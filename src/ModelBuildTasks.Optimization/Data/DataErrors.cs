using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization.Data;

/// <summary>
/// Stable error codes for representative and evaluation data (MBT204x). Part of the public contract: never
/// renumber one. Every message names the file or folder at fault.
/// </summary>
public static class DataErrorCodes
{
    /// <summary>The data path does not exist or cannot be read.</summary>
    public const string DataNotFound = "MBT2040";

    /// <summary>The folder holds no samples (no .npy files, images or class folders).</summary>
    public const string NoSamples = "MBT2041";

    /// <summary>A sample's shape or element count does not fit the model input.</summary>
    public const string ShapeMismatch = "MBT2042";

    /// <summary>A .npy file has a data type this version does not read (e.g. complex, strings, objects).</summary>
    public const string UnsupportedDtype = "MBT2043";

    /// <summary>A .npy file is malformed (bad magic, header or length) or Fortran-ordered.</summary>
    public const string MalformedNpy = "MBT2044";

    /// <summary>An image cannot be decoded, or the model input is not image-shaped.</summary>
    public const string UnreadableImage = "MBT2045";

    /// <summary>Labels do not match the samples (a sample without a label, a label for no sample, a label out of range).</summary>
    public const string LabelsMismatch = "MBT2046";

    /// <summary>The labels file is malformed.</summary>
    public const string InvalidLabels = "MBT2047";

    /// <summary>The data layout does not fit the model's inputs (e.g. a per-sample folder misses an input's file).</summary>
    public const string InputMismatch = "MBT2048";

    /// <summary>A normalization setting is invalid (wrong channel count, zero std).</summary>
    public const string InvalidNormalization = "MBT2049";
}

/// <summary>Data for calibration or evaluation is missing or does not fit the model. Names the file at fault.</summary>
public sealed class DataException : ModelFormatException
{
    /// <summary>Creates the exception with one of <see cref="DataErrorCodes"/>.</summary>
    public DataException(string code, string message, string? filePath = null, Exception? inner = null)
        : base(code, message, filePath, inner)
    {
    }
}
