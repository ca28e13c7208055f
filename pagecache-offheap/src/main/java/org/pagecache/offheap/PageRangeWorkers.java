package org.pagecache.offheap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A bounded queue of page ranges and daemon threads that work them off: the background half of
 * {@link Prefetcher} and {@link ReadAhead}. Threads are started on demand, one more whenever a request is queued
 * while every thread has one, up to the given count, so as many requests as there are threads can each have their
 * I/O in flight at once (the device's queue depth, for one thread prefetching many random pages); a thread idle
 * for {@link #KEEP_ALIVE_NANOS} ends, and {@link #close()} stops them all. They are never interrupted, because an
 * interrupt during channel I/O would close the file's channel for every user. A request finding the queue full
 * (or the workers closed) is refused: both users treat it as advice.
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

    /** How long a thread waits idle for a request before it ends. */
    static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final Request STOP = new Request(null, 0, -1);

    private final ArrayBlockingQueue<Request> queue;
    private final int maxThreads;
    private final String name;
    private final Supplier<Worker> perThread;
    /** The running threads; guarded by {@code this}. */
    private final List<Thread> threads = new ArrayList<>();
    /** Requests queued or being worked on; guarded by {@code this}. */
    private int outstanding;
    /** Threads ever started, for their names; guarded by {@code this}. */
    private int started;
    private volatile boolean closed;

    /**
     * @param maxThreads most threads at once
     * @param perThread  makes each thread's worker, in that thread (it may hold buffers of its own)
     */
    PageRangeWorkers(int maxThreads, int capacity, String name, Supplier<Worker> perThread) {
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads " + maxThreads + " < 1");
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.maxThreads = maxThreads;
        this.name = name;
        this.perThread = perThread;
    }

    /** @return whether the request was queued (not when the queue is full or the workers are closed) */
    boolean submit(CachedFile file, int first, int last) {
        if (closed || !queue.offer(new Request(file, first, last))) {
            return false;
        }
        synchronized (this) {
            // one thread per request queued or in work, up to the most
            outstanding++;
            if (!closed && threads.size() < maxThreads && outstanding > threads.size()) {
                Thread t = new Thread(this::run, name + "-" + started++);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }
        return true;
    }

    boolean isClosed() {
        return closed;
    }

    /** @return threads running now */
    synchronized int threads() {
        return threads.size();
    }

    private void run() {
        Worker worker;
        try {
            worker = perThread.get();
        } catch (Throwable e) {
            exit();
            return;
        }
        for (;;) {
            Request r;
            try {
                r = queue.poll(KEEP_ALIVE_NANOS, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                exit();
                return;
            }
            if (r == null) {
                synchronized (this) {
                    if (queue.isEmpty() || closed) {
                        exitLocked();
                        return;
                    }
                }
                continue; // a request came in as the wait ended
            }
            if (r == STOP) {
                exit();
                return;
            }
            try {
                if (!closed) {
                    worker.work(r);
                }
            } catch (Throwable e) {
                // advice only: the worker released what it took; a later read retries and reports
            } finally {
                synchronized (this) {
                    outstanding--;
                }
            }
            if (closed) {
                exit();
                return;
            }
        }
    }

    private synchronized void exit() {
        exitLocked();
    }

    private void exitLocked() {
        threads.remove(Thread.currentThread());
    }

    /** Stops the threads, waiting a bounded time (10 s in all) for requests in flight. */
    @Override
    public void close() {
        List<Thread> running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = new ArrayList<>(threads);
        }
        queue.clear();
        for (int i = 0; i < running.size(); i++) {
            queue.offer(STOP);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : running) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
