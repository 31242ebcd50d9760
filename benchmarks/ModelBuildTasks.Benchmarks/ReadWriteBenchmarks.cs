using BenchmarkDotNet.Attributes;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Benchmarks;

/// <summary>Reading and writing a .tflite file through the IR (target: read + write of the 27.7 MB model well under 100 ms).</summary>
[MemoryDiagnoser]
public class ReadWriteBenchmarks
{
    private byte[] _file = [];
    private ModelGraph _model = null!;
    private readonly MemoryStream _sink = new();

    [Params("pose_landmark_heavy", "face_detection_full_range_sparse")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _file = File.ReadAllBytes(Corpus.GetPath(Model));
        _model = ModelReader.Read(_file);
    }

    [Benchmark]
    public ModelGraph Read() => ModelReader.Read(_file);

    [Benchmark]
    public long Write()
    {
        _sink.SetLength(0);
        ModelWriter.Write(_model, _sink);
        return _sink.Length;
    }

    [Benchmark]
    public long ReadAndWrite()
    {
        _sink.SetLength(0);
        ModelWriter.Write(ModelReader.Read(_file), _sink);
        return _sink.Length;
    }
}
