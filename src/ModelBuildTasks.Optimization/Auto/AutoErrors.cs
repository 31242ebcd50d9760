using ModelBuildTasks.Model;

namespace ModelBuildTasks.Optimization.Auto;

/// <summary>Stable error codes of the auto search (MBT22xx). Part of the public contract: never renumber one.</summary>
public static class AutoErrorCodes
{
    /// <summary>No candidate the search tried meets every budget; the message names the closest and its misses.</summary>
    public const string NoCandidateMeetsBudgets = "MBT2201";

    /// <summary>The auto options are unusable (no budget, a budget out of range, missing data).</summary>
    public const string InvalidAutoOptions = "MBT2202";
}

/// <summary>The auto search found no model meeting the budgets, or could not start.</summary>
public sealed class AutoSearchException : ModelFormatException
{
    /// <summary>Creates the exception with one of <see cref="AutoErrorCodes"/>.</summary>
    public AutoSearchException(string code, string message, IReadOnlyList<BudgetMiss>? misses = null, IReadOnlyList<AutoCandidate>? trail = null)
        : base(code, message)
    {
        Misses = misses ?? [];
        Trail = trail ?? [];
    }

    /// <summary>Every candidate tried, in order (empty when the search could not start).</summary>
    public IReadOnlyList<AutoCandidate> Trail { get; }

    /// <summary>The budgets the closest candidate misses (empty when the search could not start).</summary>
    public IReadOnlyList<BudgetMiss> Misses { get; }
}
