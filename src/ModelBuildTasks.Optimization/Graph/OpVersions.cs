using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Optimization.OpVersions;

/// <summary>
/// Sets an operator's version the way the TFLite converter does, from its builtin code and its tensors' types:
/// older runtimes refuse ops whose version they do not know, and newer kernels (int8 per-channel, float16 inputs)
/// need the version that announces them.
/// </summary>
public static class OperatorVersions
{
    /// <summary>Sets <paramref name="op"/>'s version from its code and the types of its tensors.</summary>
    public static void Update(Operator op)
    {
        op.Code = op.Code with { Version = VersionOf(op) };
    }

    /// <summary>The version the converter would write for <paramref name="op"/>.</summary>
    public static int VersionOf(Operator op)
    {
        var input = op.Inputs.Count > 0 ? op.Inputs[0] : null;
        return op.Code.Builtin switch
        {
            // DEQUANTIZE: v2 int8 input, v3 float16 or int16 input, v4 per-channel int8.
            BuiltinOperator.DEQUANTIZE => input?.Type switch
            {
                TensorType.FLOAT16 or TensorType.INT16 => 3,
                TensorType.INT8 when input.Quantization is { Scale.Length: > 1 } => 4,
                TensorType.INT8 => 2,
                _ => 1,
            },
            _ => op.Code.Version,
        };
    }
}
