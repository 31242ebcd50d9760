using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Graph;
using ModelBuildTasks.Optimization.Quantization;

namespace ModelBuildTasks.Optimization.Tests.Pruning;

/// <summary>
/// Test input: turns a float16 + DEQUANTIZE model (the MediaPipe corpus form) into int8 + DEQUANTIZE, per-channel
/// symmetric (zero point 0) or per-tensor with a chosen non-zero zero point, so pruning and sparse encoding of int8
/// weights can be checked on a real network. Works on a model the caller owns.
/// </summary>
internal static class Int8Weights
{
    public static ModelGraph Convert(ModelGraph model, int? zeroPoint = null)
    {
        var sg = model.Main;
        foreach (var dequantize in sg.Operators.Where(o => o.Code.Builtin == BuiltinOperator.DEQUANTIZE).ToList())
        {
            var t = dequantize.Inputs[0]!;
            if (t.Type != TensorType.FLOAT16 || !t.IsConstant || t.Shape.Length != 4)
            {
                continue;
            }
            var reader = sg.Operators.First(o => o.Inputs.Contains(dequantize.Outputs[0]));
            var axis = reader.Code.Builtin == BuiltinOperator.DEPTHWISE_CONV_2D ? 3 : 0;
            var values = MemoryMarshal.Cast<byte, float>(Float16.ToFloat32(t.Data.Span)).ToArray();
            if (zeroPoint is { } zp)
            {
                // Per tensor, asymmetric: q = round(w / s) + zp with s chosen so the range fits.
                var maxAbs = values.Max(Math.Abs);
                var scale = maxAbs / (127 - Math.Abs(zp));
                var codes = values.Select(w => unchecked((byte)(sbyte)Math.Clamp(MathF.Round(w / scale) + zp, -128, 127))).ToArray();
                t.Data = codes;
                t.Quantization = TensorQuantization.PerTensor(scale, zp);
            }
            else
            {
                var q = SymmetricQuantizer.PerChannel(values, t.Shape, axis);
                t.Data = MemoryMarshal.AsBytes(q.Values.AsSpan()).ToArray();
                t.Quantization = TensorQuantization.PerAxis(q.Scales, new long[q.Scales.Length], axis);
            }
            t.Type = TensorType.INT8;
            OperatorVersions.Update(dequantize);
        }
        return model;
    }
}
