using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;

namespace ModelBuildTasks.Runtime.Compute.Quantized;

/// <summary>
/// Reading and writing 8- and 16-bit integer elements generically (sbyte, byte, short). The JIT specializes
/// each instantiation, so these cost the same as direct casts.
/// </summary>
internal static unsafe class IntElements
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Get<T>(T* p, nint i) where T : unmanaged, IBinaryInteger<T> => int.CreateTruncating(p[i]);

    /// <summary>Stores a value already clamped to T's range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set<T>(T* p, nint i, int value) where T : unmanaged, IBinaryInteger<T> => p[i] = T.CreateTruncating(value);

    /// <summary>Widens n elements to int16 (no offset: zero points are handled by the caller).</summary>
    public static void Widen<T>(T* src, short* dst, int n) where T : unmanaged, IBinaryInteger<T>
    {
        var i = 0;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            // Sign- or zero-extend 16 bytes per instruction (the branch on T folds away per instantiation).
            if (typeof(T) == typeof(sbyte))
            {
                for (; i <= n - 16; i += 16)
                {
                    System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int16((sbyte*)src + i).Store(dst + i);
                }
            }
            else if (typeof(T) == typeof(byte))
            {
                for (; i <= n - 16; i += 16)
                {
                    System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int16((byte*)src + i).Store(dst + i);
                }
            }
        }
        for (; i < n; i++)
        {
            dst[i] = short.CreateTruncating(src[i]);
        }
    }
}
