using System.Text.RegularExpressions;

namespace ModelBuildTasks.Tasks.Tests.Integration;

/// <summary>A throw-away console app that references the packed ModelBuildTasks exactly as a user's app would.</summary>
internal sealed class TestApp
{
    public TestApp(string name, string modelItems)
    {
        Directory = Path.Combine(PackageFeed.Root, "apps", name);
        System.IO.Directory.CreateDirectory(Directory);
        // The machine's NuGet cache is offered as a plain folder feed for the package's own dependencies; the packages
        // folder is private to this run, so the freshly packed ModelBuildTasks is what gets restored.
        var machineCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(Directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{PackageFeed.PackagesFolder}" /></config>
              <packageSources>
                <add key="modelbuildtasks-under-test" value="{PackageFeed.Feed}" />
                <add key="machine-cache" value="{machineCache}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(Directory, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Directory, "Program.cs"), "System.Console.WriteLine(\"app\");\n");
        ProjectFile = Path.Combine(Directory, "App.csproj");
        File.WriteAllText(ProjectFile, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ModelBuildTasks" Version="{PackageFeed.Version}" />
              </ItemGroup>
              <ItemGroup>
            {modelItems}
              </ItemGroup>
            </Project>
            """);
    }

    public string Directory { get; }

    public string ProjectFile { get; }

    public string ModelsDir => Path.Combine(Directory, "obj", "Debug", "net10.0", "models");

    public string OutputDir => Path.Combine(Directory, "bin", "Debug", "net10.0");

    /// <summary>Copies a file into the app folder.</summary>
    public string Add(string source, string relative)
    {
        var target = Path.Combine(Directory, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: true);
        return target;
    }

    /// <summary>The 1-based line of the first line of the project file that contains <paramref name="text"/>.</summary>
    public int LineOf(string text) => Array.FindIndex(File.ReadAllLines(ProjectFile), l => l.Contains(text, StringComparison.Ordinal)) + 1;

    public DotnetResult Build(params string[] extra) =>
        DotnetCli.Run(Directory, TimeSpan.FromMinutes(6), ["build", ProjectFile, "-v:n", "-nodeReuse:false", .. extra]);

    /// <summary>The summary lines the optimize task logged (one per optimized model).</summary>
    public static IReadOnlyList<string> SummaryLines(DotnetResult result) =>
        Regex.Matches(result.Output, @"ModelBuildTasks: (\S+): .* -> .*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct().ToList();
}
