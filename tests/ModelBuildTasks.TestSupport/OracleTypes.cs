using System.Runtime.InteropServices;
using System.Text.Json;

namespace ModelBuildTasks.TestSupport;

/// <summary>A model input or output as LiteRT.js reports it.</summary>
/// <param name="Index">Position in the model's signature.</param>
/// <param name="Name">Signature name of the tensor.</param>
/// <param name="DType">LiteRT element type name: float32, int32, uint8, int8, int16, int64, float16, bool, ...</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Bytes">Size of the tensor data in bytes.</param>
public sealed record OracleTensorInfo(int Index, string Name, string DType, int[] Shape, long Bytes)
{
    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Shape as text, e.g. <c>[1,128,128,3]</c>.</summary>
    public string ShapeText => "[" + string.Join(",", Shape) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{Index}:{Name} {DType}{ShapeText}";

    internal static OracleTensorInfo FromJson(JsonElement e) => new(
        e.GetProperty("index").GetInt32(),
        e.GetProperty("name").GetString() ?? "",
        e.GetProperty("dtype").GetString() ?? "",
        e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
        e.GetProperty("bytes").GetInt64());
}

/// <summary>Inputs and outputs of a model, from <see cref="Oracle.Info"/>.</summary>
public sealed record OracleModelInfo(IReadOnlyList<OracleTensorInfo> Inputs, IReadOnlyList<OracleTensorInfo> Outputs);

/// <summary>One output of an oracle run: description plus raw little-endian bytes.</summary>
public sealed class OracleTensor
{
    internal OracleTensor(OracleTensorInfo info, byte[] data)
    {
        Info = info;
        Data = data;
    }

    /// <summary>Name, dtype and shape.</summary>
    public OracleTensorInfo Info { get; }

    /// <summary>Signature name.</summary>
    public string Name => Info.Name;

    /// <summary>Element type name (see <see cref="OracleTensorInfo.DType"/>).</summary>
    public string DType => Info.DType;

    /// <summary>Dimensions.</summary>
    public int[] Shape => Info.Shape;

    /// <summary>Raw tensor bytes, little-endian.</summary>
    public byte[] Data { get; }

    /// <summary>The data as float32 values (dtype must be float32).</summary>
    public float[] AsFloats() => As<float>("float32").ToArray();

    /// <summary>The data as int32 values (dtype must be int32).</summary>
    public int[] AsInt32() => As<int>("int32").ToArray();

    /// <summary>Reinterprets the data as <typeparamref name="T"/> (no dtype check).</summary>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(Data);

    private ReadOnlySpan<T> As<T>(string dtype)
        where T : unmanaged
    {
        if (DType != dtype)
        {
            throw new InvalidOperationException($"Output '{Name}' is {DType}, not {dtype}.");
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Oracle tensors are little-endian.");
        }

        return AsSpan<T>();
    }
}

/// <summary>Result of <see cref="Oracle.Run"/>.</summary>
public sealed class OracleResult
{
    internal OracleResult(IReadOnlyList<byte[]> inputs, IReadOnlyList<OracleTensor> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The input bytes the model was run on (generated ones for <see cref="Oracle.RunSeeded"/>).</summary>
    public IReadOnlyList<byte[]> Inputs { get; }

    /// <summary>The outputs in signature order.</summary>
    public IReadOnlyList<OracleTensor> Outputs { get; }

    /// <summary>The output with this signature name.</summary>
    public OracleTensor this[string name] =>
        Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new KeyNotFoundException($"No output '{name}'; outputs: {string.Join(", ", Outputs.Select(o => o.Name))}.");
}

/// <summary>Timing of <see cref="Oracle.Bench"/> (LiteRT.js, compat wasm build, one thread).</summary>
public sealed record OracleBenchResult(
    double MedianMs,
    double MinMs,
    double P90Ms,
    double MeanMs,
    double LoadMs,
    double FirstRunMs,
    int Runs,
    int WarmupRuns);

/// <summary>The oracle process failed.</summary>
/// <remarks>Exit codes: 1 usage or input error; 2 model failed to load or prepare (including an ERROR logged by
/// the runtime, e.g. for an unsupported or unresolved op); 3 inference failure.</remarks>
public sealed class OracleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OracleException(string message, int exitCode, string stdErr)
        : base($"{message} (exit code {exitCode}): {stdErr.Trim()}")
    {
        ExitCode = exitCode;
        StdErr = stdErr;
    }

    /// <summary>Exit code of litert-run.mjs.</summary>
    public int ExitCode { get; }

    /// <summary>Everything the oracle wrote to stderr.</summary>
    public string StdErr { get; }
}
