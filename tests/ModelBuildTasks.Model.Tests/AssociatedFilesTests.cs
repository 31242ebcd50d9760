using System.Buffers.Binary;
using System.IO.Compression;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Model.Tests;

/// <summary>The zip of associated files (labels, vocabularies) appended after the FlatBuffer survives rewriting.</summary>
[TestClass]
public sealed class AssociatedFilesTests
{
    private const string Labels = "background\nperson\ncat\n";

    private static byte[] MakeZip()
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("labels.txt").Open());
            writer.Write(Labels);
        }
        return stream.ToArray();
    }

    /// <summary>Appends the zip with offsets from the file start (as some tools write them), not from the zip start.</summary>
    private static byte[] AppendWithAbsoluteOffsets(byte[] model, byte[] zip)
    {
        var file = model.Concat(zip).ToArray();
        var shift = (uint)model.Length;
        var end = file.Length - 22;
        var directory = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(end + 16)) + model.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(end + 16), (uint)(directory));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(directory + 42), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(directory + 42)) + shift);
        return file;
    }

    private static string ReadLabels(ReadOnlyMemory<byte> zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip.ToArray()), ZipArchiveMode.Read);
        using var reader = new StreamReader(archive.GetEntry("labels.txt")!.Open());
        return reader.ReadToEnd();
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AppendedZipIsFoundAndSurvivesARoundTrip(bool absoluteOffsets)
    {
        var model = File.ReadAllBytes(Corpus.GetPath("face_detection_short_range"));
        var zip = MakeZip();
        var file = absoluteOffsets ? AppendWithAbsoluteOffsets(model, zip) : model.Concat(zip).ToArray();

        var graph = ModelReader.Read(file);
        Assert.AreEqual(Labels, ReadLabels(graph.AssociatedFiles));

        var written = ModelWriter.ToBytes(graph);
        var reread = ModelReader.Read(written);
        Assert.IsNull(ModelComparer.FirstDifference(graph, reread));
        Assert.AreEqual(Labels, ReadLabels(reread.AssociatedFiles));
        // The zip is the file's tail with offsets from the file start, as TFLite's metadata tools append it: a zip
        // reader opening the whole model finds the labels.
        Assert.AreEqual(Labels, ReadLabels(written));
        CollectionAssert.AreEqual(graph.AssociatedFiles.ToArray(), reread.AssociatedFiles.ToArray());
    }

    [TestMethod]
    public void ModelWithAssociatedFilesRunsInLiteRt()
    {
        var model = File.ReadAllBytes(Corpus.GetPath("face_detection_short_range"));
        var graph = ModelReader.Read(model.Concat(MakeZip()).ToArray());
        using var temp = new TempFolder();
        var path = temp.File("with-labels.tflite");
        ModelWriter.WriteFile(graph, path);
        var expected = Oracle.RunSeeded(Corpus.GetPath("face_detection_short_range"), seed: 3);
        var actual = Oracle.RunSeeded(path, seed: 3);
        for (var i = 0; i < expected.Outputs.Count; i++)
        {
            CollectionAssert.AreEqual(expected.Outputs[i].Data, actual.Outputs[i].Data);
        }
    }

    [TestMethod]
    public void ModelWithoutZipHasNoAssociatedFiles()
    {
        var graph = ModelReader.ReadFile(Corpus.GetPath("selfie_segmentation"));
        Assert.IsTrue(graph.AssociatedFiles.IsEmpty);
    }
}
