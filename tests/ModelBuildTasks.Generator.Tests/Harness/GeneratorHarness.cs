using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelBuildTasks.Generator.Budgets;

namespace ModelBuildTasks.Generator.Tests.Harness;

/// <summary>
/// Runs the generator and the analyzer the way the compiler does (CSharpGeneratorDriver, CompilationWithAnalyzers)
/// on an app compilation that references the ModelBuildTasks runtime, with nullable on and every warning an error.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>The language version wrappers must compile with (the generator promises C# 9 syntax at most).</summary>
    public static readonly CSharpParseOptions ParseOptions =
        new(LanguageVersion.CSharp9, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static CSharpCompilation CreateCompilation(params string[] sources) => CSharpCompilation.Create(
        "TestApp",
        sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
        References,
        new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            generalDiagnosticOption: ReportDiagnostic.Error,
            warningLevel: 9999,
            deterministic: true));

    public static GeneratorDriver CreateDriver(IEnumerable<CardFile> cards, string? rootNamespace = "TestApp")
    {
        var (texts, provider) = Options.For(cards, rootNamespace);
        return CreateDriver(texts, provider);
    }

    public static GeneratorDriver CreateDriver(ImmutableArray<AdditionalText> texts, TestOptionsProvider provider) =>
        CSharpGeneratorDriver.Create(
            [new ModelWrapperGenerator().AsSourceGenerator()],
            texts,
            ParseOptions,
            provider,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Generates wrappers for <paramref name="cards"/> into a compilation of <paramref name="sources"/>.</summary>
    public static GeneratorResult Generate(IEnumerable<CardFile> cards, string? rootNamespace = "TestApp", params string[] sources)
    {
        var compilation = CreateCompilation(sources);
        var driver = CreateDriver(cards, rootNamespace)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorResult(driver, output, generatorDiagnostics, driver.GetRunResult().Results.Single());
    }

    /// <summary>Diagnostics of the budget analyzer on an (empty) app with these cards.</summary>
    public static ImmutableArray<Diagnostic> Analyze(
        IEnumerable<CardFile> cards, bool withRuntime = true, IReadOnlyDictionary<string, string>? buildProperties = null)
    {
        var (texts, provider) = Options.For(cards, "TestApp", buildProperties);
        var compilation = CreateCompilation("namespace TestApp { internal static class Empty { } }");
        if (!withRuntime)
        {
            compilation = compilation.RemoveReferences(References.Where(r => r.Display!.EndsWith("ModelBuildTasks.Runtime.dll", StringComparison.Ordinal)));
        }
        var withAnalyzers = compilation.WithAnalyzers(
            [new BudgetAnalyzer()],
            new AnalyzerOptions(texts, provider));
        return withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    }

    /// <summary>Compiler diagnostics at warning level or above (all of them errors here), as text for assertion messages.</summary>
    public static string[] Problems(Compilation compilation) => compilation.GetDiagnostics()
        .Where(d => d.Severity >= DiagnosticSeverity.Warning)
        .Select(d => d.ToString())
        .ToArray();

    /// <summary>Emits the compilation into memory (with optional manifest resources) and loads it.</summary>
    public static Assembly EmitAndLoad(Compilation compilation, IEnumerable<ResourceDescription>? resources = null)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream, manifestResources: resources);
        if (!result.Success)
        {
            throw new AssertFailedException("Emit failed:\n" + string.Join("\n", result.Diagnostics));
        }
        return Assembly.Load(stream.ToArray());
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll");
        var ours = new[]
        {
            typeof(ModelBuildTasks.Runtime.ModelSession).Assembly.Location,
            typeof(ModelBuildTasks.Model.ModelGraph).Assembly.Location,
        };
        return platform.Concat(ours).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }
}

/// <summary>A generator run: the driver (for incremental re-runs), the updated compilation and what was generated.</summary>
internal sealed record GeneratorResult(
    GeneratorDriver Driver,
    Compilation Compilation,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    GeneratorRunResult Run)
{
    public string Source(string hintName) =>
        Run.GeneratedSources.SingleOrDefault(s => s.HintName == hintName).SourceText?.ToString()
        ?? throw new AssertFailedException($"No generated source '{hintName}'; generated: {string.Join(", ", Run.GeneratedSources.Select(s => s.HintName))}");
}
