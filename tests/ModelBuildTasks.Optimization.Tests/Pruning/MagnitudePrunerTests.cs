using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Pruning;

[TestClass]
public sealed class MagnitudePrunerTests
{
    private static readonly Lazy<ModelGraph> FaceDetection =
        new(() => ModelReader.ReadFile(Corpus.GetPath("face_detection_short_range")));

    [TestMethod]
    [DataRow(0.5)]
    [DataRow(0.75)]
    public void UnstructuredReachesTheTargetPerTensorAndOverall(double target)
    {
        var original = FaceDetection.Value;
        var result = MagnitudePruner.Prune(original, new PruningOptions { TargetSparsity = target });

        Assert.IsGreaterThanOrEqualTo(10, result.Tensors.Count, "face_detection_short_range has 16 weights of 1024+ elements");
        var pruned = ModelChecks.Constants(result.Model);
        var originals = ModelChecks.Constants(original);
        long zeros = 0, elements = 0;
        foreach (var p in result.Tensors)
        {
            var after = ModelChecks.Values(pruned[p.Name]);
            var zeroCount = after.Count(v => v == 0);
            Assert.AreEqual(target, (double)zeroCount / after.Length, 0.01, $"{p.Name} sparsity");
            zeros += zeroCount;
            elements += after.Length;

            // Every kept weight is unchanged, and no zeroed weight is larger than a kept one.
            var before = ModelChecks.Values(originals[p.Name]);
            var largestZeroed = 0f;
            var smallestKept = float.MaxValue;
            for (var i = 0; i < after.Length; i++)
            {
                if (after[i] == 0)
                {
                    largestZeroed = Math.Max(largestZeroed, Math.Abs(before[i]));
                }
                else
                {
                    Assert.AreEqual(before[i], after[i], $"{p.Name}[{i}] was changed but not pruned");
                    smallestKept = Math.Min(smallestKept, Math.Abs(before[i]));
                }
            }
            Assert.IsLessThanOrEqualTo(smallestKept, largestZeroed, $"{p.Name}: a larger weight was pruned before a smaller one");
        }
        Assert.AreEqual(target, (double)zeros / elements, 0.01, "overall sparsity");
        // Dropping the smallest half (quarter) of the weights removes far less than half of their energy.
        Assert.IsTrue(result.Tensors.All(t => t.WeightSqnrDb > 0 && !double.IsInfinity(t.WeightSqnrDb)));
        Assert.AreEqual(target, result.OverallSparsity, 0.01, "reported overall sparsity");
    }

    [TestMethod]
    public void BiasesSmallTensorsAndOtherConstantsAreUntouched()
    {
        var original = FaceDetection.Value;
        var result = MagnitudePruner.Prune(original, new PruningOptions { TargetSparsity = 0.75 });

        var prunedNames = result.Tensors.Select(t => t.Name).ToHashSet();
        var after = ModelChecks.Constants(result.Model);
        var untouched = 0;
        foreach (var (name, tensor) in ModelChecks.Constants(original))
        {
            if (prunedNames.Contains(name))
            {
                Assert.IsGreaterThanOrEqualTo(PruningOptions.DefaultMinElements, tensor.ElementCount, name);
                continue;
            }
            CollectionAssert.AreEqual(tensor.Data.ToArray(), after[name].Data.ToArray(), $"{name} must not change");
            untouched++;
        }
        Assert.IsGreaterThan(20, untouched, "biases, small kernels and shape constants stay");
        // The input model itself is never modified.
        Assert.IsFalse(ModelChecks.Values(ModelChecks.Constants(original)[result.Tensors[0].Name]).Count(v => v == 0) > 0.1 * result.Tensors[0].Elements);
    }

    [TestMethod]
    [DataRow(1, 4)]
    [DataRow(4, 1)]
    public void BlocksAreZeroedOrKeptWhole(int rows, int columns)
    {
        var original = FaceDetection.Value;
        var pattern = SparsityPattern.Block(rows, columns);
        var result = MagnitudePruner.Prune(original, new PruningOptions { TargetSparsity = 0.5, Pattern = pattern });
        var before = ModelChecks.Constants(original);
        var after = ModelChecks.Constants(result.Model);
        foreach (var p in result.Tensors)
        {
            var t = after[p.Name];
            var values = ModelChecks.Values(t);
            var originalValues = ModelChecks.Values(before[p.Name]);
            var shape = t.Shape;
            var depthwise = p.OpType == "DEPTHWISE_CONV_2D";
            var rowAxis = depthwise ? shape.Length - 1 : 0;
            var columnAxis = shape.Length - 1;
            var rowStride = Stride(shape, rowAxis);
            var extentRows = rowAxis == columnAxis ? 1 : rows;
            var extentColumns = rowAxis == columnAxis ? rows * columns : columns;
            // Walk every block: its elements must be all zero or all original.
            for (var i = 0; i < values.Length; i++)
            {
                // Whole blocks only (an edge block may be shorter).
                if (Coordinate(i, shape, columnAxis) % extentColumns != 0 || Coordinate(i, shape, rowAxis) % extentRows != 0 ||
                    Coordinate(i, shape, rowAxis) + extentRows > shape[rowAxis] ||
                    Coordinate(i, shape, columnAxis) + extentColumns > shape[columnAxis])
                {
                    continue;
                }
                // The block's elements: all zero now, or all exactly as before (zeros only where there were zeros).
                var members = Enumerable.Range(0, extentRows)
                    .SelectMany(r => Enumerable.Range(0, extentColumns).Select(c => i + r * rowStride + c)).ToList();
                if (!members.All(e => values[e] == 0))
                {
                    foreach (var e in members)
                    {
                        Assert.AreEqual(originalValues[e], values[e], $"{p.Name}: block at {i} is partly pruned ({e})");
                    }
                }
            }
            Assert.AreEqual(0.5, p.SparsityAfter, 0.01, $"{p.Name} sparsity");
        }
    }

    [TestMethod]
    public void TwoOfFourKeepsTheTwoLargestOfEveryFourInputChannels()
    {
        var original = FaceDetection.Value;
        var result = MagnitudePruner.Prune(original, new PruningOptions { Pattern = SparsityPattern.Parse("2:4") });
        var before = ModelChecks.Constants(original);
        var after = ModelChecks.Constants(result.Model);
        Assert.IsNotEmpty(result.Tensors);
        foreach (var p in result.Tensors)
        {
            var values = ModelChecks.Values(after[p.Name]);
            var originalValues = ModelChecks.Values(before[p.Name]);
            var last = after[p.Name].Shape[^1];
            for (var row = 0; row < values.Length; row += last)
            {
                for (var g = row; g < row + last; g += 4)
                {
                    // An edge group of L < 4 keeps ceil(L / 2).
                    var length = Math.Min(4, row + last - g);
                    var zeros = 0;
                    var smallestKept = float.MaxValue;
                    var largestZeroed = 0f;
                    for (var k = g; k < g + length; k++)
                    {
                        if (values[k] == 0)
                        {
                            zeros++;
                            largestZeroed = Math.Max(largestZeroed, Math.Abs(originalValues[k]));
                        }
                        else
                        {
                            smallestKept = Math.Min(smallestKept, Math.Abs(originalValues[k]));
                        }
                    }
                    Assert.IsGreaterThanOrEqualTo(length - (length + 1) / 2, zeros, $"{p.Name} group at {g}");
                    Assert.IsLessThanOrEqualTo(smallestKept, largestZeroed, $"{p.Name} group at {g} kept a smaller weight");
                }
            }
            // 50 % where the input channels are a multiple of 4 (an input with 3 channels keeps 2 of 3).
            var expected = last % 4 == 0 ? 0.5 : (last / 4 * 2 + (last % 4 - (last % 4 + 1) / 2)) / (double)last;
            Assert.AreEqual(expected, p.SparsityAfter, 0.01, p.Name);
        }
    }

    [TestMethod]
    public void RulesOverrideByOpTypeAndNameAndTheLastMatchWins()
    {
        var original = FaceDetection.Value;
        var all = MagnitudePruner.Prune(original, new PruningOptions { TargetSparsity = 0.5 });
        var conv = all.Tensors.First(t => t.OpType == "CONV_2D");
        var options = new PruningOptions
        {
            TargetSparsity = 0.5,
            Rules =
            [
                PruningRule.Skip(opType: "depthwise_conv_2d"),
                new PruningRule { OpType = "CONV_2D", TargetSparsity = 0.8 },
                new PruningRule { TensorName = "^" + System.Text.RegularExpressions.Regex.Escape(conv.Name) + "$", TargetSparsity = 0.3 },
            ],
        };
        var result = MagnitudePruner.Prune(original, options);

        Assert.IsFalse(result.Tensors.Any(t => t.OpType == "DEPTHWISE_CONV_2D"), "depthwise weights are skipped");
        foreach (var t in result.Tensors)
        {
            var expected = t.Name == conv.Name ? 0.3 : 0.8;
            Assert.AreEqual(expected, t.SparsityAfter, 0.01, t.Name);
        }
        Assert.IsTrue(result.Tensors.Any(t => t.Name == conv.Name));
    }

    [TestMethod]
    public void MinElementsDecidesWhatIsTooSmall()
    {
        var original = FaceDetection.Value;
        var everything = MagnitudePruner.Prune(original, new PruningOptions { MinElements = 0 });
        var defaults = MagnitudePruner.Prune(original, new PruningOptions());

        Assert.IsGreaterThan(defaults.Tensors.Count, everything.Tensors.Count);
        Assert.IsTrue(everything.Tensors.Any(t => t.Elements < PruningOptions.DefaultMinElements));
        Assert.IsTrue(defaults.Tensors.All(t => t.Elements >= PruningOptions.DefaultMinElements));
    }

    [TestMethod]
    public void PruningIsDeterministic()
    {
        var original = FaceDetection.Value;
        var options = new PruningOptions { TargetSparsity = 0.6, Pattern = SparsityPattern.Block(1, 4) };
        var a = ModelWriter.ToBytes(MagnitudePruner.Prune(original, options).Model);
        var b = ModelWriter.ToBytes(MagnitudePruner.Prune(original, options).Model);
        CollectionAssert.AreEqual(a, b);
    }

    [TestMethod]
    public void BadOptionsAreCodedErrors()
    {
        var model = FaceDetection.Value;
        AssertInvalidOptions(() => MagnitudePruner.Prune(model, new PruningOptions { TargetSparsity = 1.0 }));
        AssertInvalidOptions(() => MagnitudePruner.Prune(model, new PruningOptions { TargetSparsity = double.NaN }));
        AssertInvalidOptions(() => MagnitudePruner.Prune(model, new PruningOptions { Rules = [new PruningRule { TensorName = "(" }] }));
        AssertInvalidOptions(() => SparsityPattern.Parse("block:0x4"));
        AssertInvalidOptions(() => SparsityPattern.Parse("4:2"));
        AssertInvalidOptions(() => SparsityPattern.Parse("diagonal"));
        Assert.AreEqual(SparsityPattern.Block(1, 4), SparsityPattern.Parse("block:1x4"));
        Assert.AreEqual(SparsityPattern.Block(4, 1), SparsityPattern.Parse("4x1"));
        Assert.AreEqual("2:4", SparsityPattern.Parse(" 2:4 ").ToString());
        Assert.AreEqual(SparsityPattern.Unstructured, SparsityPattern.Parse("Unstructured"));
    }

    private static void AssertInvalidOptions(Action action)
    {
        var e = Assert.ThrowsExactly<OptimizationException>(action);
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, e.Code);
    }

    private static int Stride(int[] shape, int axis)
    {
        var s = 1;
        for (var d = axis + 1; d < shape.Length; d++)
        {
            s *= shape[d];
        }
        return s;
    }

    private static int Coordinate(int index, int[] shape, int axis) => index / Stride(shape, axis) % shape[axis];
}
