package org.pagecache.offheap;

import static org.pagecache.offheap.frame.FrameTable.UPTODATE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.frame.TranslationTable;
import org.pagecache.offheap.reclaim.Reclaimer;
import org.pagecache.offheap.store.BackingStore;

/**
 * Sequential read-ahead, in the manner of Linux's on-demand read-ahead ({@code mm/readahead.c}).
 *
 * <p>Each file keeps one {@link Window}. A read that misses a page right after the page its previous miss was
 * for (or a page inside the current or the previous window: a reader that outran its read-ahead, or whose
 * read-ahead was dropped or evicted) is sequential: the reader itself reads a window from that page on with one
 * large read, starting at {@value #INITIAL} pages and doubling with every window up to the maximum. A page in
 * the window is its <em>marker</em>: a read that reaches it queues the next window for the background, and the
 * first page of each background window is the marker of the one after it. So while a reader consumes one window
 * the next is already being read, and a sequential reader stops missing. Any other miss is random: it resets
 * the window and reads nothing more, so random access pays a few field writes. The state is a heuristic shared
 * by every handle of the file without a lock; a race between two readers at worst starts or drops one window.
 *
 * <p>A background window is read by one of two daemon threads, and every window in large I/Os: every run of consecutive pages not cached is
 * bound to frames (locked, so a reader that reaches one waits for it instead of reading it again), read with one
 * {@link BackingStore#read} into an aligned buffer of up to {@code maxPages} pages (aligned, so direct I/O takes
 * it) and copied into the frames. Read-ahead takes only frames that are free already (it never evicts itself;
 * it may wake the reclaimer), and at most the maximum window per step of a reader, so what it displaces is
 * bounded by two windows per sequential stream; its pages are admitted not referenced, so eviction takes them
 * first if nobody reads them. An I/O error drops the run's frames and is otherwise ignored: a later read of the
 * page reads it again and reports the error.
 */
final class ReadAhead implements AutoCloseable {
    /** Pages of a file's first window. */
    static final int INITIAL = 4;

    private static final int MAX_STALLS = 100;

    /** The sequential state of one file. Racy on purpose: see the class comment. */
    static final class Window {
        private int previousMiss = Integer.MIN_VALUE;
        /** The first page of the window before the current one (a reader may still be in it). */
        private int low;

        private int start;
        private int size;
        /** The page whose read queues the next window; -1 for none. */
        final AtomicInteger marker = new AtomicInteger(-1);
    }

    private final int maxPages;
    private final int pageSize;
    private final int pageShift;
    private final FrameTable frames;
    private final Reclaimer reclaimer;
    private final Counters counters;
    /** Two daemon threads reading background windows, 256 windows queued at most. */
    private final PageRangeWorkers workers;

    private final LongAdder pages = new LongAdder();
    private final LongAdder reads = new LongAdder();
    private final LongAdder windows = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder failed = new LongAdder();
    /** Buffers of readers' synchronous windows, reused. */
    private final java.util.concurrent.ConcurrentLinkedQueue<MemorySegment> buffers =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /**
     * Per frame, the page it was read ahead for ({@link #key}), until the first read of it: that read is the
     * page's first touch, which is not a use (as a fault is not), so it does not set {@code REFERENCED}.
     */
    private final AtomicLongArray fresh;

    /**
     * @param maxPages the largest window; 0 disables read-ahead
     */
    ReadAhead(int maxPages, FrameTable frames, Reclaimer reclaimer, Counters counters, String name) {
        this.maxPages = maxPages;
        this.frames = frames;
        this.reclaimer = reclaimer;
        this.counters = counters;
        this.pageSize = frames.pageSize();
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.workers = new PageRangeWorkers(2, 256, name, this::newWorker);
        this.fresh = maxPages > 0 ? new AtomicLongArray(frames.frames()) : null;
    }

    private static long key(int slot, int page) {
        return ((long) slot << 32 | (page & 0xFFFFFFFFL)) + 1;
    }

    /**
     * A hit of an unreferenced frame: whether it is the first read of a page read ahead into it (then it is
     * not a use, and the mark is gone: the next hit is one).
     */
    boolean firstUse(int frame, int slot, int page) {
        if (fresh == null) {
            return false;
        }
        long k = key(slot, page);
        return fresh.get(frame) == k && fresh.compareAndSet(frame, k, 0);
    }

    /** @return the largest window in pages (0: read-ahead is off) */
    int maxPages() {
        return maxPages;
    }

    /** @return pages read ahead */
    long pages() {
        return pages.sum();
    }

    /** @return store reads issued by read-ahead */
    long reads() {
        return reads.sum();
    }

    /** @return windows queued */
    long windows() {
        return windows.sum();
    }

    /** @return windows dropped (queue full) plus runs whose read failed */
    long dropped() {
        return dropped.sum() + failed.sum();
    }

    /**
     * A read's miss of {@code page}, before it pages the page in. A sequential miss reads a window from
     * {@code page} on at once, in the calling thread, with one large read (the caller then finds its page
     * cached), and sets the marker in the middle of it; any other miss resets the window. Errors are dropped:
     * the caller's own page-in reports them.
     */
    void onMiss(CachedFile file, Window w, int page) {
        if (maxPages == 0 || workers.isClosed()) {
            return;
        }
        int previous = w.previousMiss;
        w.previousMiss = page;
        boolean sequential =
                page == previous + 1 || (w.size > 0 && page >= w.low && (long) page < (long) w.start + w.size);
        if (!sequential) {
            w.size = 0;
            w.marker.set(-1);
            return;
        }
        int size = w.size == 0 ? Math.min(INITIAL, maxPages) : Math.min(2 * w.size, maxPages);
        int last = window(file, w, page, size);
        if (last < 0) {
            return;
        }
        w.marker.set(size > 1 ? page + size / 2 : -1);
        MemorySegment buffer = buffers.poll();
        if (buffer == null) {
            buffer = Arena.ofAuto().allocate((long) maxPages * pageSize, pageSize);
        }
        try {
            windows.increment();
            read(file, page, last, buffer, new int[maxPages]);
        } catch (RuntimeException | Error e) {
            failed.increment(); // every frame taken was released; the caller's page-in reports what is wrong
        } finally {
            buffers.offer(buffer);
        }
    }

    /** A read reached the marker page {@code page}: queues the next window (once, whoever gets here first). */
    void onMarker(CachedFile file, Window w, int page) {
        if (!w.marker.compareAndSet(page, -1) || workers.isClosed()) {
            return;
        }
        w.previousMiss = page;
        int start = w.start + w.size;
        int last = window(file, w, start, Math.min(2 * w.size, maxPages));
        if (last >= 0) {
            w.marker.set(start);
            submit(file, start, last);
        }
    }

    /** Makes {@code [start, start + size)} the current window; @return its last page in the file, or -1. */
    private int window(CachedFile file, Window w, int start, int size) {
        long fileSize = file.size();
        w.low = w.size > 0 ? Math.min(w.start, start) : start;
        w.start = start;
        w.size = size;
        if (fileSize <= 0 || start < 0 || start > (fileSize - 1) >>> pageShift) {
            w.marker.set(-1);
            return -1;
        }
        return (int) Math.min((fileSize - 1) >>> pageShift, (long) start + size - 1);
    }

    private void submit(CachedFile file, int first, int last) {
        windows.increment();
        if (!workers.submit(file, first, last)) {
            dropped.increment();
        }
    }

    /** A background thread's worker, with its own buffer and run (made in that thread). */
    private PageRangeWorkers.Worker newWorker() {
        // freed by the GC with the thread's last use: close() waits for the threads only a bounded time
        MemorySegment buffer = Arena.ofAuto().allocate((long) maxPages * pageSize, pageSize);
        int[] run = new int[maxPages];
        return r -> {
            try {
                read(r.file(), r.first(), r.last(), buffer, run);
            } catch (Throwable e) {
                // advice only: every frame taken was released by read(); a later read retries and reports
                failed.increment();
            }
        };
    }

    /** Reads pages {@code first..last} of {@code file} that are not cached, in runs of consecutive pages. */
    private void read(CachedFile file, int first, int last, MemorySegment buffer, int[] run) {
        long stamp;
        try {
            stamp = file.lockShared();
        } catch (ClosedChannelException e) {
            return;
        }
        try {
            long size = file.size();
            if (size <= 0) {
                return;
            }
            int end = (int) Math.min(last, (size - 1) >>> pageShift);
            TranslationTable table = file.table();
            int slot = file.slot();
            int p = first;
            while (p <= end && !workers.isClosed()) {
                if (table.get(p) >= 0) {
                    p++;
                    continue;
                }
                int runStart = p;
                int n = 0;
                boolean noFrame = false;
                while (p <= end && n < run.length && table.get(p) < 0) {
                    int f = reclaimer.tryAllocate();
                    if (f < 0) {
                        noFrame = true;
                        break;
                    }
                    frames.bindLocked(f, slot, p);
                    if (!table.install(p, f)) {
                        frames.unbindAndUnlock(f);
                        reclaimer.free(f);
                        break;
                    }
                    reclaimer.admitted(f, slot, p); // not referenced: read ahead is not a use
                    run[n++] = f;
                    p++;
                }
                if (n > 0) {
                    fill(file, runStart, run, n, buffer);
                }
                if (noFrame) {
                    return; // the reclaimer was woken; the reader's miss in this window queues it again
                }
            }
        } finally {
            file.unlockShared(stamp);
        }
    }

    /** Reads a run of bound, locked frames with one store read, then unlocks them uptodate, or drops them all. */
    private void fill(CachedFile file, int firstPage, int[] run, int n, MemorySegment buffer) {
        long bytes = (long) n * pageSize;
        long position = (long) firstPage << pageShift;
        int done = 0;
        try {
            BackingStore store = file.store();
            if (store == null) {
                throw new ClosedChannelException();
            }
            ByteBuffer bb = buffer.asSlice(0, bytes).asByteBuffer();
            int stalls = 0;
            while (bb.hasRemaining()) {
                int r = store.read(bb, position + bb.position());
                if (r < 0) {
                    break;
                }
                if (r == 0 && ++stalls > MAX_STALLS) {
                    throw new IOException("read-ahead of " + file.path() + " made no progress");
                }
            }
            reads.increment();
            if (bb.position() < bytes) {
                buffer.asSlice(bb.position(), bytes - bb.position()).fill((byte) 0);
            }
            for (; done < n; done++) {
                int f = run[done];
                MemorySegment.copy(buffer, (long) done * pageSize, frames.memory(), frames.offset(f), pageSize);
                fresh.set(f, key(file.slot(), firstPage + done));
                frames.unlock(f, UPTODATE, 0);
            }
            pages.add(n);
            counters.faults(n);
        } catch (IOException | RuntimeException | Error e) {
            for (int i = done; i < n; i++) {
                int f = run[i];
                file.table().remove(firstPage + i, f);
                frames.unbindAndUnlock(f);
                reclaimer.free(f);
            }
            failed.increment();
        }
    }

    /** Stops the threads, waiting a bounded time for a window in flight. */
    @Override
    public void close() {
        workers.close();
    }
}
