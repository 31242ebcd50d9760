using Microsoft.CodeAnalysis;

namespace ModelBuildTasks.Generator;

/// <summary>Emits a typed wrapper class per model card (see docs/model-card.md).</summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelWrapperGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
