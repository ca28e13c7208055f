package org.pagecache.offheap;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The background page-ins of {@link org.pagecache.api.PagedFile#prefetch}: a bounded queue of page ranges and a
 * few daemon threads that page them in through the file's locked page-in path (the one a read takes, so a page
 * is read once however many readers and prefetches race for it). A request finding the queue full is dropped: a
 * prefetch is advice. Errors of a page-in are dropped too (a later read retries and reports them); an
 * {@code Error} is dropped as well, after the page-in path released its locks, so the threads keep running.
 * Threads start with the first request and stop at {@link #close()} (the cache's close): they are never
 * interrupted, because an interrupt during channel I/O would close the file's channel for every user.
 */
final class Prefetcher implements AutoCloseable {
    private static final Request STOP = new Request(null, 0, -1);

    record Request(CachedFile file, int first, int last) {
    }

    private final ArrayBlockingQueue<Request> queue;
    private final Thread[] threads;
    private final String name;
    private final LongAdder dropped = new LongAdder();
    private volatile boolean started;
    private volatile boolean closed;

    Prefetcher(int threadCount, int capacity, String name) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.threads = new Thread[threadCount];
        this.name = name;
    }

    /** Queues pages {@code first..last} of {@code file}; drops the request if the queue is full or closed. */
    void submit(CachedFile file, int first, int last) {
        if (closed) {
            return;
        }
        if (!started) {
            start();
        }
        if (!queue.offer(new Request(file, first, last))) {
            dropped.increment();
        }
    }

    /** @return requests dropped because the queue was full */
    long dropped() {
        return dropped.sum();
    }

    private synchronized void start() {
        if (started || closed) {
            return;
        }
        for (int i = 0; i < threads.length; i++) {
            Thread t = new Thread(this::run, name + "-" + i);
            t.setDaemon(true);
            threads[i] = t;
            t.start();
        }
        started = true;
    }

    private void run() {
        for (;;) {
            Request r;
            try {
                r = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (r == STOP || closed) {
                return;
            }
            for (int p = r.first(); p <= r.last() && !closed; p++) {
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
    }

    /** Stops the threads, waiting a bounded time for a page-in in flight. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        queue.clear();
        for (Thread t : threads) {
            if (t != null) {
                queue.offer(STOP);
            }
        }
        for (Thread t : threads) {
            if (t != null) {
                try {
                    t.join(TimeUnit.SECONDS.toMillis(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
