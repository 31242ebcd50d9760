using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>Eight elements widened to int32 (AVX2 only; the branch on T folds away per instantiation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load8<T>(T* p) where T : unmanaged, IBinaryInteger<T>
    {
        if (typeof(T) == typeof(sbyte))
        {
            return Avx2.ConvertToVector256Int32((sbyte*)p);
        }
        if (typeof(T) == typeof(byte))
        {
            return Avx2.ConvertToVector256Int32((byte*)p);
        }
        return Avx2.ConvertToVector256Int32((short*)p);
    }

    /// <summary>Stores sixteen int32 values already clamped to T's range (AVX2 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16<T>(T* p, Vector256<int> low, Vector256<int> high) where T : unmanaged, IBinaryInteger<T>
    {
        // The pack works within 128-bit lanes; the permute puts the four quarters back in order.
        var packed = Avx2.Permute4x64(Avx2.PackSignedSaturate(low, high).AsInt64(), 0b11_01_10_00).AsInt16();
        if (typeof(T) == typeof(short))
        {
            packed.Store((short*)p);
        }
        else if (typeof(T) == typeof(sbyte))
        {
            Sse2.PackSignedSaturate(packed.GetLower(), packed.GetUpper()).Store((sbyte*)p);
        }
        else
        {
            Sse2.PackUnsignedSaturate(packed.GetLower(), packed.GetUpper()).Store((byte*)p);
        }
    }

    /// <summary>Stores eight int32 values already clamped to T's range (AVX2 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8<T>(T* p, Vector256<int> values) where T : unmanaged, IBinaryInteger<T>
    {
        var packed = Sse2.PackSignedSaturate(values.GetLower(), values.GetUpper());
        if (typeof(T) == typeof(short))
        {
            packed.Store((short*)p);
        }
        else if (typeof(T) == typeof(sbyte))
        {
            *(long*)p = Sse2.PackSignedSaturate(packed, packed).AsInt64().ToScalar();
        }
        else
        {
            *(long*)p = Sse2.PackUnsignedSaturate(packed, packed).AsInt64().ToScalar();
        }
    }
}
