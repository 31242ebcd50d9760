namespace ModelBuildTasks.Optimization.Data;

/// <summary>Turns .npy data into input bytes: shape check, then a copy when the types match or a conversion.</summary>
internal static class NpySamples
{
    /// <summary>Checks that <paramref name="npy"/> (without its first axis when <paramref name="batched"/>) fits the input.</summary>
    public static void CheckShape(NpyFile npy, InputSpec input, bool batched)
    {
        var sampleShape = batched ? npy.Shape.Skip(1).ToArray() : npy.Shape;
        if (!input.Accepts(sampleShape))
        {
            var what = batched ? $"samples of shape ({string.Join(", ", sampleShape)}) (after the batch axis)" : $"shape {npy.ShapeText}";
            throw new DataException(DataErrorCodes.ShapeMismatch,
                $"{what} does not fit model input '{input.Name}' {input.ShapeText}", npy.Path);
        }
    }

    /// <summary>Reads one sample (input.ElementCount elements from <paramref name="firstElement"/>) as the input's bytes.</summary>
    public static byte[] Read(NpyFile npy, long firstElement, InputSpec input)
    {
        var bytes = new byte[input.ByteLength];
        if (input.SameNpyType == npy.Type)
        {
            npy.ReadElements(firstElement, input.ElementCount, bytes);
            return bytes;
        }

        var count = checked((int)input.ElementCount);
        var raw = new byte[count * npy.ElementSize];
        npy.ReadElements(firstElement, count, raw);
        var reals = new float[count];
        for (var i = 0; i < count; i++)
        {
            reals[i] = (float)NpyFile.ElementAsDouble(raw, npy.Type, i);
        }
        TensorValues.FromFloat(reals, input.Type, input.Quantization, input.Shape, bytes);
        return bytes;
    }
}
