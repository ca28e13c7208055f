package org.pagecache.offheap;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * The page-ins of {@link org.pagecache.api.PagedFile#prefetch} through one {@link Uring} and one daemon thread,
 * where io_uring is available: the thread takes the queued page ranges, begins a page-in of each page not cached
 * (a frame bound, locked and installed, the file's structural lock held shared, as a read's page-in does), queues
 * its read of the frame's memory, gives the kernel all it queued in one system call, and completes each page as
 * its read comes back. So one thread keeps up to {@link #DEPTH} reads in flight, with one system call per batch
 * instead of a thread woken and parked per read.
 *
 * <p>A reader of a page in flight waits for its frame lock, as it waits for any page-in. A read that fails (a
 * negative result) abandons the page: the next read of it reads it again through the store and reports the
 * error, so a prefetch never throws. A short read (the end of the file) is completed through the store. A file
 * whose store gives no {@link org.pagecache.offheap.store.BackingStore#bypassReadPath() bypass path} (a store that
 * injects faults) has its ranges handed to the thread-per-read {@code fallback}, and so does everything after the
 * ring failed to set up.
 *
 * <p>A frame whose read is in flight stays locked and its file's structural lock stays held shared until the
 * read completes, so neither eviction, truncation nor a close of the file can touch the memory the kernel writes.
 * {@link #close()} stops taking requests and waits, bounded, for the reads in flight before the ring is closed.
 */
final class UringPrefetcher implements AutoCloseable {
    /** Most reads in flight. */
    static final int DEPTH = 64;

    private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MpmcAtomicArrayQueue<PageRangeWorkers.Request> queue;
    private final Prefetcher fallback;
    private final String name;
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private final Object startLock = new Object();
    private volatile Thread thread;
    private volatile boolean closed;
    /** Set when the ring could not be set up or broke: every request goes to the fallback. */
    private volatile boolean failed;

    private volatile String failure;

    // the thread's own state: one slot per read in flight
    private final CachedFile[] slotFile = new CachedFile[DEPTH];
    private final int[] slotFrame = new int[DEPTH];
    private final int[] slotPage = new int[DEPTH];
    private final long[] slotStamp = new long[DEPTH];
    private final int[] freeSlots = new int[DEPTH];
    private int freeCount;
    private int inFlight;
    /** Reads completed through the ring. */
    private final java.util.concurrent.atomic.LongAdder completed = new java.util.concurrent.atomic.LongAdder();

    UringPrefetcher(int capacity, String name, Prefetcher fallback) {
        this.queue = new MpmcAtomicArrayQueue<>(capacity);
        this.name = name;
        this.fallback = fallback;
        for (int i = 0; i < DEPTH; i++) {
            freeSlots[i] = DEPTH - 1 - i;
        }
        freeCount = DEPTH;
    }

    /** @return reads completed through the ring */
    long completed() {
        return completed.sum();
    }

    /** @return why the ring is not used (set up or broken), or null while it is */
    String failure() {
        return failure;
    }

    /** @return whether the request was queued here (false when closed, failed or full: the caller falls back) */
    boolean submit(CachedFile file, int first, int last) {
        if (closed || failed || !queue.offer(new PageRangeWorkers.Request(file, first, last))) {
            return false;
        }
        Thread t = thread;
        if (t == null) {
            start();
        } else if (sleeping.get() && sleeping.compareAndSet(true, false)) {
            LockSupport.unpark(t);
        }
        return true;
    }

    private void start() {
        synchronized (startLock) {
            if (thread == null && !closed) {
                Thread t = new Thread(this::run, name);
                t.setDaemon(true);
                thread = t;
                t.start();
            }
        }
    }

    private void run() {
        Uring ring;
        try {
            ring = new Uring(DEPTH);
        } catch (Throwable e) {
            fail("io_uring set-up failed: " + e.getMessage());
            return;
        }
        try {
            loop(ring);
        } catch (Throwable e) {
            fail("io_uring failed: " + e);
            drain(ring);
        } finally {
            if (inFlight == 0) {
                ring.close();
            }
            // else reads are still in flight after a bounded wait: the ring (and the frames' locks) are left
            // as they are, so no frame the kernel may still write is ever reused
        }
    }

    private void fail(String why) {
        failure = why;
        failed = true;
        PageRangeWorkers.Request r;
        while ((r = queue.poll()) != null) {
            fallback.submitToThreads(r.file(), r.first(), r.last());
        }
    }

    private void loop(Uring ring) throws Exception {
        PageRangeWorkers.Request current = null;
        int next = 0;
        while (!closed) {
            // queue reads while there are slots and pages asked for
            while (inFlight < DEPTH && freeCount > 0) {
                if (current == null) {
                    current = queue.poll();
                    if (current == null) {
                        break;
                    }
                    next = current.first();
                }
                if (next > current.last() || current.file().isClosed()) {
                    current = null;
                    continue;
                }
                int page = next++;
                if (!queueRead(ring, current.file(), page)) {
                    // no bypass for this file: the rest of the range goes to the threads
                    fallback.submitToThreads(current.file(), page, current.last());
                    current = null;
                }
            }
            if (inFlight == 0) {
                if (current == null && queue.isEmpty()) {
                    sleeping.set(true);
                    if (queue.isEmpty() && !closed) {
                        LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                    }
                    sleeping.set(false);
                }
                continue;
            }
            boolean more = (current != null || !queue.isEmpty()) && inFlight < DEPTH && freeCount > 0;
            ring.enter(more ? 0 : 1);
            ring.reap(this::complete);
        }
        drain(ring);
    }

    /** Waits, bounded, for the reads in flight and completes them. */
    private void drain(Uring ring) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (inFlight > 0 && System.nanoTime() - deadline < 0) {
            try {
                ring.enter(1);
            } catch (Throwable e) {
                LockSupport.parkNanos(1_000_000);
            }
            ring.reap(this::complete);
        }
    }

    /**
     * Begins the page-in of {@code page} of {@code file} and queues its read.
     *
     * @return false if the file has no bypass (its pages must go through the store)
     */
    private boolean queueRead(Uring ring, CachedFile file, int page) {
        // never waits for the lock: a truncation or close waiting for it waits for this thread's reads in flight
        long stamp = file.tryLockShared();
        if (stamp == 0) {
            return true; // closed, or held exclusively now: advice only, the page is left out
        }
        boolean handedOff = false;
        try {
            int fd = file.asyncReadFd();
            if (fd < 0) {
                return false;
            }
            int f;
            try {
                f = file.beginPageIn(page);
            } catch (Throwable e) {
                return true; // no frame in time: advice only
            }
            if (f < 0) {
                return true;
            }
            int s = freeSlots[--freeCount];
            try {
                slotFile[s] = file;
                slotFrame[s] = f;
                slotPage[s] = page;
                slotStamp[s] = stamp;
                ring.queueRead(fd, file.frameAddress(f), file.pageSize(), (long) page * file.pageSize(), s);
                handedOff = true;
                inFlight++;
            } catch (Throwable e) {
                slotFile[s] = null;
                freeSlots[freeCount++] = s;
                file.abandon(f, page);
                throw e;
            }
            return true;
        } finally {
            if (!handedOff) {
                file.unlockShared(stamp);
            }
        }
    }

    private void complete(long tag, int result) {
        int s = (int) tag;
        CachedFile file = slotFile[s];
        int f = slotFrame[s];
        int page = slotPage[s];
        long stamp = slotStamp[s];
        slotFile[s] = null;
        freeSlots[freeCount++] = s;
        inFlight--;
        completed.increment();
        try {
            if (result < 0) {
                file.abandon(f, page); // the next read of the page reads it through the store and reports
            } else {
                file.completePageIn(f, page, result);
            }
        } catch (Throwable e) {
            // advice only: completePageIn abandoned the page; a later read retries and reports
        } finally {
            file.unlockShared(stamp);
        }
    }

    /** Stops taking requests, waits (bounded) for the reads in flight, and closes the ring. */
    @Override
    public void close() {
        synchronized (startLock) {
            closed = true;
        }
        queue.clear();
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(11));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
