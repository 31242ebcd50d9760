using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.TestSupport;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Optimization.Tests.Evaluation;

/// <summary>The MNIST fixture and candidates derived from it with the IR (no quantization pass needed).</summary>
internal static class EvaluationModels
{
    private static readonly Lazy<MnistSet> LazyHeldOut = new(() => MnistClassifier.Split().HeldOut);

    public static MnistSet HeldOut => LazyHeldOut.Value;

    public static ModelGraph Mnist() => ModelReader.ReadFile(MnistClassifier.GetPath());

    /// <summary>Every 7th held-out digit (a spread over all classes), labeled.</summary>
    public static InMemorySampleSource Digits(int count, bool labeled = true)
    {
        var samples = new List<Sample>();
        for (var i = 0; samples.Count < count; i += 7)
        {
            samples.Add(new Sample($"digit{i}", [MemoryMarshal.AsBytes(HeldOut.Images[i].AsSpan()).ToArray()],
                labeled ? HeldOut.Labels[i] : null));
        }
        return new InMemorySampleSource(samples);
    }

    /// <summary>Float32 weights stored as float16 and read through DEQUANTIZE, as the float16 pass writes them.</summary>
    public static ModelGraph Float16(ModelGraph model)
    {
        var main = model.Main;
        var dequantizes = new List<Operator>();
        foreach (var t in main.Tensors.Where(t => t.IsConstant && t.Type == TensorType.FLOAT32).ToList())
        {
            var floats = MemoryMarshal.Cast<byte, float>(t.Data.Span);
            var halves = new Half[floats.Length];
            for (var i = 0; i < floats.Length; i++)
            {
                halves[i] = (Half)floats[i];
            }
            var half = main.AddTensor(new Tensor(t.Name + "_fp16", TensorType.FLOAT16, t.Shape)
            {
                Data = MemoryMarshal.AsBytes(halves.AsSpan()).ToArray(),
            });
            t.Data = ReadOnlyMemory<byte>.Empty;
            var op = new Operator(new OperatorCode(BuiltinOperator.DEQUANTIZE));
            op.Inputs.Add(half);
            op.Outputs.Add(t);
            dequantizes.Add(op);
        }
        main.Operators.InsertRange(0, dequantizes);
        return model;
    }

    /// <summary>Multiplies the named constant's values by (1 + <paramref name="amount"/>·u), u uniform in [−1, 1], seeded.</summary>
    public static ModelGraph Perturb(ModelGraph model, string tensor, float amount, int seed = 5)
    {
        var t = model.Main.FindTensor(tensor)!;
        var values = MemoryMarshal.Cast<byte, float>(t.Data.Span).ToArray();
        var random = new Random(seed);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= 1 + amount * (float)(random.NextDouble() * 2 - 1);
        }
        t.Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        return model;
    }

    /// <summary>The model with an int8 input (scale 1/255, zero point −128) dequantized in front of the float graph.</summary>
    public static ModelGraph Int8Input(ModelGraph model)
    {
        var main = model.Main;
        var input = main.Inputs[0];
        var quantized = main.AddTensor(new Tensor(input.Name + "_int8", TensorType.INT8, input.Shape)
        {
            Quantization = TensorQuantization.PerTensor(1f / 255, -128),
        });
        var op = new Operator(new OperatorCode(BuiltinOperator.DEQUANTIZE));
        op.Inputs.Add(quantized);
        op.Outputs.Add(input);
        main.Operators.Insert(0, op);
        main.Inputs[0] = quantized;
        model.Signatures.Clear();
        return model;
    }
}
