namespace ModelBuildTasks.Optimization.Evaluation;

/// <summary>How close one tensor of the candidate model is to the same tensor of the reference, over all samples.</summary>
/// <param name="Name">The tensor's name (in the reference model).</param>
/// <param name="OpType">The operator that writes it (e.g. <c>CONV_2D</c>); null for model outputs without one.</param>
/// <param name="Cosine">Cosine similarity of the flattened values, 1 = identical direction.</param>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio in dB: 10·log10(Σref² / Σ(ref−cand)²); +∞ when equal.</param>
/// <param name="Mse">Mean squared error.</param>
/// <param name="MaxAbsError">Largest absolute difference.</param>
/// <param name="Top1Agreement">For classifier-shaped outputs: fraction of samples whose arg-max agrees; else null.</param>
public sealed record TensorMetrics(
    string Name, string? OpType, double Cosine, double SqnrDb, double Mse, double MaxAbsError, double? Top1Agreement = null);

/// <summary>Accuracy against labels, of both models.</summary>
/// <param name="ReferenceAccuracy">Top-1 accuracy of the reference model (0..1).</param>
/// <param name="CandidateAccuracy">Top-1 accuracy of the candidate model (0..1).</param>
public sealed record LabelAccuracy(double ReferenceAccuracy, double CandidateAccuracy)
{
    /// <summary>Absolute drop, reference minus candidate (negative when the candidate is better).</summary>
    public double Drop => ReferenceAccuracy - CandidateAccuracy;
}

/// <summary>The result of running a reference and a candidate model side by side.</summary>
/// <param name="Samples">Samples evaluated.</param>
/// <param name="Outputs">Metrics per model output, in output order.</param>
/// <param name="Layers">Metrics per intermediate tensor present in both models, worst (lowest SQNR) first.</param>
/// <param name="Accuracy">Accuracy against labels, when the data is labeled.</param>
public sealed record EvaluationReport(
    int Samples, IReadOnlyList<TensorMetrics> Outputs, IReadOnlyList<TensorMetrics> Layers, LabelAccuracy? Accuracy)
{
    /// <summary>Intermediate tensors compared (before <see cref="EvaluationOptions.TopLayers"/> kept the worst).</summary>
    public int LayersCompared { get; init; }

    /// <summary>The lowest output cosine similarity (the budget MinCosine compares with).</summary>
    public double MinCosine => Outputs.Count == 0 ? 1 : Outputs.Min(o => o.Cosine);

    /// <summary>The lowest output SQNR in dB (the budget MinSqnr compares with).</summary>
    public double MinSqnrDb => Outputs.Count == 0 ? double.PositiveInfinity : Outputs.Min(o => o.SqnrDb);
}
