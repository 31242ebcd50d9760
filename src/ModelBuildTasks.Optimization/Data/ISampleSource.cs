namespace ModelBuildTasks.Optimization.Data;

/// <summary>
/// One input sample for calibration or evaluation: one byte array per model input, in the model's input order,
/// holding the input tensor's elements in its own type (float32 for float models), little-endian, row-major.
/// </summary>
/// <param name="Id">Where the sample came from (a file name), for messages and reports.</param>
/// <param name="Inputs">The input tensors' bytes, in model input order.</param>
/// <param name="Label">The class label, when the data set is labeled.</param>
public sealed record Sample(string Id, IReadOnlyList<byte[]> Inputs, int? Label = null);

/// <summary>
/// A data set read lazily, so calibration and evaluation keep memory bounded for any number of samples.
/// Every enumeration yields the same samples in the same order (deterministic results).
/// </summary>
public interface ISampleSource
{
    /// <summary>A human-readable description (the folder or file it reads), for messages.</summary>
    string Description { get; }

    /// <summary>The number of samples, when known without reading them.</summary>
    int? Count { get; }

    /// <summary>Reads the samples in a stable order.</summary>
    IEnumerable<Sample> Read(CancellationToken cancellationToken = default);
}

/// <summary>Samples already in memory (tests, generated data).</summary>
public sealed class InMemorySampleSource(IReadOnlyList<Sample> samples, string description = "in-memory samples") : ISampleSource
{
    /// <inheritdoc/>
    public string Description => description;

    /// <inheritdoc/>
    public int? Count => samples.Count;

    /// <inheritdoc/>
    public IEnumerable<Sample> Read(CancellationToken cancellationToken = default)
    {
        foreach (var sample in samples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return sample;
        }
    }
}
