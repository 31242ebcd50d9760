using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization.Data;

/// <summary>Settings for reading a data set (image preprocessing).</summary>
public sealed record DataOptions
{
    /// <summary>Per-channel mean subtracted from image pixels (0..255 scale); null = from the model's metadata, else 0.</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-channel standard deviation images are divided by; null = from the model's metadata, else 255.</summary>
    public float[]? Std { get; init; }

    /// <summary>Labels file (CSV <c>file,label</c>); null = none, or class sub-folders for image folders.</summary>
    public string? LabelsPath { get; init; }
}

/// <summary>Opens the data formats users point the engine at.</summary>
public static class SampleSources
{
    /// <summary>
    /// Opens <paramref name="path"/> for <paramref name="model"/>: a folder of <c>.npy</c> files (one sample each),
    /// a folder of sub-folders with <c>&lt;input name&gt;.npy</c> (several inputs), a single <c>.npy</c> with a leading
    /// batch axis, or a folder of PNG/JPEG images. Checks shapes and types against the model's inputs.
    /// </summary>
    public static ISampleSource Open(string path, ModelGraph model, DataOptions? options = null) =>
        throw new OptimizationException(OptimizationErrorCodes.InvalidOptions, "data loading is not available in this build");
}
