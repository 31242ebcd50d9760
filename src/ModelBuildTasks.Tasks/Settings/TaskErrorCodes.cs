namespace ModelBuildTasks.Tasks.Settings;

/// <summary>Codes of the MSBuild integration's own errors (MBT4xxx). Part of the public contract: never renumber.</summary>
public static class TaskErrorCodes
{
    /// <summary>A <c>&lt;ModelItem&gt;</c> has metadata this version does not know (a typo, usually).</summary>
    public const string UnknownMetadata = "MBT4001";

    /// <summary>A metadata value is not one of the allowed words.</summary>
    public const string InvalidChoice = "MBT4002";

    /// <summary>A size (MaxSize, MaxCompressedSize) cannot be parsed.</summary>
    public const string InvalidSize = "MBT4003";

    /// <summary>A number is malformed or out of range.</summary>
    public const string InvalidNumber = "MBT4004";

    /// <summary>A file or folder named by metadata (data, labels, recipe, baseline) does not exist.</summary>
    public const string FileNotFound = "MBT4005";

    /// <summary>Settings that cannot work together (e.g. int8 without RepresentativeData).</summary>
    public const string Conflict = "MBT4006";

    /// <summary>A setting this build of the engine does not support yet.</summary>
    public const string NotAvailable = "MBT4007";

    /// <summary>Two items would write the same output files (same file name).</summary>
    public const string DuplicateName = "MBT4008";

    /// <summary>The Baseline file is not a readable size/accuracy record.</summary>
    public const string BadBaseline = "MBT4009";

    /// <summary>The model file of an item does not exist.</summary>
    public const string ModelNotFound = "MBT4010";

    /// <summary>An unexpected failure inside the task (a bug: please report it).</summary>
    public const string Internal = "MBT4099";
}
