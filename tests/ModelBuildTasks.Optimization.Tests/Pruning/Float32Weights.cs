using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Quantization;

namespace ModelBuildTasks.Optimization.Tests.Pruning;

/// <summary>
/// Test input: turns a float16 + DEQUANTIZE model (the MediaPipe corpus form) into a plain float32 model (weights read
/// directly by the operators), so pruning and sparse encoding of float32 weights can be checked on a real network.
/// </summary>
internal static class Float32Weights
{
    public static ModelGraph Convert(ModelGraph model)
    {
        var sg = model.Main;
        var editor = new SubgraphEditor(model, sg);
        foreach (var dequantize in sg.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DEQUANTIZE).ToList())
        {
            var t = dequantize.Inputs[0]!;
            if (t.Type != TensorType.FLOAT16 || !t.IsConstant || t.Sparsity is not null)
            {
                continue;
            }
            t.Data = Float16.ToFloat32(t.Data.Span);
            t.Type = TensorType.FLOAT32;
            editor.ReplaceUses(dequantize.Outputs[0]!, t);
            editor.RemoveOperator(dequantize);
        }
        editor.Commit();
        return model;
    }
}
