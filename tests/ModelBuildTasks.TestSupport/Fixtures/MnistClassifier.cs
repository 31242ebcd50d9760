using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.TestSupport.Fixtures;

/// <summary>How the MNIST fixture is trained. Any change gives a new cache file.</summary>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Epochs">Passes over the training digits.</param>
/// <param name="BatchSize">Samples per Adam step.</param>
/// <param name="LearningRate">Adam step size.</param>
/// <param name="Seed">Seeds initialization and shuffling.</param>
/// <param name="TrainFraction">The first fraction of each digit's images is trained on; the rest is held out.</param>
/// <param name="MaxShift">Augmentation: each training image is moved by up to this many pixels in x and y (0 = off).</param>
public sealed record MnistClassifierSettings(
    int Hidden = 96, int Epochs = 12, int BatchSize = 32, float LearningRate = 0.0015f, int Seed = 20261129, double TrainFraction = 0.8,
    int MaxShift = 1)
{
    /// <summary>Bumped when the trainer or the model layout changes, so stale cache files are not reused.</summary>
    internal const int TrainerVersion = 1;

    /// <summary>A short hash of the settings, naming the cache file.</summary>
    public string Hash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
        FormattableString.Invariant($"mlp v{TrainerVersion} {Hidden} {Epochs} {BatchSize} {LearningRate:R} {Seed} {TrainFraction:R} {MaxShift}"))))[..16].ToLowerInvariant();
}

/// <summary>
/// A small MNIST classifier as a float32 .tflite, trained deterministically from the corpus digits and cached on disk
/// (<see cref="RepoPaths.CorpusCacheDir"/>/fixtures, named by <see cref="MnistClassifierSettings.Hash"/>).
/// Graph: input float32[B,784] (pixels in [0,1]) → FULLY_CONNECTED(96 by default, fused RELU) → FULLY_CONNECTED(10) "logits"
/// → SOFTMAX "probabilities".
/// </summary>
public static class MnistClassifier
{
    /// <summary>Name of the input tensor.</summary>
    public const string InputName = "input";

    /// <summary>Name of the output tensor (class probabilities).</summary>
    public const string OutputName = "probabilities";

    private static readonly object Gate = new();

    /// <summary>The training and held-out digits of a split.</summary>
    public static (MnistSet Train, MnistSet HeldOut) Split(MnistClassifierSettings? settings = null)
    {
        settings ??= new MnistClassifierSettings();
        var all = Corpus.Mnist.Load();
        var train = (Images: new List<float[]>(), Labels: new List<int>());
        var held = (Images: new List<float[]>(), Labels: new List<int>());
        for (var d = 0; d < 10; d++)
        {
            var digit = all.ImagesOf(d);
            var cut = (int)(digit.Count * settings.TrainFraction);
            for (var i = 0; i < digit.Count; i++)
            {
                var target = i < cut ? train : held;
                target.Images.Add(digit[i]);
                target.Labels.Add(d);
            }
        }
        return (new MnistSet(train.Images, train.Labels), new MnistSet(held.Images, held.Labels));
    }

    /// <summary>
    /// The .tflite file (batch <paramref name="batch"/>), trained and written on first use, then read from the cache.
    /// Safe across threads and processes.
    /// </summary>
    public static string GetPath(MnistClassifierSettings? settings = null, int batch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        settings ??= new MnistClassifierSettings();
        var folder = Path.Combine(RepoPaths.CorpusCacheDir, "fixtures");
        var path = Path.Combine(folder, $"mnist-mlp-{settings.Hash}-b{batch}.tflite");
        if (File.Exists(path))
        {
            return path;
        }
        lock (Gate)
        {
            using var held = FileLock.Acquire(Path.Combine(folder, $"mnist-mlp-{settings.Hash}.lock"), TimeSpan.FromMinutes(5));
            if (!File.Exists(path))
            {
                var single = Path.Combine(folder, $"mnist-mlp-{settings.Hash}-b1.tflite");
                if (!File.Exists(single))
                {
                    var (train, _) = Split(settings);
                    ModelWriter.WriteFile(Build(MlpTrainer.Train(train.Images, train.Labels, settings), 1), single);
                }
                if (batch != 1)
                {
                    ModelWriter.WriteFile(WithBatch(ModelReader.ReadFile(single), batch), path);
                }
            }
        }
        return path;
    }

    /// <summary>The model graph for trained weights.</summary>
    public static ModelGraph Build(MlpWeights w, int batch)
    {
        var model = new ModelGraph { Description = $"MNIST MLP {w.Inputs}-{w.Hidden}-{w.Classes} (ModelBuildTasks test fixture)" };
        var main = new Subgraph { Name = "main" };
        model.Subgraphs.Add(main);
        var input = main.AddTensor(new Tensor(InputName, TensorType.FLOAT32, [batch, w.Inputs]));
        var k1 = main.AddTensor(Constant("dense_1/kernel", [w.Hidden, w.Inputs], w.W1));
        var b1 = main.AddTensor(Constant("dense_1/bias", [w.Hidden], w.B1));
        var hidden = main.AddTensor(new Tensor("dense_1/relu", TensorType.FLOAT32, [batch, w.Hidden]));
        var k2 = main.AddTensor(Constant("dense_2/kernel", [w.Classes, w.Hidden], w.W2));
        var b2 = main.AddTensor(Constant("dense_2/bias", [w.Classes], w.B2));
        var logits = main.AddTensor(new Tensor("logits", TensorType.FLOAT32, [batch, w.Classes]));
        var probabilities = main.AddTensor(new Tensor(OutputName, TensorType.FLOAT32, [batch, w.Classes]));
        main.Inputs.Add(input);
        main.Outputs.Add(probabilities);
        main.Operators.Add(FullyConnected(input, k1, b1, hidden, ActivationFunctionType.RELU));
        main.Operators.Add(FullyConnected(hidden, k2, b2, logits, ActivationFunctionType.NONE));
        var softmax = new Operator(new OperatorCode(BuiltinOperator.SOFTMAX))
        {
            Options = BuiltinOptionsUnion.FromSoftmaxOptions(new SoftmaxOptionsT { Beta = 1 }),
        };
        softmax.Inputs.Add(logits);
        softmax.Outputs.Add(probabilities);
        main.Operators.Add(softmax);
        var signature = new SignatureDef("serving_default", main);
        signature.Inputs.Add(new SignatureTensor(InputName, input));
        signature.Outputs.Add(new SignatureTensor(OutputName, probabilities));
        model.Signatures.Add(signature);
        model.Metadata.Add(new MetadataEntry(ModelGraph.MinRuntimeVersionName, "1.5.0\0\0\0"u8.ToArray()));
        return model;
    }

    /// <summary>The same model with batch size <paramref name="batch"/> (first axis of every activation).</summary>
    public static ModelGraph WithBatch(ModelGraph model, int batch)
    {
        foreach (var t in model.Main.Tensors)
        {
            if (!t.IsConstant)
            {
                t.Shape = [batch, .. t.Shape[1..]];
            }
        }
        return model;
    }

    private static Operator FullyConnected(Tensor input, Tensor weights, Tensor bias, Tensor output, ActivationFunctionType activation)
    {
        var op = new Operator(new OperatorCode(BuiltinOperator.FULLY_CONNECTED))
        {
            Options = BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT { FusedActivationFunction = activation }),
        };
        op.Inputs.AddRange([input, weights, bias]);
        op.Outputs.Add(output);
        return op;
    }

    private static Tensor Constant(string name, int[] shape, float[] values) =>
        new(name, TensorType.FLOAT32, shape) { Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };
}
