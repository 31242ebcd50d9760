using BenchmarkDotNet.Running;
using ModelBuildTasks.Benchmarks;

// `profile MODEL …` times each operator type; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "profile")
{
    return OperatorProfile.Run(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
