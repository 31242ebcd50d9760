using System.Runtime.Intrinsics.X86;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

// net8.0's reference assembly marks AvxVnni as a preview API (.NET 10's does not, with the same
// signatures). The attribute only drives this compile-time check: the JIT of .NET 8 and later runs it alike.
#pragma warning disable CA2252

/// <summary>How the 8-bit GEMM kernels compute their dot products.</summary>
internal enum Int8DotPath
{
    /// <summary>Activations and weights widened to int16; pmaddwd (AVX2) or a scalar loop.</summary>
    Int16Pairs,

    /// <summary>Unsigned activation bytes × signed weight bytes, four per int32 lane (VPDPBUSD, AVX-VNNI).</summary>
    Vnni,
}

/// <summary>
/// Chooses the 8-bit dot-product path when a kernel is created. Both paths give bit-identical int32 sums; tests
/// force one or the other on the creating thread to prove it.
/// </summary>
internal static class Int8DotPaths
{
    [ThreadStatic]
    private static Int8DotPath? forced;

    /// <summary>The fastest path this CPU runs, unless a test forced one on this thread.</summary>
    public static Int8DotPath Current => forced ?? (AvxVnni.IsSupported ? Int8DotPath.Vnni : Int8DotPath.Int16Pairs);

    /// <summary>Makes kernels created on this thread use <paramref name="path"/> until the result is disposed.</summary>
    public static IDisposable Force(Int8DotPath path)
    {
        var previous = forced;
        forced = path;
        return new Restore(previous);
    }

    private sealed class Restore(Int8DotPath? previous) : IDisposable
    {
        public void Dispose() => forced = previous;
    }
}
