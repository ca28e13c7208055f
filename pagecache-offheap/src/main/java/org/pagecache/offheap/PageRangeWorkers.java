package org.pagecache.offheap;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * A bounded queue of page ranges and daemon threads that work them off: the background half of
 * {@link Prefetcher} and {@link ReadAhead}. A request wakes one idle thread, or starts one more if none is idle,
 * up to the given count, so as many requests as there are threads can each have their I/O in flight at once (the
 * device's queue depth, for one thread prefetching many random pages). Nothing on the way takes a lock: the
 * queue is lock-free and each idle thread is woken by itself ({@code unpark}), so a thread queueing a burst of
 * requests does not contend with the threads it wakes. A thread idle for {@link #KEEP_ALIVE_NANOS} ends, and
 * {@link #close()} stops them all. They are never interrupted, because an interrupt during channel I/O would
 * close the file's channel for every user. A request finding the queue full (or the workers closed) is
 * refused: both users treat it as advice.
 */
final class PageRangeWorkers implements AutoCloseable {
    /** Pages {@code first..last} of {@code file}. */
    record Request(CachedFile file, int first, int last) {}

    /** What one thread does with a request; whatever it throws is dropped, and the thread goes on. */
    @FunctionalInterface
    interface Worker {
        void work(Request r) throws Exception;
    }

    /** How long a thread waits idle for a request before it ends. */
    static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** One thread, and whether it is in {@link #idle} (set by itself, cleared by whoever takes it out). */
    private static final class Runner {
        final AtomicBoolean idle = new AtomicBoolean();
        volatile Thread thread;
    }

    private final MpmcAtomicArrayQueue<Request> queue;
    private final int maxThreads;
    private final String name;
    private final Supplier<Worker> perThread;
    private final ConcurrentLinkedQueue<Runner> idle = new ConcurrentLinkedQueue<>();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    /** Threads running or starting. */
    private final AtomicInteger running = new AtomicInteger();

    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param maxThreads most threads at once
     * @param perThread  makes each thread's worker, in that thread (it may hold buffers of its own)
     */
    PageRangeWorkers(int maxThreads, int capacity, String name, Supplier<Worker> perThread) {
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads " + maxThreads + " < 1");
        }
        this.queue = new MpmcAtomicArrayQueue<>(capacity);
        this.maxThreads = maxThreads;
        this.name = name;
        this.perThread = perThread;
    }

    /** @return whether the request was queued (not when the queue is full or the workers are closed) */
    boolean submit(CachedFile file, int first, int last) {
        if (closed || !queue.offer(new Request(file, first, last))) {
            return false;
        }
        Runner r;
        while ((r = idle.poll()) != null) {
            if (r.idle.compareAndSet(true, false)) {
                LockSupport.unpark(r.thread);
                return true;
            }
        }
        // none idle: one more thread, if there may be more (else a busy one takes the request when it is done)
        if (tryReserveThread()) {
            Thread t = new Thread(this::run, name + "-" + started.getAndIncrement());
            t.setDaemon(true);
            threads.add(t);
            t.start();
            if (closed) {
                LockSupport.unpark(t);
            }
        }
        return true;
    }

    private boolean tryReserveThread() {
        for (; ; ) {
            int n = running.get();
            if (n >= maxThreads || closed) {
                return false;
            }
            if (running.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** @return threads running now */
    int threads() {
        return running.get();
    }

    private void run() {
        Runner me = new Runner();
        me.thread = Thread.currentThread();
        try {
            Worker worker = perThread.get();
            long idleSince = System.nanoTime();
            while (!closed) {
                Request r = queue.poll();
                if (r != null) {
                    try {
                        worker.work(r);
                    } catch (Throwable e) {
                        // advice only: the worker released what it took; a later read retries and reports
                    }
                    idleSince = System.nanoTime();
                    continue;
                }
                if (!me.idle.get() && me.idle.compareAndSet(false, true)) {
                    idle.offer(me);
                }
                if (!queue.isEmpty()) {
                    continue; // queued as this thread went idle: take it (a submitter may still wake it, harmlessly)
                }
                long left = KEEP_ALIVE_NANOS - (System.nanoTime() - idleSince);
                if (left <= 0) {
                    if (me.idle.compareAndSet(true, false)) {
                        idle.remove(me);
                        running.decrementAndGet();
                        // a request queued while no thread was idle and this one was still counted: stay for it
                        if (queue.isEmpty() || !tryReserveThread()) {
                            return;
                        }
                        idleSince = System.nanoTime();
                    }
                    continue; // taken out of the idle queue by a submitter: there is a request
                }
                LockSupport.parkNanos(this, left);
            }
            if (me.idle.compareAndSet(true, false)) {
                idle.remove(me);
            }
            running.decrementAndGet();
        } catch (Throwable e) {
            // the worker's set-up failed (out of memory): this thread ends, the others go on
            if (me.idle.compareAndSet(true, false)) {
                idle.remove(me);
            }
            running.decrementAndGet();
        } finally {
            threads.remove(Thread.currentThread());
        }
    }

    /** Stops the threads, waiting a bounded time (10 s in all) for requests in flight. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        queue.clear();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
        for (Thread t : threads) {
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
