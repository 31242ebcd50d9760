namespace ModelBuildTasks.TestSupport;

/// <summary>
/// A cross-process (and cross-thread) exclusive lock: a file opened with <see cref="FileShare.None"/>, which
/// .NET maps to an OS lock (flock on Unix). Waiting is by polling; the lock is released when disposed or when
/// the holding process dies.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream stream;

    private FileLock(FileStream stream) => this.stream = stream;

    public static FileLock Acquire(string path, TimeSpan timeout)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var deadline = DateTime.UtcNow + timeout;
        var delay = 50;
        while (true)
        {
            try
            {
                var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                return new FileLock(fs);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 500);
            }
            catch (UnauthorizedAccessException) when (DateTime.UtcNow < deadline)
            {
                // Windows reports a file being deleted/locked this way at times.
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 500);
            }
            catch (IOException e)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for the lock '{path}'.", e);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
