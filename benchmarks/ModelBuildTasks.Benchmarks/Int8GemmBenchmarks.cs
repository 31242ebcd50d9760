using BenchmarkDotNet.Attributes;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Benchmarks;

/// <summary>
/// The 8-bit GEMM microkernels on a 3x3×64 → 64 convolution block (K = 576, 4 output channel panels, 4 pixels),
/// data in cache: the int16 pmaddwd path against VNNI. GOP/s = 2 × 147,456 multiply-accumulates / mean ns.
/// </summary>
public unsafe class Int8GemmBenchmarks
{
    private const int K = 576;
    private const int N = 64;
    private PackedInt16Weights int16 = null!;
    private PackedInt8Weights vnni = null!;
    private short[] rows16 = null!;
    private byte[] rows8 = null!;
    private readonly int[] sums = new int[64];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var weights = new short[N * K + 16];
        for (var i = 0; i < N * K; i++)
        {
            weights[i] = (short)random.Next(-127, 128);
        }
        int16 = new PackedInt16Weights(weights, N, K);
        vnni = PackedInt8Weights.TryCreate(weights, N, K, signedActivations: true)!;
        rows16 = GC.AllocateArray<short>(4 * K + 16, pinned: true);
        rows8 = GC.AllocateArray<byte>(4 * K + 16, pinned: true);
        for (var i = 0; i < 4 * K; i++)
        {
            rows16[i] = (short)random.Next(-128, 128);
            rows8[i] = (byte)(rows16[i] + 128);
        }
    }

    [Benchmark(Baseline = true)]
    public int Int16Pairs()
    {
        fixed (short* a = rows16)
        fixed (int* s = sums)
        {
            for (var p = 0; p < int16.Panels; p++)
            {
                PackedInt8Gemm.Panel(a, a + K, a + 2 * K, a + 3 * K, int16.Data + (nint)p * int16.Pairs * 32, int16.Pairs, s);
            }
        }
        return sums[0];
    }

    [Benchmark]
    public int Vnni()
    {
        fixed (byte* a = rows8)
        fixed (int* s = sums)
        {
            for (var p = 0; p < vnni.Panels; p++)
            {
                VnniInt8Gemm.Panel(a, a + K, a + 2 * K, a + 3 * K, vnni.Data + (nint)p * vnni.PanelBytes, vnni.Quads,
                    vnni.Corrections + p * PackedInt8Weights.Columns, s);
            }
        }
        return sums[0];
    }
}
