using System.Runtime.ExceptionServices;

namespace ModelBuildTasks.Runtime.Threading;

/// <summary>
/// A session's private worker threads. <see cref="For"/> hands out chunks of a range to the calling thread and the
/// workers and returns when all are done. Nothing is allocated per call: the loop body is a function pointer and
/// its arguments a pointer to a struct the caller keeps alive until <see cref="For"/> returns. Workers spin
/// briefly between calls (operators follow each other within microseconds) and then block, so an idle session
/// costs no CPU.
/// </summary>
internal sealed unsafe class WorkerPool : IDisposable
{
    // Roughly 50-100 µs of spinning before a worker blocks.
    private const int SpinIterations = 2000;

    private readonly Thread[] threads;
    private readonly object gate = new();
    private int generation;
    private volatile bool stopping;

    private delegate*<void*, int, int, int, void> body;
    private void* state;
    private int total;
    private int grain;
    private int next;

    // Workers inside the current loop, plus the Closed bit once the caller stops admitting them.
    private int door = Closed;
    private const int Closed = 1 << 30;
    private Exception? failure;

    public WorkerPool(int threadCount)
    {
        threads = new Thread[Math.Max(0, threadCount - 1)];
        for (var i = 0; i < threads.Length; i++)
        {
            var index = i + 1;
            threads[i] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"ModelSession worker {index}",
            };
            threads[i].Start();
        }
    }

    /// <summary>Threads that take part in a loop, the caller included.</summary>
    public int ThreadCount => threads.Length + 1;

    /// <summary>
    /// Runs <paramref name="fn"/> over [0, count) in chunks of <paramref name="chunk"/> items. Which thread runs a
    /// chunk varies; callers make each item's result independent of that, so output is deterministic.
    /// </summary>
    public void For(int count, int chunk, delegate*<void*, int, int, int, void> fn, void* arg)
    {
        if (count <= 0)
        {
            return;
        }
        chunk = Math.Max(1, chunk);
        if (threads.Length == 0 || count <= chunk)
        {
            fn(arg, 0, count, 0);
            return;
        }

        body = fn;
        state = arg;
        total = count;
        grain = chunk;
        next = 0;
        failure = null;
        // Open the door last: a worker that joins sees the job written above.
        Volatile.Write(ref door, 0);
        lock (gate)
        {
            generation++;
            Monitor.PulseAll(gate);
        }

        try
        {
            Work(0);
        }
        finally
        {
            // Close the door, then wait only for workers that came in. A worker the OS has not scheduled yet simply
            // misses this loop instead of stalling it (on a busy machine that wait would cost a time slice per operator).
            Interlocked.Or(ref door, Closed);
            var spin = new SpinWait();
            while ((Volatile.Read(ref door) & ~Closed) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        if (failure is { } e)
        {
            ExceptionDispatchInfo.Capture(e).Throw();
        }
    }

    private void Work(int thread)
    {
        while (true)
        {
            var begin = Interlocked.Add(ref next, grain) - grain;
            if (begin >= total)
            {
                return;
            }
            body(state, begin, Math.Min(total, begin + grain), thread);
        }
    }

    /// <summary>Counts this worker in to the current loop unless the caller has already closed it.</summary>
    private bool TryEnter()
    {
        while (true)
        {
            var d = Volatile.Read(ref door);
            if ((d & Closed) != 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref door, d + 1, d) == d)
            {
                return true;
            }
        }
    }

    private void WorkerLoop(int thread)
    {
        var seen = 0;
        while (true)
        {
            var spins = 0;
            while (Volatile.Read(ref generation) == seen)
            {
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                lock (gate)
                {
                    while (generation == seen && !stopping)
                    {
                        Monitor.Wait(gate);
                    }
                }
                if (stopping)
                {
                    return;
                }
            }
            seen = Volatile.Read(ref generation);
            if (!TryEnter())
            {
                continue;
            }
            try
            {
                Work(thread);
            }
            catch (Exception e)
            {
                failure = e;
                // Let the other threads drain the range quickly.
                Volatile.Write(ref next, int.MaxValue / 2);
            }
            finally
            {
                Interlocked.Decrement(ref door);
            }
        }
    }

    public void Dispose()
    {
        if (stopping)
        {
            return;
        }
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
        foreach (var t in threads)
        {
            t.Join();
        }
    }
}
