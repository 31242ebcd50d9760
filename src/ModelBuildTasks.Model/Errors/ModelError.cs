namespace ModelBuildTasks.Model;

/// <summary>
/// Stable error codes for problems with a model file. Codes are part of the public contract: the CLI
/// prints them, MSBuild reports them and the README lists them, so never renumber one.
/// </summary>
public static class ModelErrorCodes
{
    /// <summary>The file could not be read (missing, unreadable, too large).</summary>
    public const string FileUnreadable = "MBT1001";
    /// <summary>The file is too short to hold a FlatBuffer, or a structure runs past its end.</summary>
    public const string Truncated = "MBT1002";
    /// <summary>The FlatBuffer file identifier is not "TFL3".</summary>
    public const string WrongIdentifier = "MBT1003";
    /// <summary>An offset inside the FlatBuffer points outside the file or is otherwise malformed.</summary>
    public const string CorruptStructure = "MBT1004";
    /// <summary>An index (tensor, buffer, operator code, subgraph) is out of range.</summary>
    public const string IndexOutOfRange = "MBT1005";
    /// <summary>A shape has a negative dimension or its element count overflows.</summary>
    public const string InvalidShape = "MBT1006";
    /// <summary>A constant tensor's data is shorter than its shape and type need.</summary>
    public const string DataTooShort = "MBT1007";
    /// <summary>The operators of a subgraph form a cycle.</summary>
    public const string GraphCycle = "MBT1008";
    /// <summary>A value the format allows but this version does not understand (e.g. an unknown options table).</summary>
    public const string Unsupported = "MBT1009";
    /// <summary>The in-memory model is inconsistent (e.g. an operator uses a tensor its subgraph does not own).</summary>
    public const string InvalidGraph = "MBT1010";
    /// <summary>The TFLite metadata (the TFLITE_METADATA buffer, or the associated files it names) is malformed.</summary>
    public const string InvalidMetadata = "MBT1011";
}

/// <summary>
/// A model file or in-memory model is malformed. The message says what is wrong and where
/// (file, subgraph, operator or tensor); <see cref="Code"/> is one of <see cref="ModelErrorCodes"/>.
/// </summary>
public class ModelFormatException : Exception
{
    public ModelFormatException(string code, string message, string? filePath = null, Exception? inner = null)
        : base(Compose(code, message, filePath), inner)
    {
        Code = code;
        Detail = message;
        FilePath = filePath;
    }

    /// <summary>The MBT error code.</summary>
    public string Code { get; }

    /// <summary>The message without code and file prefix.</summary>
    public string Detail { get; }

    /// <summary>The file the model came from, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The same error, now naming the file it came from.</summary>
    public ModelFormatException WithFile(string filePath) =>
        FilePath is null ? new ModelFormatException(Code, Detail, filePath, InnerException) : this;

    private static string Compose(string code, string message, string? filePath) =>
        filePath is null ? $"{code}: {message}" : $"{code}: {filePath}: {message}";
}
