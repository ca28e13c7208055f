package org.pagecache.offheap;

import java.util.concurrent.atomic.LongAdder;

/**
 * The background page-ins of {@link org.pagecache.api.PagedFile#prefetch}: page ranges queued to daemon threads
 * ({@link PageRangeWorkers}, one started per request queued while none is idle, up to {@link #THREADS}) that
 * page them in through the file's locked page-in path (the one a read
 * takes, so a page is read once however many readers and prefetches race for it). A request finding the queue
 * full is dropped: a prefetch is advice. Errors of a page-in are dropped too (a later read retries and reports
 * them); an {@code Error} is dropped as well, after the page-in path released its locks, so the threads keep
 * running. Threads start with the first request and stop at {@link #close()} (the cache's close).
 */
final class Prefetcher implements AutoCloseable {
    /**
     * Most page-ins of prefetches in flight at once, each on a thread of its own: a solid-state device reaches
     * most of its random-read throughput at about this queue depth (the device measured in docs/benchmarks.md
     * does 5.5x its one-at-a-time rate at 32).
     */
    static final int THREADS = 32;

    private final PageRangeWorkers workers;
    private final LongAdder dropped = new LongAdder();
    /** The io_uring engine, or null (not available here, or turned off). */
    private final UringPrefetcher uring;

    Prefetcher(int threadCount, int capacity, String name) {
        this(threadCount, capacity, name, false);
    }

    /**
     * @param useUring whether to page in through io_uring where {@link Uring#available()} (else, and for files
     *                 whose store must see every read, through the threads)
     */
    Prefetcher(int threadCount, int capacity, String name, boolean useUring) {
        this.workers = new PageRangeWorkers(threadCount, capacity, name, () -> this::pageIn);
        this.uring = useUring && Uring.available() ? new UringPrefetcher(capacity, name + "-uring", this) : null;
    }

    /**
     * @return how prefetches page in: {@code "io_uring"}, or {@code "threads"} with the reason io_uring is not
     *     used
     */
    String mechanism() {
        if (uring != null && uring.failure() == null) {
            return "io_uring";
        }
        String why = uring != null ? uring.failure() : Uring.available() ? "turned off" : Uring.unavailableReason();
        return "threads (" + why + ")";
    }

    /**
     * Queues pages {@code first..last} of {@code file}, split into up to {@link #THREADS} requests of adjacent
     * pages so that several threads page them in at once; drops what finds the queue full or closed.
     */
    void submit(CachedFile file, int first, int last) {
        if (uring != null && uring.submit(file, first, last)) {
            return;
        }
        submitToThreads(file, first, last);
    }

    /** Queues pages {@code first..last} of {@code file} to the threads. */
    void submitToThreads(CachedFile file, int first, int last) {
        long pages = (long) last - first + 1;
        int per = (int) Math.max(1, (pages + THREADS - 1) / THREADS);
        for (long p = first; p <= last; p += per) {
            int to = (int) Math.min(last, p + per - 1);
            if (!workers.submit(file, (int) p, to)) {
                if (!workers.isClosed()) {
                    dropped.increment();
                }
                return;
            }
        }
    }

    /** @return page reads completed through io_uring */
    long uringReads() {
        return uring == null ? 0 : uring.completed();
    }

    /** @return requests dropped because the queue was full */
    long dropped() {
        return dropped.sum();
    }

    private void pageIn(PageRangeWorkers.Request r) {
        for (int p = r.first(); p <= r.last() && !workers.isClosed(); p++) {
            try {
                r.file().pageIn(p);
            } catch (Throwable e) {
                // advice only: a later read of the page retries and reports the failure
                if (r.file().isClosed()) {
                    break;
                }
            }
        }
    }

    /** Stops the threads, waiting a bounded time for a page-in in flight. */
    @Override
    public void close() {
        if (uring != null) {
            uring.close();
        }
        workers.close();
    }
}
