using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Tests.Ops;

namespace ModelBuildTasks.Runtime.Tests.Session;

/// <summary>Small hand-made models whose results a test can compute by hand.</summary>
internal static class TinyModels
{
    public static readonly float[] Offsets = [1f, -2f, 0.5f, 4f];

    /// <summary>t = x + [1, -2, 0.5, 4]; y = t · t. x and y are [1, 4]; t is an intermediate.</summary>
    public static ModelGraph AddThenSquare()
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 4]);
        var y = m.Output([1, 4]);
        var t = m.Intermediate([1, 4]);
        m.Op(BuiltinOperator.ADD, BuiltinOptionsUnion.FromAddOptions(new AddOptionsT()), [x, m.Const([4], Offsets)], t);
        m.Op(BuiltinOperator.MUL, BuiltinOptionsUnion.FromMulOptions(new MulOptionsT()), [t, t], y);
        return m.Graph;
    }

    /// <summary>x → an operator the runtime does not have (operator index 1) → y.</summary>
    public static ModelGraph WithUnsupported(OperatorCode code)
    {
        var m = new SingleOpModel();
        var x = m.Input([1, 4]);
        var t = m.Intermediate([1, 4]);
        var y = m.Output([1, 4]);
        m.Op(BuiltinOperator.RELU, null, [x], t);
        m.Op(code, null, [t], y);
        return m.Graph;
    }
}
