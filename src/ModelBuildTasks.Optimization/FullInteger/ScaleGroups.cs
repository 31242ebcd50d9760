using System.Runtime.InteropServices;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Optimization.Calibration;

namespace ModelBuildTasks.Optimization.FullInteger;

/// <summary>
/// Quantization parameters of every float tensor that integer ops touch. Tensors tied by same-scale ops (concat,
/// reshape, pooling, padding …) form one group (union-find) whose range is the union of its members' ranges, so the
/// tied tensors get identical parameters; a fixed-output op (logistic, softmax, tanh) in a group fixes them.
/// </summary>
internal sealed class ScaleGroups
{
    private readonly Dictionary<Tensor, Tensor> _parent = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, TensorRange> _range = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, BuiltinOperator> _fixed = new(ReferenceEqualityComparer.Instance);

    public ScaleGroups(IReadOnlyDictionary<Tensor, TensorRange> calibrated)
    {
        foreach (var (t, r) in calibrated)
        {
            _range[t] = r;
        }
    }

    /// <summary>True when the tensor has a range (calibrated, or computed from constant data).</summary>
    public bool HasRange(Tensor t) => t.IsConstant || _range.ContainsKey(t);

    public void Union(Tensor a, Tensor b)
    {
        var ra = Find(a);
        var rb = Find(b);
        if (ReferenceEquals(ra, rb))
        {
            return;
        }
        _parent[rb] = ra;
        if (RangeOf(rb) is { } r)
        {
            _range[ra] = RangeOf(ra) is { } q ? q.Union(r) : r;
        }
        if (_fixed.TryGetValue(rb, out var f) && !_fixed.ContainsKey(ra))
        {
            _fixed[ra] = f;
        }
    }

    /// <summary>Marks <paramref name="t"/> as the output of a fixed-scale op.</summary>
    public void Fix(Tensor t, BuiltinOperator op)
    {
        var root = Find(t);
        _fixed.TryAdd(root, op);
    }

    /// <summary>The quantization of <paramref name="t"/> as <paramref name="kind"/>.</summary>
    public TensorQuantization Params(Tensor t, Kind kind)
    {
        var root = Find(t);
        var integer = kind == Kind.UInt8 ? Kind.Int8 : kind;
        if (_fixed.TryGetValue(root, out var op) && IntegerKernels.FixedOutput(op, integer) is { } f)
        {
            return TensorQuantization.PerTensor(f.Scale, f.ZeroPoint + (kind == Kind.UInt8 ? 128 : 0));
        }
        var range = RangeOf(root) ?? new TensorRange(0, 1);
        return kind switch
        {
            Kind.Int16 => Symmetric(range),
            Kind.UInt8 => Asymmetric(range, 128),
            _ => Asymmetric(range, 0),
        };
    }

    /// <summary>int8 asymmetric: the range widened to include 0, scale = (max − min) / 255, zero point nudged to an integer.</summary>
    public static TensorQuantization Asymmetric(TensorRange range, long zeroPointShift)
    {
        var lo = MathF.Min(range.Min, 0);
        var hi = MathF.Max(range.Max, 0);
        if (!(hi - lo > 1e-9f) || !float.IsFinite(hi - lo))
        {
            lo = 0;
            hi = float.IsFinite(hi - lo) ? 1 : float.MaxValue / 256;
        }
        var scale = (hi - lo) / 255f;
        var zeroPoint = (long)Math.Clamp(Math.Round(-128 - lo / (double)scale, MidpointRounding.AwayFromZero), -128, 127);
        return TensorQuantization.PerTensor(scale, zeroPoint + zeroPointShift);
    }

    /// <summary>int16 symmetric: zero point 0, scale = max|x| / 32767.</summary>
    public static TensorQuantization Symmetric(TensorRange range)
    {
        var m = MathF.Max(MathF.Abs(range.Min), MathF.Abs(range.Max));
        if (!(m > 1e-9f) || !float.IsFinite(m))
        {
            m = 1;
        }
        return TensorQuantization.PerTensor(m / 32767f, 0);
    }

    private TensorRange? RangeOf(Tensor t)
    {
        if (_range.TryGetValue(t, out var r))
        {
            return r;
        }
        if (t is { IsConstant: true, Type: TensorType.FLOAT32 } && t.Data.Length >= 4)
        {
            var values = MemoryMarshal.Cast<byte, float>(t.Data.Span);
            var c = new TensorRange(System.Numerics.Tensors.TensorPrimitives.Min(values), System.Numerics.Tensors.TensorPrimitives.Max(values));
            _range[t] = c;
            return c;
        }
        return null;
    }

    private Tensor Find(Tensor t)
    {
        while (_parent.TryGetValue(t, out var p) && !ReferenceEquals(p, t))
        {
            if (_parent.TryGetValue(p, out var gp))
            {
                _parent[t] = gp; // path halving
            }
            t = p;
        }
        return t;
    }
}
