using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

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
/// <remarks>
/// Layouts (file names are sorted ordinally, so zero-pad numbers: <c>0001.npy</c>):
/// <list type="bullet">
/// <item>a folder of <c>.npy</c> files, one sample each (single-input models);</item>
/// <item>a folder of sub-folders, one per sample, each with <c>&lt;input name&gt;.npy</c> for every input (characters
/// not allowed in file names, such as ':' and '/', written as '_');</item>
/// <item>a single <c>.npy</c> whose first axis is the sample axis (single-input models);</item>
/// <item>a folder of PNG/JPEG images;</item>
/// <item>a folder of class sub-folders (sorted names are label ids 0, 1, …), each with images or .npy samples.</item>
/// </list>
/// .npy data whose dtype equals the input's type is copied as is (already-quantized values for integer inputs);
/// other dtypes are read as reals and converted (quantized with the input's scale and zero point).
/// Labels: class folders, or <see cref="DataOptions.LabelsPath"/> — a CSV <c>file,label</c> (file relative to the
/// data folder, with or without extension; for a batched .npy the sample index) or, for a batched .npy, a 1-D
/// integer .npy.
/// </remarks>
public static class SampleSources
{
    /// <summary>
    /// Opens <paramref name="path"/> for <paramref name="model"/>: a folder of <c>.npy</c> files (one sample each),
    /// a folder of sub-folders with <c>&lt;input name&gt;.npy</c> (several inputs), a single <c>.npy</c> with a leading
    /// batch axis, or a folder of PNG/JPEG images. Checks shapes and types against the model's inputs.
    /// </summary>
    /// <exception cref="DataException">The data is missing, empty or does not fit the model (codes MBT204x).</exception>
    public static ISampleSource Open(string path, ModelGraph model, DataOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DataOptions();
        var full = Path.GetFullPath(path);
        var inputs = InputSpec.Of(model);
        if (inputs.Length == 0)
        {
            throw new DataException(DataErrorCodes.InputMismatch, "the model has no inputs", full);
        }
        if (options.LabelsPath is { } labels && !File.Exists(labels))
        {
            throw new DataException(DataErrorCodes.DataNotFound, "the labels file does not exist", Path.GetFullPath(labels));
        }

        if (File.Exists(full))
        {
            if (!full.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                throw new DataException(DataErrorCodes.InputMismatch,
                    "a data file must be a .npy array with a leading sample axis; images go in a folder", full);
            }
            return OpenBatch(full, inputs, options);
        }
        if (!Directory.Exists(full))
        {
            throw new DataException(DataErrorCodes.DataNotFound, "the data folder or file does not exist", full);
        }
        return OpenFolder(full, model, inputs, options);
    }

    private static ISampleSource OpenBatch(string path, InputSpec[] inputs, DataOptions options)
    {
        if (inputs.Length != 1)
        {
            throw new DataException(DataErrorCodes.InputMismatch,
                $"the model has {inputs.Length} inputs; a single .npy can feed only one. Use a folder with one sub-folder per " +
                $"sample holding {string.Join(", ", inputs.Select(i => i.SafeFileName))}", path);
        }
        var npy = NpyFile.Open(path);
        if (npy.Shape.Count == 0 || npy.Shape[0] == 0)
        {
            throw new DataException(DataErrorCodes.NoSamples, $"the array of shape {npy.ShapeText} holds no samples", path);
        }
        NpySamples.CheckShape(npy, inputs[0], batched: true);
        int[]? labels = null;
        if (options.LabelsPath is { } labelsPath)
        {
            var count = checked((int)npy.Shape[0]);
            var full = Path.GetFullPath(labelsPath);
            if (full.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                labels = Labels.ReadNpy(full, count);
            }
            else
            {
                var ids = Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
                labels = Labels.Assign(ids, Labels.ReadCsv(full), full, path);
            }
        }
        return new BatchNpySource(npy, inputs[0], labels);
    }

    private static ISampleSource OpenFolder(string root, ModelGraph model, InputSpec[] inputs, DataOptions options)
    {
        var files = SortedFiles(root);
        var folders = SortedFolders(root);
        var npys = files.Where(f => f.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)).ToList();
        var images = files.Where(ImageSamples.IsImage).ToList();
        if (npys.Count > 0 && images.Count > 0)
        {
            throw new DataException(DataErrorCodes.InputMismatch, "the folder mixes .npy files and images; keep one kind", root);
        }

        List<SampleEntry> entries;
        var kind = npys.Count > 0 ? SampleKind.Npy : images.Count > 0 ? SampleKind.Image : SampleKind.None;
        if (kind != SampleKind.None)
        {
            entries = (kind == SampleKind.Npy ? npys : images).Select(f => Entry(root, [f], null)).ToList();
        }
        else if (folders.Count == 0)
        {
            throw new DataException(DataErrorCodes.NoSamples,
                "the folder holds no samples (.npy files, PNG/JPEG images, or sub-folders of them)", root);
        }
        else if (inputs.Length > 1 || File.Exists(Path.Combine(folders[0], inputs[0].SafeFileName)))
        {
            kind = SampleKind.PerSampleFolders;
            entries = folders.Select(f => PerSampleEntry(root, f, inputs)).ToList();
        }
        else
        {
            (entries, kind) = ClassFolders(root, folders);
        }

        if (kind != SampleKind.PerSampleFolders && inputs.Length > 1)
        {
            throw new DataException(DataErrorCodes.InputMismatch,
                $"the model has {inputs.Length} inputs; use one sub-folder per sample holding " +
                string.Join(", ", inputs.Select(i => i.SafeFileName)), root);
        }

        if (options.LabelsPath is { } labelsPath)
        {
            var full = Path.GetFullPath(labelsPath);
            var labels = Labels.Assign(entries.Select(e => e.Id).ToList(), Labels.ReadCsv(full), full, root);
            entries = entries.Select((e, i) => e with { Label = labels[i] }).ToList();
        }

        Func<SampleEntry, byte[][]> read;
        if (kind == SampleKind.Image)
        {
            // Metadata normalization describes float inputs; quantized image inputs take raw pixels unless told otherwise.
            var meta = inputs[0].Type is TensorType.FLOAT32 or TensorType.FLOAT16 ? ImageSamples.FromMetadata(model, 0) : null;
            var decoder = new ImageSamples(inputs[0], options.Mean ?? meta?.Mean, options.Std ?? meta?.Std, root);
            read = e => [decoder.Read(e.Files[0])];
        }
        else
        {
            read = e => ReadNpySample(e, inputs);
            read(entries[0]); // fail early on a wrong shape or dtype; the rest are checked as they are read
        }
        return new FileSampleSource(root, entries, read);
    }

    private static byte[][] ReadNpySample(SampleEntry entry, InputSpec[] inputs)
    {
        var result = new byte[inputs.Length][];
        for (var i = 0; i < inputs.Length; i++)
        {
            var npy = NpyFile.Open(entry.Files[i]);
            NpySamples.CheckShape(npy, inputs[i], batched: false);
            result[i] = NpySamples.Read(npy, 0, inputs[i]);
        }
        return result;
    }

    private static (List<SampleEntry>, SampleKind) ClassFolders(string root, IReadOnlyList<string> classes)
    {
        var entries = new List<SampleEntry>();
        var kind = SampleKind.None;
        for (var label = 0; label < classes.Count; label++)
        {
            foreach (var file in SortedFiles(classes[label]))
            {
                var fileKind = file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? SampleKind.Npy
                    : ImageSamples.IsImage(file) ? SampleKind.Image : SampleKind.None;
                if (fileKind == SampleKind.None)
                {
                    continue;
                }
                if (kind != SampleKind.None && kind != fileKind)
                {
                    throw new DataException(DataErrorCodes.InputMismatch, "the class folders mix .npy files and images; keep one kind", file);
                }
                kind = fileKind;
                entries.Add(Entry(root, [file], label));
            }
        }
        if (entries.Count == 0)
        {
            throw new DataException(DataErrorCodes.NoSamples,
                "the class sub-folders hold no samples (.npy files or PNG/JPEG images)", root);
        }
        return (entries, kind);
    }

    private static SampleEntry PerSampleEntry(string root, string folder, InputSpec[] inputs)
    {
        var files = new string[inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            var exact = Path.Combine(folder, inputs[i].Name + ".npy");
            var safe = Path.Combine(folder, inputs[i].SafeFileName);
            files[i] = File.Exists(safe) ? safe : File.Exists(exact) && !inputs[i].Name.Contains('/') ? exact
                : throw new DataException(DataErrorCodes.InputMismatch,
                    $"the sample folder has no '{inputs[i].SafeFileName}' for model input '{inputs[i].Name}'", folder);
        }
        return new SampleEntry(Relative(root, folder), files, null);
    }

    private static SampleEntry Entry(string root, string[] files, int? label) => new(Relative(root, files[0]), files, label);

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static List<string> SortedFiles(string folder)
    {
        try
        {
            var files = Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
            files.Sort(StringComparer.Ordinal);
            return files;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(DataErrorCodes.DataNotFound, $"cannot list the folder: {e.Message}", folder, e);
        }
    }

    private static List<string> SortedFolders(string folder)
    {
        try
        {
            var folders = Directory.GetDirectories(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
            folders.Sort(StringComparer.Ordinal);
            return folders;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(DataErrorCodes.DataNotFound, $"cannot list the folder: {e.Message}", folder, e);
        }
    }

    private enum SampleKind
    {
        None,
        Npy,
        Image,
        PerSampleFolders,
    }
}
