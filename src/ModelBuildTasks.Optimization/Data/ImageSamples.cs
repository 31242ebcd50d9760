using ModelBuildTasks.Model.Metadata;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using StbImageSharp;

namespace ModelBuildTasks.Optimization.Data;

/// <summary>
/// Decodes PNG/JPEG files into model input bytes: resized (bilinear, half-pixel centers) to the input's H×W,
/// normalized per channel as (pixel − mean) / std on the 0..255 scale, then written in the input's type
/// (quantized with its scale and zero point for integer inputs). Integer inputs without an explicit mean/std get the
/// raw pixels (uint8: 0..255, int8: pixel − 128), as TFLite's image tools feed quantized models.
/// </summary>
internal sealed class ImageSamples
{
    private readonly InputSpec input;
    private readonly int height;
    private readonly int width;
    private readonly int channels;
    private readonly float[] mean;
    private readonly float[] std;
    private readonly bool raw;

    public ImageSamples(InputSpec input, float[]? mean, float[]? std, string dataPath)
    {
        this.input = input;
        var dims = input.Shape.SkipWhile(d => d == 1).ToArray();
        if (input.Shape.Length >= 3)
        {
            // NHWC (or HWC): the last three axes, whatever batch axes precede them.
            var s = input.Shape;
            (height, width, channels) = (s[^3], s[^2], s[^1]);
        }
        else if (input.Shape.Length == 2)
        {
            (height, width, channels) = (input.Shape[0], input.Shape[1], 1);
        }
        if (height < 1 || width < 1 || channels is not (1 or 3 or 4) || dims.Length > 3)
        {
            throw new DataException(DataErrorCodes.UnreadableImage,
                $"model input '{input.Name}' {input.ShapeText} is not an image (expected [1,H,W,C] with C = 1, 3 or 4)", dataPath);
        }
        raw = mean is null && std is null && input.Type is TensorType.UINT8 or TensorType.INT8;
        this.mean = PerChannel(mean, 0f, "mean", dataPath);
        this.std = PerChannel(std, 255f, "std", dataPath);
        foreach (var s in this.std)
        {
            if (!(Math.Abs(s) > 0) || !float.IsFinite(s))
            {
                throw new DataException(DataErrorCodes.InvalidNormalization, $"std {s} is not a usable divisor", dataPath);
            }
        }
    }

    /// <summary>The file extensions read as images.</summary>
    public static bool IsImage(string path) => Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg";

    public byte[] Read(string path)
    {
        ImageResult image;
        try
        {
            var bytes = File.ReadAllBytes(path);
            image = ImageResult.FromMemory(bytes, channels switch
            {
                1 => ColorComponents.Grey,
                3 => ColorComponents.RedGreenBlue,
                _ => ColorComponents.RedGreenBlueAlpha,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(DataErrorCodes.DataNotFound, $"cannot read the image: {e.Message}", path, e);
        }
        catch (Exception e)
        {
            // The decoder reports corrupt or unsupported files with plain exceptions.
            throw new DataException(DataErrorCodes.UnreadableImage, $"cannot decode the image: {e.Message}", path, e);
        }
        if (image is null || image.Width < 1 || image.Height < 1 || image.Data is null)
        {
            throw new DataException(DataErrorCodes.UnreadableImage, "cannot decode the image", path);
        }

        var reals = new float[height * width * channels];
        Resize(image.Data, image.Width, image.Height, reals);
        var result = new byte[input.ByteLength];
        if (raw)
        {
            var shift = input.Type == TensorType.INT8 ? 128 : 0;
            for (var i = 0; i < reals.Length; i++)
            {
                result[i] = (byte)(Math.Clamp((int)MathF.Round(reals[i], MidpointRounding.AwayFromZero), 0, 255) - shift);
            }
            return result;
        }
        for (var i = 0; i < reals.Length; i++)
        {
            var c = i % channels;
            reals[i] = (reals[i] - mean[c]) / std[c];
        }
        TensorValues.FromFloat(reals, input.Type, input.Quantization, input.Shape, result);
        return result;
    }

    // Bilinear with half-pixel centers: output pixel centre (x + 0.5) maps to input coordinate (x + 0.5)·in/out − 0.5.
    private void Resize(byte[] pixels, int inWidth, int inHeight, float[] output)
    {
        var scaleY = (float)inHeight / height;
        var scaleX = (float)inWidth / width;
        for (var y = 0; y < height; y++)
        {
            var sy = Math.Clamp((y + 0.5f) * scaleY - 0.5f, 0, inHeight - 1);
            var y0 = (int)sy;
            var y1 = Math.Min(y0 + 1, inHeight - 1);
            var fy = sy - y0;
            for (var x = 0; x < width; x++)
            {
                var sx = Math.Clamp((x + 0.5f) * scaleX - 0.5f, 0, inWidth - 1);
                var x0 = (int)sx;
                var x1 = Math.Min(x0 + 1, inWidth - 1);
                var fx = sx - x0;
                var o = (y * width + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    float P(int yy, int xx) => pixels[(yy * inWidth + xx) * channels + c];
                    var top = P(y0, x0) + (P(y0, x1) - P(y0, x0)) * fx;
                    var bottom = P(y1, x0) + (P(y1, x1) - P(y1, x0)) * fx;
                    output[o + c] = top + (bottom - top) * fy;
                }
            }
        }
    }

    private float[] PerChannel(float[]? values, float fallback, string what, string dataPath)
    {
        if (values is null || values.Length == 0)
        {
            return Enumerable.Repeat(fallback, channels).ToArray();
        }
        if (values.Length == 1)
        {
            return Enumerable.Repeat(values[0], channels).ToArray();
        }
        if (values.Length != channels)
        {
            throw new DataException(DataErrorCodes.InvalidNormalization,
                $"{what} has {values.Length} values; model input '{input.Name}' {input.ShapeText} has {channels} channel(s)", dataPath);
        }
        return values;
    }

    /// <summary>
    /// Normalization the model's TFLite metadata declares for an input (mean, std on the same 0..255 pixel scale as
    /// <see cref="DataOptions"/>), or null.
    /// </summary>
    public static (float[] Mean, float[] Std)? FromMetadata(ModelGraph model, int inputIndex)
    {
        var input = TfLiteMetadata.Read(model)?.Inputs.ElementAtOrDefault(inputIndex);
        return input is { Mean: { } mean, Std: { } std } ? (mean, std) : null;
    }
}
