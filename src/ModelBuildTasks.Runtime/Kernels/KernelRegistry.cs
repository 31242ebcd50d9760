using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels;

/// <summary>Builds the kernel of one operator; throws a coded error when the configuration is not supported.</summary>
internal delegate Kernel KernelFactory(KernelSetup setup);

/// <summary>
/// Maps (operator, element type of its first output) to a kernel factory. Resolution happens once per operator
/// while the model loads, so an operator or type the runtime lacks fails there with
/// <see cref="RuntimeErrorCodes.UnsupportedOperator"/>, never in the middle of a run. Integer kernels slot in as
/// further entries of the same operator with the int8/int16 key.
/// </summary>
internal sealed class KernelRegistry
{
    private readonly Dictionary<(BuiltinOperator Op, string? Custom, TensorType Type), KernelFactory> factories = [];

    /// <summary>Element types every data-movement kernel (reshape, concat, transpose …) handles.</summary>
    // Declared before Default: static fields initialize in order.
    public static readonly TensorType[] AnyFixedSizeType =
    [
        TensorType.FLOAT32, TensorType.INT32, TensorType.INT64, TensorType.INT8, TensorType.UINT8, TensorType.INT16,
        TensorType.BOOL, TensorType.FLOAT16,
    ];

    public static KernelRegistry Default { get; } = CreateDefault();

    public void Add(BuiltinOperator op, TensorType type, KernelFactory factory) => factories[(op, null, type)] = factory;

    public void Add(BuiltinOperator op, IEnumerable<TensorType> types, KernelFactory factory)
    {
        foreach (var type in types)
        {
            Add(op, type, factory);
        }
    }

    public void AddCustom(string name, TensorType type, KernelFactory factory) =>
        factories[(BuiltinOperator.CUSTOM, name, type)] = factory;

    /// <summary>Operators and custom codes with at least one kernel, for documentation and tests.</summary>
    public IEnumerable<(string Operator, TensorType Type)> Entries =>
        factories.Keys.Select(k => (k.Custom ?? k.Op.ToString(), k.Type)).OrderBy(e => e.Item1, StringComparer.Ordinal);

    public Kernel Create(KernelSetup setup)
    {
        var code = setup.Op.Code;
        var key = (code.Builtin, code.IsCustom ? code.CustomCode : null, KeyType(setup));
        if (!factories.TryGetValue(key, out var factory))
        {
            var known = factories.Keys.Any(k => k.Op == key.Builtin && k.Item2 == key.Item2);
            throw setup.Unsupported(known
                ? $"{code.DisplayName} has no kernel for output type {TensorTypes.Name(key.Item3)}"
                : $"operator {code.DisplayName} is not supported by the runtime");
        }
        return factory(setup);
    }

    private static TensorType KeyType(KernelSetup setup) =>
        setup.OutputCount > 0 && setup.OptionalOutputType() is { } t ? t : TensorType.FLOAT32;

    private static KernelRegistry CreateDefault()
    {
        var r = new KernelRegistry();
        Float32.Registrations.Register(r);
        Quantized.Registrations.Register(r);
        return r;
    }
}
