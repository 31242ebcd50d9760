using System.Diagnostics;
using System.Globalization;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Benchmarks;

/// <summary>
/// `profile MODEL [--threads N] [--runs N] [--top N] [--int16]`: time of each operator type in the managed runtime, as the sum over the
/// model's operators of each one's fastest run (so a busy machine disturbs it less than whole-run medians).
/// Inputs are seeded values in [0, 1), as `mbt bench` feeds. --top also lists the N slowest single operators;
/// --int16 makes the 8-bit GEMM kernels use the int16 pmaddwd path instead of VNNI, for a comparison in one process.
/// </summary>
internal static class OperatorProfile
{
    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: profile MODEL [--threads N] [--runs N] [--top N] [--int16]");
            return 1;
        }
        var threads = Option(args, "--threads", 1);
        var runs = Option(args, "--runs", 40);
        var top = Option(args, "--top", 0);
        ModelSession session;
        using (args.Contains("--int16") ? Int8DotPaths.Force(Int8DotPath.Int16Pairs) : null)
        {
            session = ModelSession.Load(args[0], new SessionOptions { Threads = threads });
        }
        using var owned = session;
        var random = new Random(12345);
        for (var i = 0; i < session.Inputs.Count; i++)
        {
            if (session.Inputs[i].Type == Model.Schema.TensorType.FLOAT32)
            {
                var values = session.GetInput<float>(i);
                for (var j = 0; j < values.Length; j++)
                {
                    values[j] = random.NextSingle();
                }
            }
        }
        for (var w = 0; w < 5; w++)
        {
            session.Run();
        }
        var timer = new Timer();
        session.Observer = timer;
        for (var r = 0; r < runs; r++)
        {
            timer.Last = Stopwatch.GetTimestamp();
            session.Run();
        }
        var byType = new Dictionary<string, (double Ticks, int Count, long Macs)>();
        foreach (var (position, ticks) in timer.Fastest)
        {
            var key = timer.Names[position];
            var sum = byType.GetValueOrDefault(key);
            byType[key] = (sum.Ticks + ticks, sum.Count + 1, sum.Macs + session.Model.Steps[position].Kernel.MultiplyAccumulates);
        }
        var total = byType.Values.Sum(v => v.Ticks);
        var ms = 1000.0 / Stopwatch.Frequency;
        foreach (var (name, (ticks, count, macs)) in byType.OrderByDescending(p => p.Value.Ticks))
        {
            // 2 operations per multiply-accumulate: GFLOP/s for float kernels, GOP/s for integer ones.
            var rate = macs > 0 ? string.Create(CultureInfo.InvariantCulture, $"  {macs / 1e6,7:F1} MMAC  {2 * macs / (ticks * ms * 1e6),6:F1} G(FL)OP/s") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} {ticks * ms,9:F3} ms {100 * ticks / total,6:F1} %  ×{count}{rate}"));
        }
        foreach (var (position, ticks) in timer.Fastest.OrderByDescending(p => p.Value).Take(top))
        {
            var macs = session.Model.Steps[position].Kernel.MultiplyAccumulates;
            var shape = string.Join('x', timer.Shapes[position]);
            var rate = macs > 0 ? string.Create(CultureInfo.InvariantCulture, $"  {macs / 1e6,7:F2} MMAC  {2 * macs / (ticks * ms * 1e6),6:F1} G(FL)OP/s") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  #{position,-4} {timer.Names[position],-28} {shape,-16} {ticks * ms,8:F3} ms{rate}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sum of fastest runs {total * ms:F3} ms, {session.Model.MultiplyAccumulates / 1e6:F1} MMAC, {threads} thread(s), {runs} runs"));
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed class Timer : IOperatorObserver
    {
        public long Last;
        public readonly Dictionary<int, long> Fastest = [];
        public readonly Dictionary<int, string> Names = [];
        public readonly Dictionary<int, int[]> Shapes = [];

        public void OnOperatorExecuted(in ObservedOperator op)
        {
            var ticks = Stopwatch.GetTimestamp() - Last;
            var output = op.GetOutputDescriptor(0);
            Names[op.Position] = $"{op.Code} {output?.Type}";
            Shapes[op.Position] = output is null ? [] : output.Shape.ToArray();
            Fastest[op.Position] = Fastest.TryGetValue(op.Position, out var best) ? Math.Min(best, ticks) : ticks;
            Last = Stopwatch.GetTimestamp();
        }
    }
}
