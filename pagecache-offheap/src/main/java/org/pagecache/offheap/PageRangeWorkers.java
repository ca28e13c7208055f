package org.pagecache.offheap;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A bounded queue of page ranges and a few daemon threads that work them off: the background half of
 * {@link Prefetcher} and {@link ReadAhead}. Threads start with the first request and stop at {@link #close()};
 * they are never interrupted, because an interrupt during channel I/O would close the file's channel for every
 * user. A request finding the queue full (or the workers closed) is refused: both users treat it as advice.
 */
final class PageRangeWorkers implements AutoCloseable {
    /** Pages {@code first..last} of {@code file}. */
    record Request(CachedFile file, int first, int last) {
    }

    /** What one thread does with a request; whatever it throws is dropped, and the thread goes on. */
    @FunctionalInterface
    interface Worker {
        void work(Request r) throws Exception;
    }

    private static final Request STOP = new Request(null, 0, -1);

    private final ArrayBlockingQueue<Request> queue;
    private final Thread[] threads;
    private final String name;
    private final Supplier<Worker> perThread;
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * @param perThread makes each thread's worker, in that thread (it may hold buffers of its own)
     */
    PageRangeWorkers(int threadCount, int capacity, String name, Supplier<Worker> perThread) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.threads = new Thread[threadCount];
        this.name = name;
        this.perThread = perThread;
    }

    /** @return whether the request was queued (not when the queue is full or the workers are closed) */
    boolean submit(CachedFile file, int first, int last) {
        if (closed) {
            return false;
        }
        if (!started) {
            start();
        }
        return queue.offer(new Request(file, first, last));
    }

    boolean isClosed() {
        return closed;
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
        Worker worker = perThread.get();
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
            try {
                worker.work(r);
            } catch (Throwable e) {
                // advice only: the worker released what it took; a later read retries and reports
            }
        }
    }

    /** Stops the threads, waiting a bounded time (10 s each) for a request in flight. */
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
