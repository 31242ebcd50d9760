using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.Tests.Support;

/// <summary>
/// A small MNIST classifier trained here (784 → 32 ReLU → 10 softmax, plain minibatch SGD with a fixed seed) and
/// written as a float32 TFLite model whose input holds a whole batch of images, so one oracle run scores a test set.
/// </summary>
internal static class MnistClassifier
{
    private const int Inputs = 784;
    private const int Hidden = 32;
    private const int Classes = 10;

    public sealed record Weights(float[] W1, float[] B1, float[] W2, float[] B2);

    public static Weights Train(IReadOnlyList<float[]> images, IReadOnlyList<int> labels, int epochs = 4, int seed = 7)
    {
        var rng = new Random(seed);
        var w1 = Init(rng, Hidden * Inputs, Math.Sqrt(2.0 / Inputs));
        var w2 = Init(rng, Classes * Hidden, Math.Sqrt(2.0 / Hidden));
        var b1 = new float[Hidden];
        var b2 = new float[Classes];
        var order = Enumerable.Range(0, images.Count).ToArray();
        var h = new float[Hidden];
        var p = new float[Classes];
        var dh = new float[Hidden];
        const float rate = 0.05f;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            rng.Shuffle(order);
            foreach (var n in order)
            {
                var x = images[n];
                Forward(x, w1, b1, w2, b2, h, p);
                p[labels[n]] -= 1; // softmax cross-entropy gradient
                Array.Clear(dh);
                for (var k = 0; k < Classes; k++)
                {
                    for (var j = 0; j < Hidden; j++)
                    {
                        dh[j] += p[k] * w2[k * Hidden + j];
                        w2[k * Hidden + j] -= rate * p[k] * h[j];
                    }
                    b2[k] -= rate * p[k];
                }
                for (var j = 0; j < Hidden; j++)
                {
                    if (h[j] <= 0)
                    {
                        continue;
                    }
                    var g = rate * dh[j];
                    var row = w1.AsSpan(j * Inputs, Inputs);
                    for (var i = 0; i < Inputs; i++)
                    {
                        row[i] -= g * x[i];
                    }
                    b1[j] -= g;
                }
            }
        }
        return new Weights(w1, b1, w2, b2);
    }

    /// <summary>The classifier as a TFLite model with input [batch, 784] and softmax output [batch, 10].</summary>
    public static ModelGraph ToModel(Weights w, int batch)
    {
        var sg = new Subgraph { Name = "main" };
        var input = sg.AddTensor(new Tensor("images", TensorType.FLOAT32, [batch, Inputs]) { HasRank = true });
        var w1 = sg.AddTensor(Constant("dense/kernel", [Hidden, Inputs], w.W1));
        var b1 = sg.AddTensor(Constant("dense/bias", [Hidden], w.B1));
        var hidden = sg.AddTensor(new Tensor("dense/relu", TensorType.FLOAT32, [batch, Hidden]) { HasRank = true });
        var w2 = sg.AddTensor(Constant("logits/kernel", [Classes, Hidden], w.W2));
        var b2 = sg.AddTensor(Constant("logits/bias", [Classes], w.B2));
        var logits = sg.AddTensor(new Tensor("logits", TensorType.FLOAT32, [batch, Classes]) { HasRank = true });
        var probabilities = sg.AddTensor(new Tensor("probabilities", TensorType.FLOAT32, [batch, Classes]) { HasRank = true });
        sg.Operators.Add(Fc(input, w1, b1, hidden, ActivationFunctionType.RELU));
        sg.Operators.Add(Fc(hidden, w2, b2, logits, ActivationFunctionType.NONE));
        var softmax = new Operator(new OperatorCode(BuiltinOperator.SOFTMAX))
        {
            Options = BuiltinOptionsUnion.FromSoftmaxOptions(new SoftmaxOptionsT { Beta = 1 }),
        };
        softmax.Inputs.Add(logits);
        softmax.Outputs.Add(probabilities);
        sg.Operators.Add(softmax);
        sg.Inputs.Add(input);
        sg.Outputs.Add(probabilities);
        var model = new ModelGraph { Description = "MNIST test classifier" };
        model.Subgraphs.Add(sg);
        return model;
    }

    /// <summary>Share of rows of <paramref name="probabilities"/> ([n, 10]) whose arg-max equals the label.</summary>
    public static double Accuracy(ReadOnlySpan<float> probabilities, IReadOnlyList<int> labels)
    {
        var correct = 0;
        for (var n = 0; n < labels.Count; n++)
        {
            var row = probabilities.Slice(n * Classes, Classes);
            var best = 0;
            for (var k = 1; k < Classes; k++)
            {
                if (row[k] > row[best])
                {
                    best = k;
                }
            }
            correct += best == labels[n] ? 1 : 0;
        }
        return correct / (double)labels.Count;
    }

    public static byte[] Batch(IReadOnlyList<float[]> images)
    {
        var all = new float[images.Count * Inputs];
        for (var n = 0; n < images.Count; n++)
        {
            images[n].CopyTo(all, n * Inputs);
        }
        return MemoryMarshal.AsBytes(all.AsSpan()).ToArray();
    }

    private static void Forward(float[] x, float[] w1, float[] b1, float[] w2, float[] b2, float[] h, float[] p)
    {
        for (var j = 0; j < Hidden; j++)
        {
            var row = w1.AsSpan(j * Inputs, Inputs);
            var s = b1[j];
            for (var i = 0; i < Inputs; i++)
            {
                s += row[i] * x[i];
            }
            h[j] = MathF.Max(0, s);
        }
        var max = float.NegativeInfinity;
        for (var k = 0; k < Classes; k++)
        {
            var s = b2[k];
            for (var j = 0; j < Hidden; j++)
            {
                s += w2[k * Hidden + j] * h[j];
            }
            p[k] = s;
            max = MathF.Max(max, s);
        }
        var sum = 0f;
        for (var k = 0; k < Classes; k++)
        {
            p[k] = MathF.Exp(p[k] - max);
            sum += p[k];
        }
        for (var k = 0; k < Classes; k++)
        {
            p[k] /= sum;
        }
    }

    private static float[] Init(Random rng, int count, double std)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2 - 1) * std * Math.Sqrt(3));
        }
        return values;
    }

    private static Tensor Constant(string name, int[] shape, float[] values) =>
        new(name, TensorType.FLOAT32, shape) { Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), HasRank = true };

    private static Operator Fc(Tensor input, Tensor weights, Tensor bias, Tensor output, ActivationFunctionType activation)
    {
        var op = new Operator(new OperatorCode(BuiltinOperator.FULLY_CONNECTED))
        {
            Options = BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT { FusedActivationFunction = activation }),
        };
        op.Inputs.Add(input);
        op.Inputs.Add(weights);
        op.Inputs.Add(bias);
        op.Outputs.Add(output);
        return op;
    }
}
