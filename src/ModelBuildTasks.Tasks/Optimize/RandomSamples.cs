using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Data;

namespace ModelBuildTasks.Tasks.Optimize;

/// <summary>
/// Seeded random inputs for when an item has no data at all, so fidelity figures always exist. Floats are uniform in
/// [0, 1) (the usual normalized image range); integer inputs are zero (they are often indices, where random values
/// would be out of range). Same model → same samples.
/// </summary>
public static class RandomSamples
{
    /// <summary>The seed every build uses.</summary>
    public const int Seed = 20260611;

    /// <summary><paramref name="count"/> samples for the inputs of the model's first subgraph.</summary>
    public static ISampleSource Create(ModelGraph model, int count)
    {
        var random = new Random(Seed);
        var inputs = model.Main.Inputs;
        var samples = new List<Sample>(count);
        for (var s = 0; s < count; s++)
        {
            var tensors = new List<byte[]>(inputs.Count);
            foreach (var input in inputs)
            {
                var elements = TensorTypes.ElementCount(input.Shape.Select(d => Math.Max(d, 1)).ToArray());
                var bytes = new byte[TensorTypes.ByteSize(input.Type, elements)];
                if (input.Type == TensorType.FLOAT32)
                {
                    var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
                    for (var i = 0; i < floats.Length; i++)
                    {
                        floats[i] = random.NextSingle();
                    }
                }

                tensors.Add(bytes);
            }

            samples.Add(new Sample($"random-{s}", tensors));
        }

        return new InMemorySampleSource(samples, $"{count} seeded random samples");
    }
}
