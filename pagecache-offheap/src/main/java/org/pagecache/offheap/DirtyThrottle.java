package org.pagecache.offheap;

import static org.pagecache.offheap.frame.FrameTable.DIRTY;
import static org.pagecache.offheap.frame.FrameTable.LOCKED;
import static org.pagecache.offheap.frame.FrameTable.WRITEBACK;

import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.reclaim.PageOwner;
import org.pagecache.offheap.reclaim.Reclaimer;

/**
 * Bounds the dirty pages, in the manner of Linux's {@code dirty_ratio} and {@code dirty_background_ratio}.
 *
 * <p>Pages that are dirty or under write-back are counted (an estimate: each write that dirties a clean page
 * adds one, each page written back by anyone subtracts one, and the write-back thread recounts the frames at
 * every pass and, when pages were dirtied, every 100 ms while idle). Above the <em>background</em> limit
 * a daemon thread writes dirty pages back, grouped by file and in page order, so the reclaimer's
 * write-back turns each run of file-adjacent pages into one large write. Above the <em>dirty</em> limit a
 * writer waits before it dirties more, until write-back brings the count under the limit: a writer that
 * outruns the device runs at the device's pace instead of filling the cache with pages nobody can evict, and
 * readers keep finding clean frames to page into. The wait is bounded by the frame wait timeout (then the write
 * goes on), ends at once when a pass of the write-back thread could clean nothing (a failing store: waiting
 * would not help, and the write-back error is reported by flush and sync as always), and an interrupt ends it
 * with {@link InterruptedIOException} (the interrupt flag stays set). Nothing waits with a page or structural
 * lock held.
 */
final class DirtyThrottle implements AutoCloseable {
    /** Pages per write-back call of a pass: the reclaimer writes each run of adjacent pages among them at once. */
    private static final int BATCH = 512;

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final FrameTable frames;
    private final Reclaimer reclaimer;
    private final IntFunction<PageOwner> owners;
    private final long limit;
    private final long background;
    private final long waitNanos;
    private final String name;
    /** Pages dirtied since the last count, plus that count ({@link #estimate()} subtracts the write-backs). */
    private final AtomicLong dirty = new AtomicLong();
    /** The reclaimer's write-back total when {@link #dirty} was last set from a count. */
    private volatile long writebacksAtCount;

    private final LongAdder waits = new LongAdder();
    private final LongAdder waitNanosTotal = new LongAdder();
    private final LongAdder pagesWritten = new LongAdder();
    private volatile long passes;
    private volatile boolean lastPassCleaned = true;
    private volatile boolean flushing;
    /** Set by {@link #dirtied()}: the idle write-back thread recounts (a recount can lose a concurrent add). */
    private volatile boolean dirtiedSinceCount;

    private volatile Thread thread;
    private volatile boolean closed;

    /**
     * @param limit      dirty pages above which writers wait
     * @param background dirty pages above which background write-back runs
     */
    DirtyThrottle(
            FrameTable frames,
            Reclaimer reclaimer,
            IntFunction<PageOwner> owners,
            long limit,
            long background,
            long waitNanos,
            String name) {
        this.frames = frames;
        this.reclaimer = reclaimer;
        this.owners = owners;
        this.limit = limit;
        this.background = background;
        this.waitNanos = waitNanos;
        this.name = name;
    }

    /** @return dirty pages above which writers wait */
    long limit() {
        return limit;
    }

    /** @return dirty pages above which background write-back runs */
    long backgroundLimit() {
        return background;
    }

    /** @return the current estimate of dirty pages (and pages under write-back) */
    long dirtyEstimate() {
        return estimate();
    }

    /**
     * Dirty pages now, estimated: the last count, plus the pages dirtied since, minus the pages written back
     * since by anyone (flush, sync, the reclaimer, this class's thread).
     */
    private long estimate() {
        return dirty.get() - (reclaimer.writebacks() - writebacksAtCount);
    }

    /** @return writes that waited for write-back */
    long waits() {
        return waits.sum();
    }

    /** @return nanoseconds writers spent waiting for write-back */
    long waitNanos() {
        return waitNanosTotal.sum();
    }

    /** @return pages written back by the background write-back thread */
    long pagesWritten() {
        return pagesWritten.sum();
    }

    /** A clean page became dirty (counted after its lock was released). */
    void dirtied() {
        dirty.incrementAndGet();
        if (!dirtiedSinceCount) {
            dirtiedSinceCount = true;
        }
        if (!flushing && estimate() > background) {
            wakeFlusher();
        }
    }

    /**
     * Called by a writer before it dirties a page, with no lock held: waits while the dirty pages are over the
     * limit (see the class comment for the bounds).
     *
     * @param done bytes the calling write has written so far (reported by an interrupted wait)
     */
    void balance(long done) throws InterruptedIOException {
        if (dirty.get() <= limit || estimate() <= limit) {
            return;
        }
        wakeFlusher();
        long start = System.nanoTime();
        long passAtStart = passes;
        waits.increment();
        try {
            while (estimate() > limit && !closed) {
                if (Thread.currentThread().isInterrupted()) {
                    InterruptedIOException e = new InterruptedIOException("interrupted while waiting for the"
                            + " write-back of dirty pages (" + estimate() + " dirty, limit " + limit + "); "
                            + done + " bytes of this write were written; the interrupt flag stays set");
                    e.bytesTransferred = (int) Math.min(done, Integer.MAX_VALUE);
                    throw e;
                }
                if (System.nanoTime() - start - waitNanos >= 0) {
                    return; // bounded: the frame allocator's own wait is the backstop
                }
                if (passes > passAtStart + 1 && !lastPassCleaned) {
                    return; // write-back cannot clean pages now (a failing store): waiting would not help
                }
                LockSupport.parkNanos(this, POLL_NANOS);
            }
        } finally {
            waitNanosTotal.add(System.nanoTime() - start);
        }
    }

    private void wakeFlusher() {
        Thread t = thread;
        if (t == null) {
            t = start();
            if (t == null) {
                return;
            }
        }
        LockSupport.unpark(t);
    }

    private synchronized Thread start() {
        if (thread == null && !closed) {
            Thread t = new Thread(this::run, name);
            t.setDaemon(true);
            thread = t;
            t.start();
        }
        return thread;
    }

    private void run() {
        while (!closed) {
            if (estimate() <= background) {
                flushing = false;
                LockSupport.parkNanos(this, IDLE_NANOS);
                if (dirtiedSinceCount) {
                    recount();
                }
                if (estimate() <= background) {
                    continue;
                }
            }
            flushing = true;
            try {
                boolean cleaned = pass();
                lastPassCleaned = cleaned;
                passes++;
                if (!cleaned) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
                }
            } catch (Throwable t) {
                // the reclaimer's write-back put every claimed page back to dirty and told its file
                lastPassCleaned = false;
                passes++;
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    /**
     * One pass: counts the dirty pages, then writes back the dirty pages it found (not locked, not under
     * write-back), file by file in page order, until the count is at half the background limit.
     *
     * @return whether any page was written back
     */
    private boolean pass() {
        dirtiedSinceCount = false;
        long dirtiedBefore = dirty.get();
        int n = frames.frames();
        long count = 0;
        Int2ObjectHashMap<LongArrayList> bySlot = new Int2ObjectHashMap<>();
        for (int f = 0; f < n; f++) {
            long s = frames.state(f);
            if (!FrameState.hasAny(s, DIRTY | WRITEBACK)) {
                continue;
            }
            count++;
            int slot = FrameTable.slot(s);
            if (slot == 0 || FrameState.hasAny(s, LOCKED | WRITEBACK)) {
                continue;
            }
            LongArrayList list = bySlot.get(slot);
            if (list == null) {
                list = new LongArrayList();
                bySlot.put(slot, list);
            }
            list.addLong((((long) frames.pageIndex(f)) << 32) | f);
        }
        setCount(count, dirtiedBefore);
        boolean cleaned = false;
        int[] batch = new int[BATCH];
        for (Int2ObjectHashMap<LongArrayList>.EntryIterator it =
                        bySlot.entrySet().iterator();
                it.hasNext(); ) {
            it.next();
            int slot = it.getIntKey();
            long[] sorted = it.getValue().toLongArray();
            Arrays.sort(sorted);
            PageOwner owner = owners.apply(slot);
            if (owner == null) {
                continue;
            }
            for (int i = 0; i < sorted.length && !closed; ) {
                int m = 0;
                for (; i < sorted.length && m < BATCH; i++) {
                    batch[m++] = (int) sorted[i];
                }
                long before = reclaimer.writebacks();
                reclaimer.writer().writeBack(owner, batch, m, false);
                long written = reclaimer.writebacks() - before;
                if (written > 0) {
                    cleaned = true;
                    pagesWritten.add(written);
                }
                if (estimate() <= background / 2) {
                    return true;
                }
            }
        }
        return cleaned;
    }

    /** Sets the estimate to the frames dirty or under write-back now. */
    private void recount() {
        dirtiedSinceCount = false;
        long dirtiedBefore = dirty.get();
        int n = frames.frames();
        long count = 0;
        for (int f = 0; f < n; f++) {
            if (FrameState.hasAny(frames.state(f), DIRTY | WRITEBACK)) {
                count++;
            }
        }
        setCount(count, dirtiedBefore);
    }

    /**
     * Restarts the estimate from a count of the frames that has just ended. Whatever happened during the count
     * errs on the high side, corrected by the next count: a write-back that completed during it is not
     * subtracted (the count may have seen its pages still dirty), and a page dirtied during it is added (the
     * count may have passed its frame before). Never low: taking the write-back total from before the count
     * subtracted a run that completed during it although the count had missed its pages already, and setting
     * the count over the pages dirtied during it dropped them, so a writer could go past the limit by as much as
     * the largest write-back run.
     *
     * @param dirtiedBefore {@link #dirty} when the count began
     */
    private void setCount(long count, long dirtiedBefore) {
        writebacksAtCount = reclaimer.writebacks();
        dirty.addAndGet(count - dirtiedBefore);
    }

    /** Stops the write-back thread, waiting a bounded time for a pass in flight. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
