using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Tests.Ops;

namespace ModelBuildTasks.Runtime.Tests.Session;

/// <summary>
/// Damaged models (deterministic byte flips of a small valid one) either load and run, or fail with a coded
/// <see cref="ModelFormatException"/>: never another exception type.
/// </summary>
[TestClass]
public sealed class MutatedModelTests
{
    [TestMethod]
    public void ByteFlipsGiveCodedErrorsOrValidRuns()
    {
        var original = ModelWriter.ToBytes(SmallNetwork());
        var random = new Random(2024);
        int loaded = 0, rejected = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            try
            {
                using var session = ModelSession.Load(bytes);
                for (var i = 0; i < session.Inputs.Count; i++)
                {
                    session.GetInputBytes(i).Fill(0x3F);
                }
                session.Run();
                loaded++;
            }
            catch (ModelFormatException e)
            {
                StringAssert.StartsWith(e.Code, "MBT");
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"trial {trial}: {e.GetType().Name} escaped: {e}");
            }
        }
        Assert.IsGreaterThan(0, rejected, "some mutations must be rejected");
        Assert.IsGreaterThan(0, loaded, "some mutations (in weights) must still load");
    }

    /// <summary>Conv → depthwise → max pool → concat with a pad → reshape → fully connected → softmax.</summary>
    private static ModelGraph SmallNetwork()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 8, 8, 3]);
        var c1 = m.Intermediate([1, 8, 8, 8]);
        m.Op(BuiltinOperator.CONV_2D, BuiltinOptionsUnion.FromConv2DOptions(new Conv2DOptionsT { Padding = Padding.SAME, StrideH = 1, StrideW = 1, FusedActivationFunction = ActivationFunctionType.RELU }),
            [x, m.Weights([8, 3, 3, 3]), m.Weights([8])], c1);
        var d1 = m.Intermediate([1, 8, 8, 8]);
        m.Op(BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOptionsUnion.FromDepthwiseConv2DOptions(new DepthwiseConv2DOptionsT { Padding = Padding.SAME, StrideH = 1, StrideW = 1, DepthMultiplier = 1 }),
            [c1, m.Weights([1, 3, 3, 8]), m.Weights([8])], d1);
        var p1 = m.Intermediate([1, 4, 4, 8]);
        m.Op(BuiltinOperator.MAX_POOL_2D, BuiltinOptionsUnion.FromPool2DOptions(new Pool2DOptionsT { Padding = Padding.VALID, StrideH = 2, StrideW = 2, FilterHeight = 2, FilterWidth = 2 }), [d1], p1);
        var padded = m.Intermediate([1, 4, 4, 8]);
        m.Op(BuiltinOperator.PAD, null, [p1, m.Ints([4, 2], [0, 0, 0, 0, 0, 0, 0, 0])], padded);
        var cat = m.Intermediate([1, 4, 4, 16]);
        m.Op(BuiltinOperator.CONCATENATION, BuiltinOptionsUnion.FromConcatenationOptions(new ConcatenationOptionsT { Axis = 3 }), [p1, padded], cat);
        var flat = m.Intermediate([1, 256]);
        m.Op(BuiltinOperator.RESHAPE, null, [cat, m.Ints(1, 256)], flat);
        var logits = m.Intermediate([1, 10]);
        m.Op(BuiltinOperator.FULLY_CONNECTED, BuiltinOptionsUnion.FromFullyConnectedOptions(new FullyConnectedOptionsT()), [flat, m.Weights([10, 256]), m.Weights([10])], logits);
        m.Op(BuiltinOperator.SOFTMAX, BuiltinOptionsUnion.FromSoftmaxOptions(new SoftmaxOptionsT { Beta = 1 }), [logits], m.Output([1, 10]));
        return m.Graph;
    }
}
