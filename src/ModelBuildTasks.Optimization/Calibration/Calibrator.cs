using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.Runtime;

namespace ModelBuildTasks.Optimization.Calibration;

/// <summary>The calibrated range of every float tensor of the main subgraph that calibration saw.</summary>
/// <param name="Ranges">Range by tensor (object identity).</param>
/// <param name="Samples">Samples run.</param>
public sealed record CalibrationResult(IReadOnlyDictionary<Tensor, TensorRange> Ranges, int Samples);

/// <summary>
/// Runs the float model on the managed runtime over the representative samples and records every float
/// activation's range. Streaming: one sample in memory at a time and a fixed amount of statistics per tensor, so
/// memory stays bounded for any number of samples. Histogram-based methods (percentile, MSE) read the data twice.
/// </summary>
public static class Calibrator
{
    /// <summary>Calibrates <paramref name="model"/> (float32 weights) on <paramref name="data"/>.</summary>
    public static CalibrationResult Calibrate(ModelGraph model, ISampleSource data, OptimizationOptions options,
        IProgress<OptimizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var tensors = model.Main.Tensors;
        var stats = new RangeStatistics[tensors.Count];
        ModelSession session;
        try
        {
            session = ModelSession.Load(model);
        }
        catch (ModelRuntimeException e)
        {
            throw new OptimizationException(OptimizationErrorCodes.CalibrationFailed,
                $"calibration needs to run the float model, and the managed runtime cannot: {e.Message}");
        }
        using (session)
        {
            var observer = new StatisticsObserver(stats, options.MovingAverageMomentum, histogram: false);
            session.Observer = observer;
            var samples = RunAll(session, data, options, observer, "calibration", progress, cancellationToken);
            if (samples == 0)
            {
                throw new OptimizationException(OptimizationErrorCodes.MissingRepresentativeData,
                    $"the representative data ({data.Description}) has no samples");
            }
            if (options.Calibration is CalibrationMethod.Percentile or CalibrationMethod.Mse)
            {
                var counting = new StatisticsObserver(stats, options.MovingAverageMomentum, histogram: true);
                session.Observer = counting;
                RunAll(session, data, options, counting, "calibration histograms", progress, cancellationToken);
            }
            var symmetric = options.Optimization == Optimization.Int16x8;
            var ranges = new Dictionary<Tensor, TensorRange>(ReferenceEqualityComparer.Instance);
            for (var i = 0; i < stats.Length; i++)
            {
                if (stats[i] is { HasValues: true } s)
                {
                    ranges[tensors[i]] = s.Range(options.Calibration, options.CalibrationPercentile, symmetric);
                }
            }
            return new CalibrationResult(ranges, samples);
        }
    }

    private static int RunAll(ModelSession session, ISampleSource data, OptimizationOptions options,
        StatisticsObserver observer, string stage, IProgress<OptimizationProgress>? progress, CancellationToken cancellationToken)
    {
        var total = data.Count is { } c && options.MaxCalibrationSamples > 0 ? Math.Min(c, options.MaxCalibrationSamples)
            : data.Count ?? (options.MaxCalibrationSamples > 0 ? options.MaxCalibrationSamples : null);
        var done = 0;
        foreach (var sample in data.Read(cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (options.MaxCalibrationSamples > 0 && done >= options.MaxCalibrationSamples)
            {
                break;
            }
            Feed(session, sample, data, observer);
            try
            {
                session.Run();
            }
            catch (ModelRuntimeException e)
            {
                throw new OptimizationException(OptimizationErrorCodes.CalibrationFailed,
                    $"running sample '{sample.Id}' of {data.Description} failed: {e.Message}");
            }
            done++;
            progress?.Report(new OptimizationProgress(stage, done, total));
        }
        return done;
    }

    private static void Feed(ModelSession session, Sample sample, ISampleSource data, StatisticsObserver observer)
    {
        if (sample.Inputs.Count != session.Inputs.Count)
        {
            throw new OptimizationException(OptimizationErrorCodes.CalibrationFailed,
                $"sample '{sample.Id}' of {data.Description} has {sample.Inputs.Count} input(s); the model has {session.Inputs.Count}");
        }
        for (var k = 0; k < sample.Inputs.Count; k++)
        {
            var d = session.Inputs[k];
            if (sample.Inputs[k].LongLength != d.ByteLength)
            {
                throw new OptimizationException(OptimizationErrorCodes.CalibrationFailed,
                    $"sample '{sample.Id}' of {data.Description}: input {k} ({d}) needs {d.ByteLength} bytes, the sample has {sample.Inputs[k].Length}");
            }
            sample.Inputs[k].CopyTo(session.GetInputBytes(k));
            if (d.Type == TensorType.FLOAT32)
            {
                observer.Record(d.Index, MemoryMarshal.Cast<byte, float>(sample.Inputs[k].AsSpan()));
            }
        }
    }

    private sealed class StatisticsObserver(RangeStatistics[] stats, double momentum, bool histogram) : IOperatorObserver
    {
        public void OnOperatorExecuted(in ObservedOperator op)
        {
            for (var i = 0; i < op.OutputCount; i++)
            {
                if (op.GetOutputDescriptor(i) is { Type: TensorType.FLOAT32 } d)
                {
                    Record(d.Index, op.GetOutput<float>(i));
                }
            }
        }

        public void Record(int tensor, ReadOnlySpan<float> values)
        {
            var s = stats[tensor] ??= new RangeStatistics();
            if (histogram)
            {
                s.Count(values);
            }
            else
            {
                s.Observe(values, momentum);
            }
        }
    }
}
