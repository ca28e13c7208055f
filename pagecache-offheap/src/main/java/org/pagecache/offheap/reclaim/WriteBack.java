package org.pagecache.offheap.reclaim;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.agrona.collections.IntHashSet;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.jfr.WritebackBatchEvent;

/**
 * Writes dirty pages back: a file's pages for its flush and sync ({@link #writeBack}), and the dirty victims of
 * the {@link Reclaimer}'s sweep and direct reclaim, grouped by file ({@link #writeBackFrames}); one
 * write per run of file-adjacent pages. Apart from the sweep, so durability does not depend on the eviction
 * class.
 *
 * <p>Protocol (the calls are {@link FrameTable}'s): under the page lock, {@code writeBackCheck}, the page copied
 * into a snapshot ({@link SnapshotPool}), {@code claimWriteBack} ({@code DIRTY} traded for {@code WRITEBACK}, the
 * lock released); the I/O runs unlocked from the snapshot, so a writer that locks the page after the claim
 * dirties it again and cannot tear what reaches the file; then {@code completeWriteBack} ({@code UNSYNCED} until
 * the next force) or {@code failWriteBack} ({@code DIRTY} and {@code ERROR} back, the file told, so the data is
 * never dropped and the error is reported by its next flush or sync). Every {@code Throwable} between claim and
 * completion puts the claimed pages back to dirty with {@code ERROR} before it propagates.
 */
public final class WriteBack implements AutoCloseable {
    /**
     * Most bytes in one write of a run of adjacent pages (at least one page): 1 MiB, 256 pages of 4 KiB. A
     * direct write of a growing file on ext4 runs one at a time per file, so its size is what sets the
     * bandwidth of write-back; measured in docs/benchmarks.md ("Disk"), 1 MiB writes went at 1.5x the rate of
     * 256 KiB ones.
     */
    public static final int MAX_RUN_BYTES = 1 << 20;
    /** Most frames {@link #writeBackFrames} sorts at once: the index field of {@link #sortKey}. */
    static final int MAX_BATCH = 1 << 16;

    private static final int MAX_FLUSH_PASSES = 1000;
    private static final int INDEX_BITS = 16;
    private static final int PAGE_BITS = 31;
    private static final int SLOT_SHIFT = INDEX_BITS + PAGE_BITS;

    private final FrameTable frames;
    private final IntFunction<PageOwner> owners;
    private final long frameWaitNanos;
    /** Most pages in one write: {@link #MAX_RUN_BYTES} in pages. */
    private final int maxRun;

    private final SnapshotPool snapshots;
    private final LongAdder writebacks = new LongAdder();
    private final LongAdder writebackBatches = new LongAdder();
    private volatile IOException lastWritebackError;

    /**
     * @param frames         the frames
     * @param owners         file slot to file
     * @param frameWaitNanos how long a waiting write-back (flush, sync) waits for a page lock or a write-back in
     *                       flight
     */
    public WriteBack(FrameTable frames, IntFunction<PageOwner> owners, long frameWaitNanos) {
        this.frames = frames;
        this.owners = owners;
        this.frameWaitNanos = frameWaitNanos;
        this.maxRun = Math.max(1, MAX_RUN_BYTES / frames.pageSize());
        this.snapshots = new SnapshotPool(frames.pageSize(), maxRun);
    }

    /**
     * The key {@link #writeBackFrames} sorts a batch by: file, then page, then the frame's place in the batch.
     * <pre>
     *   63 62            47 46                             16 15              0
     *  +--+----------------+--------------------------------+----------------+
     *  |0 | file slot (16) |         page index (31)        | batch index(16)|
     *  +--+----------------+--------------------------------+----------------+
     * </pre>
     * Positive (slots are at most 16 bits), so a signed sort orders it; the batch index fits because a batch
     * holds at most {@link #MAX_BATCH} frames.
     */
    static long sortKey(int slot, int page, int index) {
        assert slot >= 0 && slot <= FrameTable.MAX_SLOT && page >= 0 && index >= 0 && index < MAX_BATCH
                : "slot " + slot + ", page " + page + ", index " + index;
        return ((long) slot << SLOT_SHIFT) | ((long) page << INDEX_BITS) | index;
    }

    /** @return the file slot of a {@link #sortKey} */
    static int keySlot(long key) {
        return (int) (key >>> SLOT_SHIFT);
    }

    /** @return the batch index of a {@link #sortKey} */
    static int keyIndex(long key) {
        return (int) (key & (MAX_BATCH - 1));
    }

    /** @return pages written back */
    public long writebacks() {
        return writebacks.sum();
    }

    /** @return write-back I/O calls */
    public long writebackBatches() {
        return writebackBatches.sum();
    }

    /** @return the last write-back failure of any file, or null */
    public IOException lastError() {
        return lastWritebackError;
    }

    /** Frees the snapshot buffers; called once nothing writes back any more. */
    @Override
    public void close() {
        snapshots.close();
    }

    /**
     * Writes back dirty frames of any files: grouped by file, in page order. One file's failure (even an
     * {@code Error}) does not stop the others' write-back; its frames are dirty again and it is recorded on the
     * file by {@link #writeRun}.
     *
     * @param list  frames, at most {@link #MAX_BATCH}
     *
     * @param rethrow whether to rethrow the first {@code Throwable} once every file was tried (the reclaimer's
     *                sweep, which counts it); direct reclaim drops it
     */
    void writeBackFrames(int[] list, int count, boolean rethrow) {
        if (count > MAX_BATCH) {
            throw new IllegalArgumentException("a batch of " + count + " frames; at most " + MAX_BATCH);
        }
        long[] keys = new long[count];
        int k = 0;
        for (int i = 0; i < count; i++) {
            int slot = frames.slotOf(list[i]);
            if (slot != 0) {
                keys[k++] = sortKey(slot, frames.pageIndex(list[i]), i);
            }
        }
        Arrays.sort(keys, 0, k);
        Throwable first = null;
        int[] group = new int[k];
        int start = 0;
        while (start < k) {
            int slot = keySlot(keys[start]);
            int end = start;
            int g = 0;
            while (end < k && keySlot(keys[end]) == slot) {
                group[g++] = list[keyIndex(keys[end])];
                end++;
            }
            PageOwner owner = owners.apply(slot);
            if (owner != null) {
                try {
                    writeBack(owner, group, g, false);
                } catch (Throwable t) {
                    if (first == null) {
                        first = t;
                    }
                }
            }
            start = end;
        }
        if (rethrow && first != null) {
            if (first instanceof Error e) {
                throw e;
            }
            throw first instanceof RuntimeException r ? r : new IllegalStateException(first);
        }
    }

    /**
     * Writes back the dirty frames among {@code list} that belong to {@code owner}, which must be in page order.
     * Frames that are clean or hold another page are passed over. Without {@code wait}, so are frames that are
     * locked or under write-back. With it (flush, sync), page locks are waited for, and frames whose write-back
     * someone else has in flight are waited for <em>after</em> this call's own writes are done, and written again
     * if they were dirtied meanwhile or their write-back failed; so when it returns, every page that was dirty
     * when it started has reached the store. Waits are bounded by the frame wait timeout.
     *
     * @param wait whether to wait for locks and for write-backs in flight
     * @return whether every write-back attempted succeeded
     */
    public boolean writeBack(PageOwner owner, int[] list, int count, boolean wait) {
        boolean ok = true;
        int[] pending = list;
        int pendingCount = count;
        int pageSize = frames.pageSize();
        int[] claimed = new int[maxRun];
        int[] pages = new int[maxRun];
        MemorySegment snapshot = snapshots.acquire();
        try {
            for (int pass = 0; pendingCount > 0; pass++) {
                int[] inFlight = wait ? new int[pendingCount] : null;
                int others = 0;
                boolean stuck = false;
                IntHashSet seen = wait ? new IntHashSet(pendingCount) : null;
                int i = 0;
                while (i < pendingCount) {
                    // claim up to maxRun frames, copying each into the snapshot under its lock, then write them
                    int m = 0;
                    int settled = 0;
                    try {
                        for (; i < pendingCount && m < maxRun; i++) {
                            int f = pending[i];
                            if (wait) {
                                if (!seen.add(f)) {
                                    continue; // listed twice (a stale translation entry)
                                }
                                if (!frames.tryLock(f, frameWaitNanos)) {
                                    stuck = true;
                                    continue;
                                }
                            } else if (!frames.tryLock(f)) {
                                continue;
                            }
                            int check = frames.writeBackCheck(f, owner.slot());
                            if (check == FrameTable.WRITEBACK_NOTHING) {
                                continue;
                            }
                            if (check == FrameTable.WRITEBACK_IN_FLIGHT) {
                                if (wait) {
                                    inFlight[others++] = f; // someone else's write-back: wait for it after ours
                                }
                                continue;
                            }
                            try {
                                MemorySegment.copy(
                                        frames.memory(), frames.offset(f), snapshot, (long) m * pageSize, pageSize);
                                pages[m] = frames.pageIndex(f);
                            } catch (Throwable t) {
                                frames.unlockUnchanged(f, 0, 0);
                                throw t;
                            }
                            frames.claimWriteBack(f); // ERROR stays until a write-back succeeds
                            claimed[m++] = f;
                        }
                        int start = 0;
                        while (start < m) {
                            int end = start + 1;
                            while (end < m && pages[end] == pages[end - 1] + 1) {
                                end++;
                            }
                            ok &= writeRun(owner, claimed, pages, start, end, snapshot);
                            start = end;
                            settled = end;
                        }
                    } catch (Throwable t) {
                        // an Error (or a bug) between claim and write: nothing claimed may stay in write-back
                        for (int j = settled; j < m; j++) {
                            frames.failWriteBack(claimed[j]);
                        }
                        throw t;
                    }
                }
                for (int k = 0; k < others; k++) {
                    if (!frames.awaitClear(inFlight[k], FrameTable.WRITEBACK, frameWaitNanos)) {
                        stuck = true;
                    }
                }
                if (stuck || (others > 0 && pass >= MAX_FLUSH_PASSES)) {
                    owner.writebackFailed(new IOException("a page of " + owner.name() + " stayed locked (by a page"
                            + " guard?) or under write-back for " + TimeUnit.NANOSECONDS.toMillis(frameWaitNanos)
                            + " ms"));
                    return false;
                }
                pending = inFlight;
                pendingCount = others;
            }
            return ok;
        } finally {
            snapshots.release(snapshot);
        }
    }

    private static void commit(
            WritebackBatchEvent event, PageOwner owner, int firstPage, int pages, long bytes, boolean succeeded) {
        event.end();
        if (event.shouldCommit()) {
            event.file = owner.name();
            event.firstPage = firstPage;
            event.pages = pages;
            event.bytes = bytes;
            event.succeeded = succeeded;
            event.commit();
        }
    }

    /**
     * Writes claimed pages {@code start..end-1} (file-adjacent) from their snapshots in one write (the whole
     * pages as one buffer, a page clipped at the end of the file as a second).
     * On every path each of them leaves {@code WRITEBACK}: {@code UNSYNCED} on success, else {@code DIRTY} and
     * {@code ERROR}, reported to the file; an {@code Error} is rethrown after that.
     */
    private boolean writeRun(PageOwner owner, int[] claimed, int[] pages, int start, int end, MemorySegment snapshot) {
        int pageSize = frames.pageSize();
        long position = (long) pages[start] * pageSize;
        WritebackBatchEvent event = null;
        long total = 0;
        try {
            // The run's snapshots are adjacent in the snapshot buffer: its whole pages go out as one buffer (one
            // positional write, no gathering), a page clipped at the end of the file as a second one.
            long size = owner.size();
            int whole = 0;
            int tail = 0;
            for (int i = start; i < end; i++) {
                long pageStart = (long) pages[i] * pageSize;
                int limit = (int) Math.max(0, Math.min(pageSize, size - pageStart));
                if (limit < pageSize) {
                    tail = limit;
                    break;
                }
                whole++;
            }
            total = (long) whole * pageSize + tail;
            ByteBuffer[] buffers = new ByteBuffer[(whole > 0 ? 1 : 0) + (tail > 0 ? 1 : 0)];
            int used = 0;
            if (whole > 0) {
                buffers[used++] = snapshot.asSlice((long) start * pageSize, (long) whole * pageSize)
                        .asByteBuffer();
            }
            if (tail > 0) {
                buffers[used] = snapshot.asSlice((long) (start + whole) * pageSize, tail)
                        .asByteBuffer();
            }
            event = new WritebackBatchEvent();
            event.begin();
            long written = 0;
            int stalls = 0;
            while (written < total) {
                long n = owner.store().write(buffers, position + written);
                if (n <= 0) {
                    if (++stalls > 100) {
                        throw new IOException("write-back made no progress at position " + (position + written));
                    }
                    continue;
                }
                written += n;
            }
            for (int i = start; i < end; i++) {
                frames.completeWriteBack(claimed[i]);
            }
            writebacks.add(end - start);
            writebackBatches.increment();
            commit(event, owner, pages[start], end - start, total, true);
            return true;
        } catch (IOException | RuntimeException e) {
            for (int i = start; i < end; i++) {
                frames.failWriteBack(claimed[i]);
            }
            if (event != null) {
                commit(event, owner, pages[start], end - start, total, false);
            }
            IOException io = e instanceof IOException x ? x : new IOException("write-back failed: " + e, e);
            lastWritebackError = io;
            owner.writebackFailed(io);
            return false;
        } catch (Error e) {
            for (int i = start; i < end; i++) {
                frames.failWriteBack(claimed[i]);
            }
            try {
                IOException io = new IOException("write-back failed: " + e, e);
                lastWritebackError = io;
                owner.writebackFailed(io);
            } catch (Throwable ignored) {
                // out of memory even for the report: the pages carry ERROR, so the next flush writes them again
            }
            throw e;
        }
    }
}
