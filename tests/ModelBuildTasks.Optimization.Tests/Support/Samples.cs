using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Support;

/// <summary>Seeded representative data in the inputs' natural range (images 0..1), as the oracle generates it.</summary>
internal static class Samples
{
    public const int CalibrationSeed = 100;

    public static InMemorySampleSource Seeded(ModelGraph model, int count, int firstSeed = CalibrationSeed)
    {
        var inputs = model.Main.Inputs.Select(t => (TypeName(t.Type), t.ElementCount)).ToList();
        var samples = Enumerable.Range(firstSeed, count)
            .Select(seed => new Sample($"seed-{seed}", SeededInputs.Generate(seed, inputs)))
            .ToList();
        return new InMemorySampleSource(samples, $"{count} seeded samples");
    }

    /// <summary>One seeded float input set (for models with one float input, e.g. MNIST classifiers).</summary>
    public static float[] Floats(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    private static string TypeName(TensorType type) => type switch
    {
        TensorType.FLOAT32 => "float32",
        TensorType.INT8 => "int8",
        TensorType.UINT8 => "uint8",
        TensorType.INT16 => "int16",
        TensorType.INT32 => "int32",
        _ => throw new NotSupportedException($"input type {type}"),
    };
}
