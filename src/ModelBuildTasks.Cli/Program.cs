using ModelBuildTasks.Cli;

return MbtCommandLine.Run(args, Console.Out, Console.Error);
