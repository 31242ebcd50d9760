using System.Numerics;

namespace ModelBuildTasks.TestSupport.Fixtures;

/// <summary>Trained weights of a one-hidden-layer perceptron, row-major as TFLite FULLY_CONNECTED stores them ([units, depth]).</summary>
public sealed record MlpWeights(int Inputs, int Hidden, int Classes, float[] W1, float[] B1, float[] W2, float[] B2)
{
    /// <summary>The predicted class of one input (arg-max of the logits; softmax does not change it).</summary>
    public int Predict(ReadOnlySpan<float> x)
    {
        var h = new float[Hidden];
        var z = new float[Classes];
        MlpTrainer.Forward(this, x, h, z);
        var best = 0;
        for (var k = 1; k < Classes; k++)
        {
            best = z[k] > z[best] ? k : best;
        }
        return best;
    }
}

/// <summary>
/// Trains an input→hidden (ReLU)→classes (softmax) perceptron with cross-entropy and Adam, single-threaded and seeded,
/// so the same settings give the same weights on the same machine.
/// </summary>
public static class MlpTrainer
{
    /// <summary>Trains on <paramref name="images"/> with <paramref name="labels"/>.</summary>
    public static MlpWeights Train(IReadOnlyList<float[]> images, IReadOnlyList<int> labels, MnistClassifierSettings s)
    {
        var inputs = images[0].Length;
        var random = new Random(s.Seed);
        var w = new MlpWeights(inputs, s.Hidden, 10,
            Uniform(random, s.Hidden * inputs, MathF.Sqrt(6f / inputs)), new float[s.Hidden],
            Uniform(random, 10 * s.Hidden, MathF.Sqrt(6f / (s.Hidden + 10))), new float[10]);
        var parameters = new[] { w.W1, w.B1, w.W2, w.B2 };
        var grads = parameters.Select(p => new float[p.Length]).ToArray();
        var m = parameters.Select(p => new float[p.Length]).ToArray();
        var v = parameters.Select(p => new float[p.Length]).ToArray();
        var h = new float[s.Hidden];
        var z = new float[10];
        var dh = new float[s.Hidden];
        var order = Enumerable.Range(0, images.Count).ToArray();
        var shifted = new float[inputs];
        var side = (int)Math.Sqrt(inputs);
        var step = 0;
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += s.BatchSize)
            {
                var end = Math.Min(start + s.BatchSize, order.Length);
                foreach (var g in grads)
                {
                    Array.Clear(g);
                }
                for (var n = start; n < end; n++)
                {
                    var x = s.MaxShift > 0 && side * side == inputs
                        ? Shift(images[order[n]], shifted, side, random.Next(-s.MaxShift, s.MaxShift + 1), random.Next(-s.MaxShift, s.MaxShift + 1))
                        : images[order[n]];
                    Forward(w, x, h, z);
                    Softmax(z);
                    z[labels[order[n]]] -= 1; // dLoss/dlogits = p − onehot
                    for (var k = 0; k < 10; k++)
                    {
                        Axpy(z[k], h, grads[2].AsSpan(k * s.Hidden, s.Hidden));
                        grads[3][k] += z[k];
                    }
                    for (var j = 0; j < s.Hidden; j++)
                    {
                        var sum = 0f;
                        for (var k = 0; k < 10; k++)
                        {
                            sum += z[k] * w.W2[k * s.Hidden + j];
                        }
                        dh[j] = h[j] > 0 ? sum : 0;
                        if (dh[j] != 0)
                        {
                            Axpy(dh[j], x, grads[0].AsSpan(j * inputs, inputs));
                            grads[1][j] += dh[j];
                        }
                    }
                }
                step++;
                for (var p = 0; p < parameters.Length; p++)
                {
                    Adam(parameters[p], grads[p], m[p], v[p], step, s.LearningRate, 1f / (end - start));
                }
            }
        }
        return w;
    }

    // Augmentation: the image moved by (dx, dy) pixels, zeros shifted in. Teaches the perceptron some translation tolerance.
    private static float[] Shift(float[] image, float[] result, int side, int dx, int dy)
    {
        Array.Clear(result);
        for (var y = Math.Max(0, dy); y < Math.Min(side, side + dy); y++)
        {
            Array.Copy(image, (y - dy) * side + Math.Max(0, -dx), result, y * side + Math.Max(0, dx), side - Math.Abs(dx));
        }
        return result;
    }

    internal static void Forward(MlpWeights w, ReadOnlySpan<float> x, Span<float> h, Span<float> z)
    {
        for (var j = 0; j < w.Hidden; j++)
        {
            h[j] = MathF.Max(0, w.B1[j] + Dot(w.W1.AsSpan(j * w.Inputs, w.Inputs), x));
        }
        for (var k = 0; k < w.Classes; k++)
        {
            z[k] = w.B2[k] + Dot(w.W2.AsSpan(k * w.Hidden, w.Hidden), h);
        }
    }

    private static void Softmax(Span<float> z)
    {
        var max = float.NegativeInfinity;
        foreach (var value in z)
        {
            max = MathF.Max(max, value);
        }
        var sum = 0f;
        for (var k = 0; k < z.Length; k++)
        {
            z[k] = MathF.Exp(z[k] - max);
            sum += z[k];
        }
        for (var k = 0; k < z.Length; k++)
        {
            z[k] /= sum;
        }
    }

    private static void Adam(float[] p, float[] g, float[] m, float[] v, int step, float rate, float gradScale)
    {
        const float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
        var correction1 = 1 - MathF.Pow(beta1, step);
        var correction2 = 1 - MathF.Pow(beta2, step);
        for (var i = 0; i < p.Length; i++)
        {
            var grad = g[i] * gradScale;
            m[i] = beta1 * m[i] + (1 - beta1) * grad;
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad;
            p[i] -= rate * (m[i] / correction1) / (MathF.Sqrt(v[i] / correction2) + epsilon);
        }
    }

    private static float[] Uniform(Random random, int count, float limit)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * limit);
        }
        return values;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            acc += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        }
        var sum = Vector.Sum(acc);
        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        var i = 0;
        var a = new Vector<float>(alpha);
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(y[i..]) + a * new Vector<float>(x[i..])).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }
}
