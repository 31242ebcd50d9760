namespace ModelBuildTasks.Optimization.Calibration;

/// <summary>The float range a tensor's quantization must cover.</summary>
public readonly record struct TensorRange(float Min, float Max)
{
    /// <summary>The union of two ranges.</summary>
    public TensorRange Union(TensorRange other) => new(MathF.Min(Min, other.Min), MathF.Max(Max, other.Max));

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"[{Min:G6}, {Max:G6}]");
}
