using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model;

/// <summary>
/// Affine quantization of a tensor: real = scale * (q - zeroPoint). Per-tensor when <see cref="Scale"/> has one
/// element, per-axis along <see cref="QuantizedDimension"/> otherwise. Min/Max are the calibrated float range
/// some models record.
/// </summary>
public sealed class TensorQuantization
{
    public float[]? Min { get; set; }
    public float[]? Max { get; set; }
    public float[] Scale { get; set; } = [];
    public long[] ZeroPoint { get; set; } = [];
    public int QuantizedDimension { get; set; }

    /// <summary>Non-affine details (e.g. custom quantization), kept as the format defines them.</summary>
    public QuantizationDetailsUnion? Details { get; set; }

    public bool IsPerAxis => Scale.Length > 1;

    /// <summary>True when the entry carries nothing (the converter writes such empty tables for float tensors).</summary>
    public bool IsEmpty =>
        (Min is null || Min.Length == 0) && (Max is null || Max.Length == 0) && Scale.Length == 0 &&
        ZeroPoint.Length == 0 && QuantizedDimension == 0 && (Details is null || Details.Type == QuantizationDetails.NONE);

    public static TensorQuantization PerTensor(float scale, long zeroPoint) =>
        new() { Scale = [scale], ZeroPoint = [zeroPoint] };

    public static TensorQuantization PerAxis(float[] scales, long[] zeroPoints, int dimension) =>
        new() { Scale = scales, ZeroPoint = zeroPoints, QuantizedDimension = dimension };
}
