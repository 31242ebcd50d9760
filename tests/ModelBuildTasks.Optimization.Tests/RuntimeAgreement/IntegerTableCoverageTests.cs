using System.Collections;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.FullInteger;
using ModelBuildTasks.Runtime;

namespace ModelBuildTasks.Optimization.Tests.RuntimeAgreement;

/// <summary>
/// Every op the quantizer may make int8 or int16 must have a runtime kernel for that type; otherwise the build
/// measures nothing: the runtime refuses the optimized model at load (as it did int16 SOFTMAX and integer REDUCE_MAX).
/// </summary>
[TestClass]
public sealed class IntegerTableCoverageTests
{
    [TestMethod]
    public void EveryOpInTheIntegerTablesHasARuntimeKernel()
    {
        var registered = RuntimeKernels();
        var missing = new List<string>();
        foreach (var op in Enum.GetValues<BuiltinOperator>())
        {
            foreach (var (kind, type) in new[] { (Kind.Int8, TensorType.INT8), (Kind.Int16, TensorType.INT16) })
            {
                if (IntegerKernels.Has(op, kind) && !registered.Contains((op.ToString(), type)))
                {
                    missing.Add($"{op} {type}");
                }
            }
        }
        Assert.IsEmpty(missing, "quantizer table entries without a runtime kernel: " + string.Join(", ", missing));
    }

    /// <summary>The runtime's (operator, output type) kernel keys, read from its registry (internal to the runtime).</summary>
    private static HashSet<(string, TensorType)> RuntimeKernels()
    {
        var registryType = typeof(ModelSession).Assembly.GetType("ModelBuildTasks.Runtime.Kernels.KernelRegistry", throwOnError: true)!;
        var registry = registryType.GetProperty("Default")!.GetValue(null)!;
        var entries = (IEnumerable)registryType.GetProperty("Entries")!.GetValue(registry)!;
        var keys = new HashSet<(string, TensorType)>();
        foreach (var entry in entries)
        {
            var (name, type) = ((string, TensorType))entry;
            keys.Add((name, type));
        }
        return keys;
    }
}
