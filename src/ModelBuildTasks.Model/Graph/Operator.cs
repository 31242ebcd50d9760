using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Model;

/// <summary>What an operator is: a builtin operator or a custom one (by name), and its version.</summary>
public readonly record struct OperatorCode(BuiltinOperator Builtin, string? CustomCode = null, int Version = 1)
{
    public bool IsCustom => Builtin == BuiltinOperator.CUSTOM;

    /// <summary>The op's display name: the builtin's enum name, or the custom code.</summary>
    public string DisplayName => IsCustom ? CustomCode ?? "CUSTOM" : Builtin.ToString();

    public override string ToString() => Version == 1 ? DisplayName : $"{DisplayName} v{Version}";
}

/// <summary>
/// One operator of a subgraph. Inputs and outputs point at tensors of the same subgraph; a null input is
/// an omitted optional input (index -1 in the file).
/// </summary>
public sealed class Operator
{
    public Operator(OperatorCode code)
    {
        Code = code;
    }

    public OperatorCode Code { get; set; }

    public List<Tensor?> Inputs { get; } = [];

    public List<Tensor?> Outputs { get; } = [];

    /// <summary>Intermediate tensors some ops record (e.g. LSTM statistics for quantization).</summary>
    public List<Tensor> Intermediates { get; } = [];

    /// <summary>Builtin options table (Conv2DOptionsT, …), as the format defines it; null when the op has none.</summary>
    public BuiltinOptionsUnion? Options { get; set; }

    /// <summary>Second builtin options union (newer ops such as StableHLO ones).</summary>
    public BuiltinOptions2Union? Options2 { get; set; }

    /// <summary>Opaque options of custom ops (usually FlexBuffers).</summary>
    public ReadOnlyMemory<byte> CustomOptions { get; set; }

    public CustomOptionsFormat CustomOptionsFormat { get; set; }

    public bool[]? MutatingVariableInputs { get; set; }

    public int DebugMetadataIndex { get; set; } = -1;

    /// <summary>The options as a given table type, e.g. <c>op.OptionsAs&lt;Conv2DOptionsT&gt;()</c>.</summary>
    public T? OptionsAs<T>() where T : class => Options?.Value as T;

    public override string ToString() => Code.ToString();
}
