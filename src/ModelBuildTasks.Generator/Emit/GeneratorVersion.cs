namespace ModelBuildTasks.Generator.Emit;

/// <summary>This generator's version (major.minor.build), stamped into generated code and compared with card writers.</summary>
internal static class GeneratorVersion
{
    public static readonly string Value = typeof(GeneratorVersion).Assembly.GetName().Version is { } v
        ? $"{v.Major}.{v.Minor}.{v.Build}"
        : "0.0.0";
}
