package org.pagecache.offheap;

import java.util.concurrent.atomic.LongAdder;

/**
 * The background page-ins of {@link org.pagecache.api.PagedFile#prefetch}: page ranges queued to a few daemon
 * threads ({@link PageRangeWorkers}) that page them in through the file's locked page-in path (the one a read
 * takes, so a page is read once however many readers and prefetches race for it). A request finding the queue
 * full is dropped: a prefetch is advice. Errors of a page-in are dropped too (a later read retries and reports
 * them); an {@code Error} is dropped as well, after the page-in path released its locks, so the threads keep
 * running. Threads start with the first request and stop at {@link #close()} (the cache's close).
 */
final class Prefetcher implements AutoCloseable {
    private final PageRangeWorkers workers;
    private final LongAdder dropped = new LongAdder();

    Prefetcher(int threadCount, int capacity, String name) {
        this.workers = new PageRangeWorkers(threadCount, capacity, name, () -> this::pageIn);
    }

    /** Queues pages {@code first..last} of {@code file}; drops the request if the queue is full or closed. */
    void submit(CachedFile file, int first, int last) {
        if (!workers.submit(file, first, last) && !workers.isClosed()) {
            dropped.increment();
        }
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
        workers.close();
    }
}
