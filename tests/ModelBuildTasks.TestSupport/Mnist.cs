using System.Text.Json;

namespace ModelBuildTasks.TestSupport;

/// <summary>Labelled MNIST images: 28×28 floats in [0,1], row-major, one <c>float[784]</c> per image.</summary>
public sealed class MnistSet
{
    internal MnistSet(IReadOnlyList<float[]> images, IReadOnlyList<int> labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>The images, ordered by digit (all 0s, then all 1s, ...).</summary>
    public IReadOnlyList<float[]> Images { get; }

    /// <summary>The digit (0..9) of each image.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Images.Count;

    /// <summary>The images of one digit.</summary>
    public IReadOnlyList<float[]> ImagesOf(int digit) =>
        Images.Where((_, i) => Labels[i] == digit).ToList();
}

/// <summary>Loads MNIST from the corpus (entries <c>mnist_0</c> .. <c>mnist_9</c>).</summary>
public sealed class MnistLoader
{
    /// <summary>Pixels per image.</summary>
    public const int ImageSize = 28 * 28;

    private readonly Func<string, string> resolve;

    internal MnistLoader(Func<string, string> resolve) => this.resolve = resolve;

    /// <summary>Loads all ten digits, at most <paramref name="perDigit"/> images of each (all ~1000 when null).</summary>
    public MnistSet Load(int? perDigit = null)
    {
        var images = new List<float[]>();
        var labels = new List<int>();
        for (var d = 0; d < 10; d++)
        {
            var digit = LoadDigit(d, perDigit);
            images.AddRange(digit);
            labels.AddRange(Enumerable.Repeat(d, digit.Count));
        }

        return new MnistSet(images, labels);
    }

    /// <summary>Loads the images of one digit, at most <paramref name="max"/> of them.</summary>
    public IReadOnlyList<float[]> LoadDigit(int digit, int? max = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digit, 9);
        if (max is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(max), max, "must be non-negative");
        }

        var path = resolve($"mnist_{digit}");
        return Parse(File.ReadAllBytes(path), max ?? int.MaxValue, path);
    }

    // Streams {"data":[...]} and stops after `max` images, so small loads do not parse the whole file.
    private static List<float[]> Parse(byte[] json, int max, string path)
    {
        var images = new List<float[]>();
        var reader = new Utf8JsonReader(json);
        var inData = false;
        float[]? current = null;
        var filled = 0;
        while (images.Count < max && reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                    inData = reader.ValueTextEquals("data"u8);
                    break;
                case JsonTokenType.Number when inData && reader.CurrentDepth == 2:
                    current ??= new float[ImageSize];
                    current[filled++] = reader.GetSingle();
                    if (filled == ImageSize)
                    {
                        images.Add(current);
                        current = null;
                        filled = 0;
                    }

                    break;
                case JsonTokenType.EndArray when inData && reader.CurrentDepth == 1:
                    inData = false;
                    break;
            }
        }

        if (filled != 0)
        {
            throw new InvalidDataException($"{path}: \"data\" is not a whole number of {ImageSize}-pixel images.");
        }

        if (images.Count == 0 && max > 0)
        {
            throw new InvalidDataException($"{path}: no images in \"data\".");
        }

        return images;
    }
}
