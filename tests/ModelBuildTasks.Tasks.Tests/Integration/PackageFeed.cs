using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Tasks.Tests.Integration;

/// <summary>
/// The ModelBuildTasks package, packed once per test run into a temporary feed with a version of its own, so no NuGet
/// cache can serve a stale build.
/// </summary>
internal static class PackageFeed
{
    private static readonly Lazy<(string Feed, string Version)> Packed = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Root of everything this run creates (deleted by <see cref="Cleanup"/>).</summary>
    public static string Root { get; } = Path.Combine(Path.GetTempPath(), "mbt-it-" + Guid.NewGuid().ToString("N")[..10]);

    public static string Feed => Packed.Value.Feed;

    public static string Version => Packed.Value.Version;

    /// <summary>The NuGet packages folder the test apps restore into (isolated from the machine's).</summary>
    public static string PackagesFolder => Path.Combine(Root, "packages");

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static (string, string) Pack()
    {
        // A letter first: an all-digit prerelease part with a leading zero is not a valid version.
        var version = "0.1.0-it.g" + Guid.NewGuid().ToString("N")[..8];
        var feed = Path.Combine(Root, "feed");
        var project = Path.Combine(RepoPaths.Root, "src", "ModelBuildTasks", "ModelBuildTasks.csproj");
        // The test project builds the package project (a ProjectReference), so packing needs no build: the package
        // holds exactly the assemblies these tests were compiled against, under a version no cache has seen.
        var result = DotnetCli.Run(RepoPaths.Root, TimeSpan.FromMinutes(5),
            "pack", project, "--no-build", "-c", Configuration, "-o", feed, "-p:PackageVersion=" + version, "-nodeReuse:false");
        if (result.ExitCode != 0 || !File.Exists(Path.Combine(feed, $"ModelBuildTasks.{version}.nupkg")))
        {
            throw new InvalidOperationException("dotnet pack failed: " + result);
        }

        return (feed, version);
    }

    public static void Cleanup()
    {
        try
        {
            if (Directory.Exists(Root))
            {
                Directory.Delete(Root, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
