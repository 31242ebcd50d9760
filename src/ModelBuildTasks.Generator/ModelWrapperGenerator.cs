using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using ModelBuildTasks.Generator.Cards;
using ModelBuildTasks.Generator.Emit;
using ModelBuildTasks.Generator.Naming;

namespace ModelBuildTasks.Generator;

/// <summary>
/// Emits a typed wrapper class per model card (docs/model-card.md) whose generateWrapper is true. Cards that cannot
/// be read produce nothing here: the <see cref="Budgets.BudgetAnalyzer"/> reports them (MBT3010), so every
/// diagnostic appears once and also in the IDE.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelWrapperGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps (tests check that they are cached on unrelated edits).</summary>
    public const string CardsStep = "ModelCards";

    /// <summary>Tracking name of the per-model wrapper specs.</summary>
    public const string WrappersStep = "WrapperSpecs";

    /// <summary>Tracking name of the "runtime is referenced" check.</summary>
    public const string RuntimeStep = "RuntimeReference";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var cards = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Where(pair => CardFiles.IsCard(pair.Right, pair.Left))
            .Select((pair, ct) => CardFiles.Read(pair.Left, ct))
            .WithTrackingName(CardsStep);

        var rootNamespace = context.AnalyzerConfigOptionsProvider
            .Select((options, _) => options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var ns) ? ns : null);

        // Without the runtime assembly the wrapper cannot compile; emitting it would bury the real cause under errors.
        var runtimeReferenced = context.CompilationProvider
            .Select((compilation, _) => compilation.GetTypeByMetadataName("ModelBuildTasks.Runtime.ModelSession") is not null)
            .WithTrackingName(RuntimeStep);

        var wrappers = cards
            .Combine(rootNamespace)
            .Select((pair, _) => ToSpec(pair.Left, pair.Right))
            .Where(spec => spec is not null)
            .Select((spec, _) => spec!)
            .WithTrackingName(WrappersStep);

        context.RegisterSourceOutput(wrappers.Collect().Combine(runtimeReferenced), static (spc, pair) =>
        {
            if (!pair.Right)
            {
                return;
            }
            // Hint names must be unique; two cards may sanitize to the same class (then the C# compiler says so).
            var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var ordered = new List<WrapperSpec>(pair.Left);
            ordered.Sort((a, b) => string.CompareOrdinal(a.CardPath, b.CardPath));
            foreach (var spec in ordered)
            {
                var baseName = HintName((spec.Namespace is null ? "" : spec.Namespace + ".") + spec.ClassName);
                var hint = baseName;
                for (var n = 2; !used.Add(hint); n++)
                {
                    hint = baseName + "_" + n;
                }
                var source = WrapperEmitter.Emit(spec.Card, spec.Namespace, spec.ClassName);
                spc.AddSource(hint + ".g.cs", SourceText.From(source, Encoding.UTF8));
            }
        });
    }

    /// <summary>Hint names are file names: keep ASCII letters, digits, '.' and '_' ('@' of escaped keywords is refused).</summary>
    private static string HintName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (c == '@')
            {
                continue;
            }
            builder.Append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ? c : '_');
        }
        return builder.ToString();
    }

    private static WrapperSpec? ToSpec(CardReadResult result, string? rootNamespace)
    {
        if (result.Card is not { GenerateWrapper: true } card)
        {
            return null;
        }
        var className = Identifiers.ClassName(card.ClassName, card.Name);
        // A type cannot contain a member of its own name (CS0542): "Run" or "Inputs" as a model name gets a suffix.
        if (Array.IndexOf(WrapperEmitter.Reserved, className) >= 0)
        {
            className += "Model";
        }
        return new WrapperSpec(result.Path, Identifiers.Namespace(card.Namespace ?? rootNamespace), className, card);
    }
}

/// <summary>Everything the emitter needs for one model; equatable, so unchanged models are not re-emitted.</summary>
internal sealed record WrapperSpec(string CardPath, string? Namespace, string ClassName, ModelCard Card);
