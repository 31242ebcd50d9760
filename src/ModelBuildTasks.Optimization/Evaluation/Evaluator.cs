using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Runtime;

namespace ModelBuildTasks.Optimization.Evaluation;

/// <summary>Settings of an evaluation.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Evaluate at most this many samples (0 = all).</summary>
    public int MaxSamples { get; init; }

    /// <summary>Also compare every intermediate tensor present in both models (per-layer error).</summary>
    public bool PerLayer { get; init; } = true;

    /// <summary>Keep this many worst layers in <see cref="EvaluationReport.Layers"/> (0 = all).</summary>
    public int TopLayers { get; init; } = 20;

    /// <summary>Threads each model's session computes with (results do not depend on it).</summary>
    public int Threads { get; init; } = 1;
}

/// <summary>Runs a reference and a candidate model side by side on the managed runtime and compares them.</summary>
/// <remarks>
/// Each sample runs through both models; the candidate's inputs are converted from the sample (written in the
/// reference's input types) to the candidate's types — e.g. quantized with the candidate's scale and zero point for
/// int8/uint8 inputs — and every output and intermediate tensor is read back as reals (dequantized). Metrics are
/// accumulated as running sums: memory does not grow with the number of samples.
/// </remarks>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="candidate"/> against <paramref name="reference"/> on <paramref name="data"/>.</summary>
    /// <param name="reference">The original (usually float) model.</param>
    /// <param name="candidate">The optimized model; same inputs and outputs (by position) as the reference.</param>
    /// <param name="data">Samples in the reference model's input types.</param>
    /// <param name="options">What to measure.</param>
    /// <param name="progress">Receives progress (stage <c>evaluation</c>).</param>
    /// <param name="cancellationToken">Stops the work promptly.</param>
    /// <exception cref="EvaluationException">A model cannot run, the models do not match, or labels cannot be used.</exception>
    /// <exception cref="DataException">A sample does not fit the reference model.</exception>
    public static EvaluationReport Evaluate(
        ModelGraph reference,
        ModelGraph candidate,
        ISampleSource data,
        EvaluationOptions? options = null,
        IProgress<OptimizationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new EvaluationOptions();
        cancellationToken.ThrowIfCancellationRequested();

        var referenceModel = Compile(reference, "reference");
        var candidateModel = Compile(candidate, "candidate");
        CheckMatching(referenceModel, candidateModel);

        var sessionOptions = new SessionOptions { Threads = Math.Max(1, options.Threads) };
        using var referenceSession = referenceModel.CreateSession(sessionOptions);
        using var candidateSession = candidateModel.CreateSession(sessionOptions);
        var layers = options.PerLayer ? new LayerComparison(reference, referenceModel, candidate, candidateModel) : null;
        if (layers is { Count: > 0 })
        {
            referenceSession.Observer = layers.ReferenceObserver;
            candidateSession.Observer = layers.CandidateObserver;
        }

        var outputs = new MetricAccumulator[referenceModel.Outputs.Count];
        var referenceValues = new float[outputs.Length][];
        var candidateValues = new float[outputs.Length][];
        var classifierOutput = -1;
        for (var i = 0; i < outputs.Length; i++)
        {
            var d = referenceModel.Outputs[i];
            var classifier = IsClassifierShaped(d.Shape);
            if (classifier && classifierOutput < 0)
            {
                classifierOutput = i;
            }
            outputs[i] = new MetricAccumulator(d.Name, ProducerOf(reference, d.Name), classifier);
            referenceValues[i] = new float[d.ElementCount];
            candidateValues[i] = new float[d.ElementCount];
        }
        var inputScratch = new float[referenceModel.Inputs.Count == 0 ? 0 : referenceModel.Inputs.Max(d => d.ElementCount)];

        var total = data.Count is { } count && options.MaxSamples > 0 ? Math.Min(count, options.MaxSamples)
            : options.MaxSamples > 0 ? (int?)null : data.Count;
        var samples = 0;
        var labeled = 0;
        var referenceCorrect = 0;
        var candidateCorrect = 0;
        foreach (var sample in data.Read(cancellationToken))
        {
            if (options.MaxSamples > 0 && samples >= options.MaxSamples)
            {
                break;
            }
            cancellationToken.ThrowIfCancellationRequested();
            WriteInputs(sample, data, referenceSession, candidateSession, inputScratch);
            Run(referenceSession, "reference");
            Run(candidateSession, "candidate");

            for (var i = 0; i < outputs.Length; i++)
            {
                ReadOutput(referenceSession, i, referenceValues[i]);
                ReadOutput(candidateSession, i, candidateValues[i]);
                outputs[i].Add(referenceValues[i], candidateValues[i]);
            }

            if (sample.Label is { } label)
            {
                if (classifierOutput < 0)
                {
                    throw new EvaluationException(EvaluationErrorCodes.LabelsNotUsable,
                        "the data is labeled but no model output is classifier-shaped ([N] or [1,N] with N ≥ 2)", data.Description);
                }
                var classes = referenceValues[classifierOutput].Length;
                if (label < 0 || label >= classes)
                {
                    throw new EvaluationException(EvaluationErrorCodes.LabelsNotUsable,
                        $"sample '{sample.Id}' has label {label}; output '{referenceModel.Outputs[classifierOutput].Name}' has {classes} classes",
                        data.Description);
                }
                labeled++;
                referenceCorrect += MetricAccumulator.ArgMax(referenceValues[classifierOutput]) == label ? 1 : 0;
                candidateCorrect += MetricAccumulator.ArgMax(candidateValues[classifierOutput]) == label ? 1 : 0;
            }
            samples++;
            progress?.Report(new OptimizationProgress("evaluation", samples, total));
        }

        if (samples == 0)
        {
            throw new EvaluationException(EvaluationErrorCodes.NoSamples, "the data holds no samples", data.Description);
        }
        if (labeled != 0 && labeled != samples)
        {
            throw new DataException(DataErrorCodes.LabelsMismatch,
                $"{labeled} of {samples} samples are labeled; label all of them or none", data.Description);
        }

        return new EvaluationReport(
            samples,
            outputs.Select(o => o.ToMetrics()).ToList(),
            layers?.Ranked(options.TopLayers) ?? [],
            labeled > 0 ? new LabelAccuracy((double)referenceCorrect / samples, (double)candidateCorrect / samples) : null)
        {
            LayersCompared = layers?.Count ?? 0,
        };
    }

    /// <summary>True for outputs shaped like class scores: [N] or [1,N] (leading 1s ignored) with N ≥ 2.</summary>
    public static bool IsClassifierShaped(ReadOnlySpan<int> shape)
    {
        var start = 0;
        while (start < shape.Length - 1 && shape[start] == 1)
        {
            start++;
        }
        return shape.Length - start == 1 && shape[start] >= 2;
    }

    private static CompiledModel Compile(ModelGraph model, string role)
    {
        try
        {
            return CompiledModel.FromGraph(model);
        }
        catch (ModelRuntimeException e)
        {
            throw new EvaluationException(EvaluationErrorCodes.ModelNotRunnable,
                $"the managed runtime cannot load the {role} model: {e.Message}", inner: e);
        }
    }

    private static void Run(ModelSession session, string role)
    {
        try
        {
            session.Run();
        }
        catch (ModelRuntimeException e)
        {
            throw new EvaluationException(EvaluationErrorCodes.ModelNotRunnable,
                $"the managed runtime failed running the {role} model: {e.Message}", inner: e);
        }
    }

    private static void CheckMatching(CompiledModel reference, CompiledModel candidate)
    {
        Check(reference.Inputs, candidate.Inputs, "input");
        Check(reference.Outputs, candidate.Outputs, "output");

        static void Check(IReadOnlyList<TensorDescriptor> r, IReadOnlyList<TensorDescriptor> c, string what)
        {
            if (r.Count != c.Count)
            {
                throw new EvaluationException(EvaluationErrorCodes.ModelsDoNotMatch,
                    $"the reference has {r.Count} {what}(s), the candidate {c.Count}");
            }
            for (var i = 0; i < r.Count; i++)
            {
                if (r[i].ElementCount != c[i].ElementCount)
                {
                    throw new EvaluationException(EvaluationErrorCodes.ModelsDoNotMatch,
                        $"{what} {i}: reference {r[i]} and candidate {c[i]} differ in size");
                }
                if (!TensorValues.CanRead(r[i].Type) || !TensorValues.CanRead(c[i].Type))
                {
                    throw new EvaluationException(EvaluationErrorCodes.ModelsDoNotMatch,
                        $"{what} {i}: {r[i]} / {c[i]} has no real-valued form to compare");
                }
            }
        }
    }

    private static void WriteInputs(Sample sample, ISampleSource data, ModelSession reference, ModelSession candidate, float[] scratch)
    {
        if (sample.Inputs.Count != reference.Inputs.Count)
        {
            throw new DataException(DataErrorCodes.InputMismatch,
                $"sample '{sample.Id}' has {sample.Inputs.Count} input(s); the model has {reference.Inputs.Count}", data.Description);
        }
        for (var i = 0; i < sample.Inputs.Count; i++)
        {
            var r = reference.Inputs[i];
            var c = candidate.Inputs[i];
            var bytes = sample.Inputs[i];
            if (bytes.Length != r.ByteLength)
            {
                throw new DataException(DataErrorCodes.ShapeMismatch,
                    $"sample '{sample.Id}' input {i} has {bytes.Length} bytes; {r} needs {r.ByteLength}", data.Description);
            }
            bytes.CopyTo(reference.GetInputBytes(i));
            if (r.Type == c.Type && SameQuantization(r.Quantization, c.Quantization))
            {
                bytes.CopyTo(candidate.GetInputBytes(i));
            }
            else
            {
                var reals = scratch.AsSpan(0, (int)r.ElementCount);
                TensorValues.ToFloat(bytes, r.Type, r.Quantization, r.Shape, reals);
                TensorValues.FromFloat(reals, c.Type, c.Quantization, c.Shape, candidate.GetInputBytes(i));
            }
        }
    }

    private static void ReadOutput(ModelSession session, int index, float[] destination)
    {
        var d = session.Outputs[index];
        TensorValues.ToFloat(session.GetOutputBytes(index), d.Type, d.Quantization, d.Shape, destination);
    }

    private static bool SameQuantization(TensorQuantization? a, TensorQuantization? b) =>
        (a is null && b is null) ||
        (a is not null && b is not null && a.Scale.AsSpan().SequenceEqual(b.Scale) && a.ZeroPoint.AsSpan().SequenceEqual(b.ZeroPoint));

    private static string? ProducerOf(ModelGraph model, string tensorName)
    {
        foreach (var op in model.Main.Operators)
        {
            foreach (var t in op.Outputs)
            {
                if (t?.Name == tensorName)
                {
                    return op.Code.DisplayName;
                }
            }
        }
        return null;
    }
}
