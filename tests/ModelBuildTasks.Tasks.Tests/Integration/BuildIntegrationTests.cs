using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Tasks.Tests.Integration;

/// <summary>
/// Packs ModelBuildTasks once, then builds throw-away apps against it with <c>dotnet build</c> (each build costs
/// 10-40 s here, so these tests are few and each checks several things).
/// </summary>
[TestClass]
public sealed class BuildIntegrationTests
{
    private const string Small = "face_detection_short_range";
    private const string Second = "selfie_segmentation";
    private const string Auto = "small_auto";
    private const string OptimizeSkipped = "Skipping target \"ModelBuildTasksOptimize\" because all output files are up-to-date";

    [ClassCleanup]
    public static void Cleanup() => PackageFeed.Cleanup();

    [TestMethod]
    public void BuildOptimizesDeploysAndIsIncremental()
    {
        var app = new TestApp("incremental", $"""
                <ModelItem Include="models/{Small}.tflite" Optimization="none" RepresentativeData="data" />
                <ModelItem Include="models/{Second}.tflite" Optimization="none" Deploy="embed" />
                <ModelItem Include="models/{Auto}.tflite" Optimization="auto" MinCosine="0.99" Report="html" />
            """);
        app.Add(Corpus.GetPath(Small), $"models/{Small}.tflite");
        app.Add(Corpus.GetPath(Second), $"models/{Second}.tflite");
        app.Add(Corpus.GetPath(Small), $"models/{Auto}.tflite");
        // The app calls the generated wrapper of the copied model on an input file and writes its outputs.
        File.WriteAllText(Path.Combine(app.Directory, "Program.cs"), """
            using System;
            using System.Runtime.InteropServices;
            if (args.Length == 2)
            {
                var input = MemoryMarshal.Cast<byte, float>(System.IO.File.ReadAllBytes(args[0])).ToArray();
                using var model = App.FaceDetectionShortRange.Create();
                var outputs = model.Predict(new App.FaceDetectionShortRange.Inputs { Input = input });
                System.IO.File.WriteAllBytes(System.IO.Path.Combine(args[1], "regressors.bin"), MemoryMarshal.AsBytes(outputs.Regressors.AsSpan()).ToArray());
                System.IO.File.WriteAllBytes(System.IO.Path.Combine(args[1], "classificators.bin"), MemoryMarshal.AsBytes(outputs.Classificators.AsSpan()).ToArray());
            }
            System.Console.WriteLine("app");
            """);
        var sample = Path.Combine(app.Directory, "data", "0.npy");
        Directory.CreateDirectory(Path.GetDirectoryName(sample)!);
        File.WriteAllBytes(sample, [1, 2, 3]);

        // First build: every model optimized, outputs in obj/, the copy deployed, the other embedded.
        var first = app.Build();
        Assert.AreEqual(0, first.ExitCode, first.ToString());
        CollectionAssert.AreEquivalent(new[] { Small, Second, Auto }, TestApp.SummaryLines(first).ToList(), first.Output);
        foreach (var name in new[] { Small, Second, Auto })
        {
            foreach (var suffix in new[] { ".tflite", ".report.json", ".modelcard.json", ".stamp" })
            {
                Assert.IsTrue(File.Exists(Path.Combine(app.ModelsDir, name + suffix)), name + suffix);
            }
        }

        var deployed = Path.Combine(app.OutputDir, Small + ".tflite");
        Assert.AreEqual(Oracle.Info(Corpus.GetPath(Small)).Inputs.Single().ShapeText, Oracle.Info(deployed).Inputs.Single().ShapeText);
        Assert.IsNotNull(Oracle.RunSeeded(Path.Combine(app.ModelsDir, Second + ".tflite"), seed: 3));
        Assert.IsFalse(File.Exists(Path.Combine(app.OutputDir, Second + ".tflite")), "an embedded model is not copied");
        var assembly = File.ReadAllBytes(Path.Combine(app.OutputDir, "App.dll"));
        Assert.IsGreaterThan(new FileInfo(Path.Combine(app.ModelsDir, Second + ".tflite")).Length, (long)assembly.Length, "the model is embedded");
        Assert.Contains("ModelBuildTasks.Models." + Second + ".tflite", System.Text.Encoding.UTF8.GetString(assembly));
        var card = ModelCardJson.ReadFile(Path.Combine(app.ModelsDir, Small + ".modelcard.json"));
        Assert.AreEqual(app.ProjectFile, card.Item.ProjectFile);
        Assert.AreEqual(app.LineOf($"models/{Small}.tflite"), card.Item.Line);
        Assert.AreEqual(5, card.Item.Column);
        StringAssert.Contains(first.Output, "/additionalfile:" + Path.Combine(app.ModelsDir, Small + ".modelcard.json"));

        // The generated wrapper, called by the built app, gives LiteRT's outputs for the deployed model.
        var pixels = SeededInputs.Floats(7, 128 * 128 * 3);
        var inputFile = Path.Combine(app.Directory, "input.bin");
        File.WriteAllBytes(inputFile, System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray());
        var run = DotnetCli.Run(app.Directory, TimeSpan.FromMinutes(2), Path.Combine(app.OutputDir, "App.dll"), inputFile, app.Directory);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var oracle = Oracle.Run(deployed, [File.ReadAllBytes(inputFile)]);
        foreach (var name in new[] { "regressors", "classificators" })
        {
            var expected = oracle[name].AsFloats();
            var actual = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(app.Directory, name + ".bin"))).ToArray();
            Assert.HasCount(expected.Length, actual, name);
            var scale = expected.Max(Math.Abs);
            var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.IsLessThanOrEqualTo(3e-4 * scale + 1e-6, worst, $"{name}: wrapper vs LiteRT, worst {worst} of max {scale}");
        }

        // The auto item: the search's choice is the model (it runs in LiteRT), pinned by a recipe, and reported in
        // report.json and report.html; the card names the chosen scheme.
        string AutoOutput(string suffix) => Path.Combine(app.ModelsDir, Auto + suffix);
        StringAssert.Matches(first.Output, new System.Text.RegularExpressions.Regex($@"ModelBuildTasks: {Auto}: auto chose \S+"));
        var recipe = ModelBuildTasks.Optimization.Auto.AutoRecipe.Parse(File.ReadAllText(AutoOutput(".recipe.json")));
        var autoCard = ModelCardJson.ReadFile(AutoOutput(".modelcard.json"));
        Assert.AreEqual(ModelBuildTasks.Optimization.Auto.AutoConfig.SchemeName(recipe.Scheme), autoCard.Optimization);
        Assert.IsTrue(autoCard.Metrics!.MinCosine >= 0.99);
        var autoReport = ModelBuildTasks.Optimization.Reporting.Report.OptimizationReport.FromJson(File.ReadAllText(AutoOutput(".report.json")));
        Assert.AreEqual("auto", autoReport.Settings.Optimization);
        Assert.IsNotEmpty(autoReport.Auto!.Trail);
        Assert.AreEqual(new FileInfo(AutoOutput(".tflite")).Length, autoReport.Output.Bytes);
        StringAssert.Contains(File.ReadAllText(AutoOutput(".report.html")), "<svg");
        Assert.IsFalse(File.Exists(Path.Combine(app.ModelsDir, Small + ".report.html")), "html only where Report=html");
        Assert.IsNotNull(Oracle.RunSeeded(AutoOutput(".tflite"), seed: 5));
        var autoTime = File.GetLastWriteTimeUtc(AutoOutput(".tflite"));

        // Second build: nothing changed, the optimize target is skipped and outputs keep their timestamps.
        var optimizedTime = File.GetLastWriteTimeUtc(Path.Combine(app.ModelsDir, Small + ".tflite"));
        var second = app.Build();
        Assert.AreEqual(0, second.ExitCode, second.ToString());
        StringAssert.Contains(second.Output, OptimizeSkipped);
        Assert.IsEmpty(TestApp.SummaryLines(second));
        Assert.AreEqual(optimizedTime, File.GetLastWriteTimeUtc(Path.Combine(app.ModelsDir, Small + ".tflite")));
        Assert.AreEqual(autoTime, File.GetLastWriteTimeUtc(AutoOutput(".tflite")), "an unchanged auto item does not search again");

        // Touching the data re-runs just the item that uses it.
        File.SetLastWriteTimeUtc(sample, DateTime.UtcNow.AddSeconds(2));
        var third = app.Build();
        Assert.AreEqual(0, third.ExitCode, third.ToString());
        CollectionAssert.AreEqual(new[] { Small }, TestApp.SummaryLines(third).ToList(), third.Output);

        // dotnet clean removes every output.
        var clean = DotnetCli.Run(app.Directory, TimeSpan.FromMinutes(3), "clean", app.ProjectFile, "-nodeReuse:false");
        Assert.AreEqual(0, clean.ExitCode, clean.ToString());
        Assert.IsEmpty(Directory.GetFiles(app.ModelsDir));
    }

    [TestMethod]
    public void MissedBudgetAndMalformedMetadataFailAtTheItemsLine()
    {
        var app = new TestApp("diagnostics", $"""
                <ModelItem Include="models/{Small}.tflite" Optimization="none" MaxSize="100KB" />
                <ModelItem Include="models/{Second}.tflite"
                           Optimization="none" MaxSize="2XB" Optimisation="float16" />
            """);
        app.Add(Corpus.GetPath(Small), $"models/{Small}.tflite");
        app.Add(Corpus.GetPath(Second), $"models/{Second}.tflite");
        var result = app.Build();
        Assert.AreNotEqual(0, result.ExitCode, result.ToString());

        var budgetLine = app.LineOf($"models/{Small}.tflite");
        var badLine = app.LineOf($"models/{Second}.tflite");
        // In a C# project the generator's analyzer reports budgets (at the item, from the model card), not the task.
        StringAssert.Contains(result.Output, $"{app.ProjectFile}({budgetLine},5): error MBT3001: ");
        Assert.DoesNotContain("ModelBuildTasksCheckBudgets:", result.Output);
        StringAssert.Contains(result.Output, $"{app.ProjectFile}({badLine},5): error MBT4003: models/{Second}.tflite: MaxSize=\"2XB\" is not a size");
        StringAssert.Contains(result.Output, $"{app.ProjectFile}({badLine},5): error MBT4001: models/{Second}.tflite: unknown ModelItem metadata 'Optimisation' (did you mean 'Optimization'?)");
        Assert.IsFalse(File.Exists(Path.Combine(app.ModelsDir, Second + ".tflite")), "an item with bad metadata is not optimized");
    }

    [TestMethod]
    public void PackageHasCompleteMetadataAndDebuggableDeterministicAssemblies()
    {
        using var package = ZipFile.OpenRead(Path.Combine(PackageFeed.Feed, $"ModelBuildTasks.{PackageFeed.Version}.nupkg"));
        var nuspecEntry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        XDocument nuspec;
        using (var stream = nuspecEntry.Open())
        {
            nuspec = XDocument.Load(stream);
        }

        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        Assert.AreEqual("ModelBuildTasks", Field("id"));
        Assert.AreEqual("Apache-2.0", Field("license"));
        Assert.AreEqual("README.md", Field("readme"));
        Assert.IsFalse(string.IsNullOrWhiteSpace(Field("description")));
        Assert.IsNotNull(package.GetEntry("README.md"), "the readme is packed");

        // The repository element names the commit the package was built from (and its URL when the clone has a remote).
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.AreEqual("git", repository.Attribute("type")?.Value);
        if (Directory.Exists(Path.Combine(RepoPaths.Root, ".git")))
        {
            var head = DotnetCli.RunTool(RepoPaths.Root, TimeSpan.FromMinutes(1), "git", "rev-parse", "HEAD");
            Assert.AreEqual(head.Output.Trim(), repository.Attribute("commit")?.Value);
        }

        // Every assembly of ours is deterministic and carries its PDB (with SourceLink when the remote is known).
        var ours = package.Entries
            .Where(e => e.Name.StartsWith("ModelBuildTasks.", StringComparison.Ordinal) && e.Name.EndsWith(".dll", StringComparison.Ordinal))
            .ToList();
        Assert.HasCount(7, ours, string.Join(", ", ours.Select(e => e.FullName)));
        foreach (var entry in ours)
        {
            using var buffer = new MemoryStream();
            using (var stream = entry.Open())
            {
                stream.CopyTo(buffer);
            }

            buffer.Position = 0;
            using var pe = new PEReader(buffer);
            var debug = pe.ReadDebugDirectory();
            Assert.IsTrue(debug.Any(d => d.Type == DebugDirectoryEntryType.Reproducible), entry.FullName + " is not deterministic");
            Assert.IsTrue(debug.Any(d => d.Type == DebugDirectoryEntryType.EmbeddedPortablePdb), entry.FullName + " has no embedded PDB");
        }
    }
}
