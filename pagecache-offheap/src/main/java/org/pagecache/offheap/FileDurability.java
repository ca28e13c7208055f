package org.pagecache.offheap;

import static org.pagecache.offheap.frame.FrameTable.DIRTY;
import static org.pagecache.offheap.frame.FrameTable.UNSYNCED;
import static org.pagecache.offheap.frame.FrameTable.WRITEBACK;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.collections.IntArrayList;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.reclaim.WriteBack;

/**
 * The durability of one cached file, below {@link CachedFile}: flush (every dirty page written back), sync (flush,
 * then force) and the bookkeeping of the failures they must report: the last write-back error until its pages
 * are written, and, after a failed force, a loss that is reported for good (PostgreSQL's "fsyncgate"). It takes
 * no structural lock and, before its force, no page lock (the caller may hold a write guard).
 */
final class FileDurability {
    private final CachedFile file;
    private final FrameTable frames;
    private final WriteBack writer;
    private final long waitNanos;
    private final Object syncLock = new Object();
    /** Unsynced pages of the file evicted so far (their data is in the kernel only until the next good force). */
    private final AtomicLong evictedUnsynced = new AtomicLong();
    /** {@link #evictedUnsynced} as of the last good force; guarded by {@link #syncLock}. */
    private long evictedUnsyncedAtLastSync;

    private volatile boolean metadataDirty;
    private volatile IOException writebackError;
    private volatile IOException dataLoss;

    FileDurability(CachedFile file, FrameTable frames, WriteBack writer, long waitNanos) {
        this.file = file;
        this.frames = frames;
        this.writer = writer;
        this.waitNanos = waitNanos;
    }

    /** The file's size changed: the next force includes its metadata. */
    void metadataChanged() {
        metadataDirty = true;
    }

    /** A write-back of the file's pages failed (they stay dirty): reported by the next flush or sync. */
    void writebackFailed(IOException error) {
        writebackError = error;
    }

    /** A page written back but not yet forced was evicted: if the next force fails, its data may be lost. */
    void evictedUnsynced() {
        evictedUnsynced.incrementAndGet();
    }

    /** @return whether a write-back failure or a loss is still to be reported */
    boolean failed() {
        return dataLoss != null || writebackError != null;
    }

    /** @return the failed force after which data may have been lost, or null */
    IOException dataLoss() {
        return dataLoss;
    }

    /** Frames of this file whose state has any of {@code bits}, in page order. */
    private IntArrayList framesWith(long bits) {
        IntArrayList list = new IntArrayList();
        file.table().forEach(0, (p, f) -> {
            if (frames.isBoundWith(f, file.slot(), p, bits)) {
                list.addInt(f);
            }
            return 0;
        });
        return list;
    }

    /** Writes back every dirty page, then reports a loss declared earlier. */
    void flush() throws IOException {
        writeDirtyPages();
        checkLoss();
    }

    /** Throws if data of this file may have been lost after a failed force: reported for good. */
    void checkLoss() throws IOException {
        IOException loss = dataLoss;
        if (loss != null) {
            throw new IOException(
                    "data of " + file.path() + " written back before a failed force may have been lost", loss);
        }
    }

    /**
     * Writes back every dirty page of this file, waiting for write-backs already in flight (so that a sync
     * forces them too).
     *
     * @throws IOException if a write-back failed now, or an earlier one failed and its pages are still dirty
     */
    void writeDirtyPages() throws IOException {
        IntArrayList list = framesWith(DIRTY | WRITEBACK);
        int[] array = list.toIntArray();
        if (!writer.writeBack(file, array, array.length, true)) {
            IOException e = writebackError;
            throw new IOException("write-back of " + file.path() + " failed; its pages stay dirty", e);
        }
        IOException earlier = writebackError;
        if (earlier != null) {
            // an earlier write-back failed: it counts as reported only once its pages are written
            if (framesWith(FrameTable.ERROR).isEmpty()) {
                writebackError = null;
            } else {
                throw new IOException("write-back of " + file.path() + " failed; its pages stay dirty", earlier);
            }
        }
    }

    /** Flush, then force: see {@link #syncLocked}. One sync of the file at a time. */
    void sync() throws IOException {
        synchronized (syncLock) {
            syncLocked();
        }
    }

    /**
     * Flush, then force. Pages written back since the last successful force are marked {@code UNSYNCED}; if the
     * force fails they are marked dirty again, because the kernel may have dropped them (PostgreSQL's
     * "fsyncgate"). If such a page was evicted meanwhile its data may be gone: every later flush and sync of the
     * file then fails, never pretending the data is safe.
     */
    private void syncLocked() throws IOException {
        writeDirtyPages();
        checkLoss();
        IntArrayList unsynced = framesWith(UNSYNCED);
        int[] pages = new int[unsynced.size()];
        for (int i = 0; i < unsynced.size(); i++) {
            // No page lock: the caller may hold one (a write guard). UNSYNCED is set when a write-back has
            // completed, so whichever page of this file holds it now is covered by the force below.
            int f = unsynced.getInt(i);
            pages[i] = frames.pageIndex(f);
            if (!frames.clearIfBound(f, file.slot(), UNSYNCED)) {
                pages[i] = -1;
            }
        }
        long evictedBefore = evictedUnsynced.get();
        boolean metadata = metadataDirty;
        metadataDirty = false;
        try {
            file.store().force(metadata);
        } catch (IOException e) {
            metadataDirty = metadataDirty || metadata;
            // an unsynced page evicted at any time since the last good force, even during this one, may be lost
            boolean lost = evictedUnsynced.get() != evictedUnsyncedAtLastSync;
            // pages written back while this force was in flight may have been dropped by the failing device too
            // (the kernel marks them clean and reports the error once): they were marked UNSYNCED after the list
            // above was taken, so write them again as well
            IntArrayList during = framesWith(UNSYNCED);
            for (int i = 0; i < during.size(); i++) {
                int f = during.getInt(i);
                frames.lock(f);
                frames.redirtyUnsyncedAndUnlock(f, file.slot());
            }
            for (int i = 0; i < unsynced.size(); i++) {
                int f = unsynced.getInt(i);
                if (pages[i] < 0) {
                    continue;
                }
                if (!frames.tryLock(f, waitNanos)) {
                    lost = true; // held (by this thread's own write guard, perhaps): cannot re-dirty it safely
                    continue;
                }
                if (frames.isBoundTo(f, file.slot(), pages[i])) {
                    frames.unlockUnchanged(f, DIRTY, 0);
                } else {
                    frames.unlockUnchanged(f, 0, 0);
                    lost = true;
                }
            }
            if (lost) {
                dataLoss = e;
            }
            throw e;
        }
        evictedUnsyncedAtLastSync = evictedBefore;
    }
}
