using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime.Compute;
using ModelBuildTasks.Runtime.Compute.Quantized;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// Integer CONV_2D: int8 (per-channel or per-tensor weights), uint8 and 16x8 (int16 activations, int8 weights,
/// int64 bias). Each output pixel's (ky, kx, c) patch is gathered as an int16 row — positions outside the image
/// hold the input zero point, i.e. real 0, which the zero-point correction in the bias cancels exactly — and
/// multiplied with every filter row; the accumulator is requantized per output channel as TFLite's reference
/// kernel does. Threads split output pixels.
/// </summary>
internal sealed unsafe class Conv2D : Kernel
{
    private const int PixelsPerItem = 8;

    private readonly ConvGeometry g;
    private readonly short[] weights;
    private readonly PackedInt16Weights? packed;
    private readonly PackedInt8Weights? vnni;
    private readonly FewChannelWeights? direct;
    private readonly ChannelRequantizer requantizer;
    private readonly TensorType type;
    private readonly short padValue;
    private readonly int input;
    private readonly int output;

    private Conv2D(KernelSetup s)
    {
        var x = s.Input(0);
        var f = s.Input(1);
        var bias = s.OptionalInput(2);
        var y = s.Output(0);
        s.Require(x.Type == y.Type, $"input {x} and output {y} must have the same type");
        var o = s.Options<Conv2DOptionsT>();
        g = ConvShapes.Conv2D(s, x, f, y, o);
        var k = g.KH * g.KW * g.InC;
        weights = ChannelRequantizer.WidenedWeights(s, f, 0);
        if (x.Type != TensorType.INT16 && Int8DotPaths.Current == Int8DotPath.Vnni)
        {
            vnni = PackedInt8Weights.TryCreate(weights, g.OutC, k, signedActivations: x.Type == TensorType.INT8);
            direct = vnni is null ? null : FewChannelWeights.TryCreate(weights, ref g);
        }
        // The int16 panels serve 8-bit activations when VNNI is off or a weight does not fit a signed byte.
        packed = vnni is null && x.Type != TensorType.INT16 ? new PackedInt16Weights(weights, g.OutC, k) : null;
        requantizer = ChannelRequantizer.Create(s, x, f, bias, y, o.FusedActivationFunction, weights, g.OutC, k);
        type = x.Type;
        MultiplyAccumulates = (long)g.Batch * g.OutH * g.OutW * g.OutC * k;
        padValue = (short)QuantInfo.Of(s, x).ZeroPoint;
        // Four patch rows (8-bit path) of K rounded up to even, plus the panel sums.
        ScratchBytesPerThread = Math.Max((long)PackedInt8Gemm.Rows * RowStride(k) * sizeof(short),
            (long)VnniInt8Gemm.Rows * VnniInt8Gemm.RowStride(k)) + 64 * sizeof(int) + 64;
        if (direct is not null)
        {
            // Row pointers, the panel sums and a padded copy of each kernel row for pixels at the border.
            ScratchBytesPerThread = Math.Max(ScratchBytesPerThread,
                (long)g.KH * sizeof(nint) + 64 * sizeof(int) + (long)g.KH * direct.RowBytes + 64);
        }
        input = x.Index;
        output = y.Index;
    }

    /// <summary>The 8-bit dot-product path this kernel was prepared for (tests check which one ran).</summary>
    internal Int8DotPath DotPath => vnni is null ? Int8DotPath.Int16Pairs : Int8DotPath.Vnni;

    /// <summary>True when this layer runs the direct few-channel dot products instead of packed panels.</summary>
    internal bool UsesDirectPath => direct is not null;

    public static Kernel Create(KernelSetup s) => new Conv2D(s);

    private static int RowStride(int k) => (k + 1) / 2 * 2 + 16;

    public override void Run(RunContext context)
    {
        var job = new Job
        {
            G = g,
            W = (short*)Unsafe.AsPointer(ref weights[0]),
            Packed = packed is null ? null : packed.Data,
            Pairs = packed?.Pairs ?? 0,
            Panels = vnni?.Panels ?? packed?.Panels ?? 0,
            Vnni = vnni is null ? null : vnni.Data,
            Quads = vnni?.Quads ?? 0,
            Corrections = vnni is null ? null : vnni.Corrections,
            Direct = direct is null ? null : direct.Data,
            DirectRowBytes = direct?.RowBytes ?? 0,
            Rq = requantizer.View,
            Type = type,
            Pad = padValue,
            Input = context.B(input),
            Output = context.B(output),
            Scratch = context.ScratchTable,
        };
        var items = (g.OutputPixels + PixelsPerItem - 1) / PixelsPerItem;
        context.Pool.For(items, 1, &Body, &job);
    }

    private struct Job
    {
        public ConvGeometry G;
        public short* W;
        public short* Packed;
        public int Pairs;
        public int Panels;
        public sbyte* Vnni;
        public int Quads;
        public int* Corrections;
        public sbyte* Direct;
        public int DirectRowBytes;
        public RequantizerView Rq;
        public TensorType Type;
        public short Pad;
        public byte* Input;
        public byte* Output;
        public nint* Scratch;
    }

    private static void Body(void* state, int begin, int end, int thread)
    {
        ref var j = ref *(Job*)state;
        var k = j.G.KH * j.G.KW * j.G.InC;
        var pixels = j.G.OutputPixels;
        var m0 = begin * PixelsPerItem;
        var m1 = Math.Min(pixels, end * PixelsPerItem);
        switch (j.Type)
        {
            case TensorType.INT8 when j.Direct != null: RowsDirect(ref j, (sbyte*)j.Input, (sbyte*)j.Output, m0, m1, thread); break;
            case TensorType.UINT8 when j.Direct != null: RowsDirect(ref j, j.Input, j.Output, m0, m1, thread); break;
            case TensorType.INT8 when j.Vnni != null: RowsVnni(ref j, (sbyte*)j.Input, (sbyte*)j.Output, m0, m1, thread); break;
            case TensorType.UINT8 when j.Vnni != null: RowsVnni(ref j, j.Input, j.Output, m0, m1, thread); break;
            case TensorType.INT8: Rows8(ref j, (sbyte*)j.Input, (sbyte*)j.Output, m0, m1, thread); break;
            case TensorType.UINT8: Rows8(ref j, j.Input, j.Output, m0, m1, thread); break;
            default:
                var row = (short*)j.Scratch[thread];
                for (var m = m0; m < m1; m++)
                {
                    Patch(ref j.G, (short*)j.Input, m, j.Pad, row);
                    IntGemm.Row(row, j.W, k, 0, j.G.OutC, j.Rq, (short*)j.Output + (nint)m * j.G.OutC, true);
                }
                break;
        }
    }

    /// <summary>8-bit activations: four pixels' patches at a time against each 16-channel weight panel.</summary>
    private static void Rows8<T>(ref Job j, T* input, T* output, int m0, int m1, int thread)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var k = j.G.KH * j.G.KW * j.G.InC;
        var stride = RowStride(k);
        var rows = (short*)j.Scratch[thread];
        var sums = (int*)(rows + PackedInt8Gemm.Rows * stride);
        for (var m = m0; m < m1; m += PackedInt8Gemm.Rows)
        {
            var count = Math.Min(PackedInt8Gemm.Rows, m1 - m);
            for (var r = 0; r < count; r++)
            {
                Patch(ref j.G, input, m + r, j.Pad, rows + r * stride);
                rows[r * stride + k] = 0;
            }
            var a1 = rows + (count > 1 ? stride : 0);
            var a2 = rows + (count > 2 ? 2 * stride : 0);
            var a3 = rows + (count > 3 ? 3 * stride : 0);
            for (var p = 0; p < j.Panels; p++)
            {
                PackedInt8Gemm.Panel(rows, a1, a2, a3, j.Packed + (nint)p * j.Pairs * 32, j.Pairs, sums);
                j.Rq.StorePanel(output, sums, m, count, p * PackedInt16Weights.Columns, j.G.OutC);
            }
        }
    }

    /// <summary>8-bit activations on VNNI: four pixels' patches as unsigned bytes against each 16-channel panel.</summary>
    private static void RowsVnni<T>(ref Job j, T* input, T* output, int m0, int m1, int thread)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var k = j.G.KH * j.G.KW * j.G.InC;
        var stride = VnniInt8Gemm.RowStride(k);
        var rows = (byte*)j.Scratch[thread];
        var sums = (int*)(rows + VnniInt8Gemm.Rows * stride);
        var pad = VnniInt8Gemm.UnsignedByte<T>(j.Pad);
        var panelBytes = j.Quads * PackedInt8Weights.Columns * 4;
        ref var g = ref j.G;
        var pointwise = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 &&
            g.InH == g.OutH && g.InW == g.OutW && k % 4 == 0;
        // Eight output channels (half a panel) are requantized and stored as one 8-byte write per pixel.
        var eightChannels = g.OutC == 8 && j.Rq.CanVectorize && Avx2.IsSupported;
        for (var m = m0; m < m1; m += VnniInt8Gemm.Rows)
        {
            var count = Math.Min(VnniInt8Gemm.Rows, m1 - m);
            if (pointwise)
            {
                // A 1x1, stride-1 convolution's patches are the input pixels themselves, back to back.
                VnniInt8Gemm.ToUnsigned(input + (nint)m * k, rows, count * k);
            }
            else
            {
                var at = PixelPosition.Of(ref g, m);
                for (var r = 0; r < count; r++, at.Next(ref g))
                {
                    PatchBytes(ref j.G, input, at, pad, rows + r * stride);
                    for (var i = k; i < stride; i++)
                    {
                        rows[r * stride + i] = 0;
                    }
                }
            }
            var a1 = rows + (count > 1 ? stride : 0);
            var a2 = rows + (count > 2 ? 2 * stride : 0);
            var a3 = rows + (count > 3 ? 3 * stride : 0);
            for (var p = 0; p < j.Panels; p++)
            {
                var c0 = p * PackedInt8Weights.Columns;
                VnniInt8Gemm.Panel(rows, a1, a2, a3, j.Vnni + (nint)p * panelBytes, j.Quads, j.Corrections + c0, sums);
                if (eightChannels)
                {
                    Store8(ref j.Rq, output, sums, m, count);
                    continue;
                }
                j.Rq.StorePanel(output, sums, m, count, c0, j.G.OutC);
            }
        }
    }

    /// <summary>
    /// Very few output channels on VNNI: each pixel's kernel rows are dotted straight from the input (a copy with
    /// padding only at the border), four pixels' sums requantized together.
    /// </summary>
    private static void RowsDirect<T>(ref Job j, T* input, T* output, int m0, int m1, int thread)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        ref var g = ref j.G;
        var c = g.InC;
        var rowBytes = j.DirectRowBytes;
        var rows = (byte**)j.Scratch[thread];
        var sums = (int*)(rows + g.KH);
        var copies = (byte*)(sums + 64);
        var pad = (byte)j.Pad;
        var flip = Vector256.Create(typeof(T) == typeof(sbyte) ? (byte)0x80 : (byte)0);
        // A row read in place may run up to rowBytes past its start; near the tensor's end it is copied instead.
        var inputEnd = (byte*)input + (nint)g.Batch * g.InH * g.InW * c;
        var weightsPerChannel = g.KH * rowBytes;
        var at = PixelPosition.Of(ref g, m0);
        for (var m = m0; m < m1; m += VnniInt8Gemm.Rows)
        {
            var count = Math.Min(VnniInt8Gemm.Rows, m1 - m);
            for (var r = 0; r < count; r++, at.Next(ref g))
            {
                var iy0 = at.Y * g.StrideH - g.PadTop;
                var ix0 = at.X * g.StrideW - g.PadLeft;
                var columnsInside = ix0 >= 0 && ix0 + g.KW <= g.InW;
                for (var ky = 0; ky < g.KH; ky++)
                {
                    var iy = iy0 + ky * g.DilationH;
                    var src = (byte*)input + ((nint)((at.B * g.InH + iy) * g.InW) + ix0) * c;
                    if (columnsInside && (uint)iy < (uint)g.InH && src + rowBytes <= inputEnd)
                    {
                        rows[ky] = src;
                        continue;
                    }
                    var dst = copies + ky * rowBytes;
                    for (var kx = 0; kx < g.KW; kx++, dst += c)
                    {
                        var ix = ix0 + kx;
                        if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW)
                        {
                            new Span<byte>(dst, c).Fill(pad);
                        }
                        else
                        {
                            Buffer.MemoryCopy(src + kx * c, dst, c, c);
                        }
                    }
                    rows[ky] = copies + ky * rowBytes;
                }
                for (var oc = 0; oc < g.OutC; oc++)
                {
                    sums[r * PackedInt8Weights.Columns + oc] =
                        FewChannelWeights.Dot(rows, g.KH, j.Direct + oc * weightsPerChannel, rowBytes, flip) - j.Corrections[oc];
                }
            }
            j.Rq.StorePanel(output, sums, m, count, 0, g.OutC);
        }
    }

    /// <summary>Requantizes the first 8 sums of each of <paramref name="count"/> panel rows and stores them as 8 bytes per pixel.</summary>
    private static void Store8<T>(ref RequantizerView rq, T* output, int* sums, int m, int count)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        for (var r = 0; r < count; r++)
        {
            var rowSums = sums + r * PackedInt8Weights.Columns;
            rq.Requantize8(rowSums, 0);
            var shorts = Vector256.Narrow(Vector256.Load(rowSums), Vector256<int>.Zero);
            *(long*)(output + (nint)(m + r) * 8) = Vector128.Narrow(shorts.GetLower(), Vector128<short>.Zero).AsInt64().ToScalar();
        }
    }

    /// <summary>An output pixel's batch, row and column, stepped without a division per pixel.</summary>
    private struct PixelPosition
    {
        public int B, Y, X;

        public static PixelPosition Of(ref ConvGeometry g, int m) =>
            new() { X = m % g.OutW, Y = m / g.OutW % g.OutH, B = m / (g.OutW * g.OutH) };

        public void Next(ref ConvGeometry g)
        {
            if (++X < g.OutW)
            {
                return;
            }
            X = 0;
            if (++Y < g.OutH)
            {
                return;
            }
            Y = 0;
            B++;
        }
    }

    /// <summary>The (ky, kx, c) patch of output pixel <paramref name="at"/> as VNNI's unsigned bytes, <paramref name="pad"/> outside the image.</summary>
    private static void PatchBytes<T>(ref ConvGeometry g, T* input, PixelPosition at, byte pad, byte* dst)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var c = g.InC;
        var b = at.B;
        var iy0 = at.Y * g.StrideH - g.PadTop;
        var ix0 = at.X * g.StrideW - g.PadLeft;
        // With no horizontal dilation and every kx inside the image, a kernel row is one run of KW·c input bytes.
        var wholeRows = g.DilationW == 1 && ix0 >= 0 && ix0 + g.KW <= g.InW;
        for (var ky = 0; ky < g.KH; ky++)
        {
            var iy = iy0 + ky * g.DilationH;
            if (wholeRows && (uint)iy < (uint)g.InH)
            {
                Unsigned(input + ((nint)((b * g.InH + iy) * g.InW) + ix0) * c, dst, g.KW * c);
                dst += g.KW * c;
                continue;
            }
            for (var kx = 0; kx < g.KW; kx++)
            {
                var ix = ix0 + kx * g.DilationW;
                if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW)
                {
                    new Span<byte>(dst, c).Fill(pad);
                }
                else
                {
                    Unsigned(input + ((nint)((b * g.InH + iy) * g.InW) + ix) * c, dst, c);
                }
                dst += c;
            }
        }
    }

    /// <summary><see cref="VnniInt8Gemm.ToUnsigned"/>, with short runs (few input channels) done inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unsigned<T>(T* src, byte* dst, int n) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        if (n >= 16)
        {
            VnniInt8Gemm.ToUnsigned(src, dst, n);
            return;
        }
        var flip = typeof(T) == typeof(sbyte) ? (byte)0x80 : (byte)0;
        for (var i = 0; i < n; i++)
        {
            dst[i] = (byte)(((byte*)src)[i] ^ flip);
        }
    }

    /// <summary>The (ky, kx, c) patch of output pixel m as int16, <paramref name="pad"/> outside the image.</summary>
    private static void Patch<T>(ref ConvGeometry g, T* input, int m, short pad, short* dst)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var c = g.InC;
        var ox = m % g.OutW;
        var oy = m / g.OutW % g.OutH;
        var b = m / (g.OutW * g.OutH);
        var iy0 = oy * g.StrideH - g.PadTop;
        var ix0 = ox * g.StrideW - g.PadLeft;
        for (var ky = 0; ky < g.KH; ky++)
        {
            var iy = iy0 + ky * g.DilationH;
            for (var kx = 0; kx < g.KW; kx++)
            {
                var ix = ix0 + kx * g.DilationW;
                if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW)
                {
                    new Span<short>(dst, c).Fill(pad);
                }
                else
                {
                    IntElements.Widen(input + ((nint)((b * g.InH + iy) * g.InW) + ix) * c, dst, c);
                }
                dst += c;
            }
        }
    }
}
