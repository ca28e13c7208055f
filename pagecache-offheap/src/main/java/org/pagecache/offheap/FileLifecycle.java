package org.pagecache.offheap;

import static org.pagecache.offheap.frame.FrameTable.DIRTY;
import static org.pagecache.offheap.frame.FrameTable.LOCKED;
import static org.pagecache.offheap.frame.FrameTable.PIN_MASK;
import static org.pagecache.offheap.frame.FrameTable.WRITEBACK;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.agrona.collections.IntArrayList;
import org.pagecache.offheap.store.BackingStore;

/**
 * The structural changes of a {@link CachedFile}, each under its exclusive structural lock: truncation, the
 * last handle's close (retaining the pages or dropping them), re-attaching a retained file, the upgrade to a
 * writable store, and the close that writes back and frees every page. A companion of its file, which owns every
 * field used here.
 */
final class FileLifecycle {
    private final CachedFile file;

    FileLifecycle(CachedFile file) {
        this.file = file;
    }

    /**
     * Shrinks the file. Every cached page at or past the new end (and the page holding the new end) is locked
     * first, waiting a bounded time for locks, pins and write-backs in flight; then the stored file is cut (or
     * extended to the new size when it was shorter, a truncation into a hole); only when that succeeded does the
     * cache change: the size, the pages dropped, the tail of the last page zeroed. A failure anywhere changes
     * nothing. Holding the structural lock exclusively keeps writes and page-ins out meanwhile.
     */
    void truncate(long newSize) throws IOException {
        long stamp = file.structure.writeLock();
        VarHandle.fullFence(); // before any look at a frame: see FileWrites.lockCachedForWrite
        try {
            file.ensureOpen();
            if (newSize >= file.size.get()) {
                return;
            }
            int firstDropped = (int) ((newSize + file.pageMask) >>> file.pageShift);
            int tailPage = (newSize & file.pageMask) != 0 ? (int) (newSize >>> file.pageShift) : -1;
            int lastPage = newSize == 0 ? -1 : (int) ((newSize - 1) >>> file.pageShift);
            IntArrayList candidates = new IntArrayList();
            file.table.forEach(firstDropped, (p, f) -> {
                candidates.addInt(p);
                candidates.addInt(f);
                return 0;
            });
            IntArrayList held = new IntArrayList(); // pairs: page, frame
            int lastFrame = -1;
            boolean done = false;
            try {
                for (int i = 0; i < candidates.size(); i += 2) {
                    holdForTruncate(candidates.getInt(i), candidates.getInt(i + 1), WRITEBACK | PIN_MASK, held);
                }
                if (lastPage >= 0) {
                    int f = file.table.get(lastPage);
                    if (f >= 0 && holdForTruncate(lastPage, f, WRITEBACK, held)) {
                        lastFrame = f;
                    }
                }
                long stored = file.store.size();
                if (stored > newSize) {
                    file.store.truncate(newSize);
                } else if (stored < newSize && lastFrame < 0) {
                    // a truncation into a hole: the stored file must still reach the new size
                    file.store.write(new ByteBuffer[] {ByteBuffer.allocate(1)}, newSize - 1);
                }
                file.truncations++;
                file.size.set(newSize);
                file.durability.metadataChanged();
                for (int i = 0; i < held.size(); i += 2) {
                    int page = held.getInt(i);
                    int f = held.getInt(i + 1);
                    if (f == lastFrame) {
                        if (page == tailPage) {
                            file.frames
                                    .frame(f)
                                    .asSlice(newSize & file.pageMask)
                                    .fill((byte) 0);
                        }
                        file.frames.unlock(f, DIRTY, 0); // written back up to the new size: the file reaches it
                    } else {
                        file.abandon(f, page);
                    }
                }
                done = true;
            } finally {
                if (!done) {
                    for (int i = 0; i < held.size(); i += 2) {
                        file.frames.unlockUnchanged(held.getInt(i + 1), 0, 0);
                    }
                }
            }
        } finally {
            file.structure.unlockWrite(stamp);
        }
    }

    /**
     * Locks a frame of this file for truncation and waits until none of {@code idle} is set, each within the
     * frame wait timeout. Adds it to {@code held} on success.
     *
     * @return whether the frame still held the page and is now held; false if it had moved on
     * @throws IOException if the lock, a pin or a write-back did not go away in time
     */
    boolean holdForTruncate(int page, int f, long idle, IntArrayList held) throws IOException {
        if (!file.frames.tryLock(f, file.waitNanos)) {
            throw new IOException("truncate of " + file.path + ": page " + page
                    + " stayed locked (by a page guard?) for "
                    + TimeUnit.NANOSECONDS.toMillis(file.waitNanos) + " ms; nothing was changed");
        }
        if (!file.frames.keepLockIfBound(f, file.slot, page)) {
            return false;
        }
        if (!file.frames.awaitClear(f, idle, file.waitNanos)) {
            file.frames.unlockUnchanged(f, 0, 0);
            throw new IOException("truncate of " + file.path + ": page " + page
                    + " stayed pinned or under write-back for "
                    + TimeUnit.NANOSECONDS.toMillis(file.waitNanos) + " ms; nothing was changed");
        }
        held.addInt(page);
        held.addInt(f);
        return true;
    }

    /**
     * The last handle closes: flush, then keep the pages cached with no file descriptor held (the file is
     * "retained"), recording what the file is now so a later open can tell whether it is still the same file.
     * The file is closed and dropped instead when it cannot be recognised later: its path no longer names it
     * (deleted or renamed while open), a write-back or force failed, or the stored size differs from the cache's.
     * Under the cache's file lock.
     *
     * @return whether the file is retained (else it is closed and its slot released)
     * @throws IOException if guards are open or a write-back failed (the file stays open with its dirty pages)
     */
    boolean closeLastHandle() throws IOException {
        IOException closeFailure = null;
        long stamp = file.structure.writeLock();
        VarHandle.fullFence(); // before any look at a frame: see FileWrites.lockCachedForWrite
        try {
            if (file.closed) {
                return false;
            }
            int guards = file.openGuards.get();
            if (guards > 0) {
                // their holders may be waiting for this lock to open another guard: refuse rather than wait
                throw new IOException(guards + " page guard(s) of " + file.path + " are still open; close them first");
            }
            int busy = awaitWritesInFlight(System.nanoTime() + file.waitNanos);
            if (busy >= 0) {
                throw new IOException("page " + busy + " of " + file.path + " stayed locked for "
                        + TimeUnit.NANOSECONDS.toMillis(file.waitNanos) + " ms; the file stays open");
            }
            file.durability.writeDirtyPages();
            FileIdentity now = null;
            if (!file.durability.failed()) {
                try {
                    now = FileIdentity.of(file.path);
                    if (now != null
                            && (!now.key().equals(file.key)
                                    || now.size() != file.size.get()
                                    || file.store.size() != file.size.get())) {
                        now = null;
                    }
                } catch (IOException e) {
                    now = null; // cannot tell what the path names now: do not keep the pages
                }
            }
            if (now != null) {
                try {
                    closeStores();
                } catch (IOException e) {
                    closeFailure = e;
                }
                if (closeFailure == null) {
                    file.retainedAs = now;
                    return true;
                }
            }
        } finally {
            file.structure.unlockWrite(stamp);
        }
        close(closeFailure != null);
        if (closeFailure != null) {
            throw closeFailure;
        }
        return false;
    }

    /**
     * Takes a retained file back into use with a freshly opened store, if the file {@code now} describes is the
     * one retained: same file key, birth time, size and last-modified time. Under the cache's file lock.
     *
     * @return whether it was; if not, nothing changed (the caller drops this file)
     */
    boolean reattach(FileIdentity now, BackingStore opened, Path openedAs, boolean openedWritable) throws IOException {
        long stamp = file.structure.writeLock();
        try {
            FileIdentity was = file.retainedAs;
            if (file.closed || was == null || !was.sameContentAs(now) || opened.size() != file.size.get()) {
                return false;
            }
            file.store = opened;
            file.path = openedAs;
            file.writable = openedWritable;
            file.retainedAs = null;
            return true;
        } finally {
            file.structure.unlockWrite(stamp);
        }
    }

    /**
     * Makes a file open read-only writable: later page-ins and write-backs use {@code writableStore}; the
     * read-only store stays open (page-ins in flight may use it) until the file closes. Under the file lock.
     */
    void upgrade(BackingStore writableStore) {
        long stamp = file.structure.writeLock();
        try {
            file.replacedStores.add(file.store);
            file.store = writableStore;
            file.writable = true;
        } finally {
            file.structure.unlockWrite(stamp);
        }
    }

    /**
     * Waits until no page of this file is locked, or {@code deadline} (a {@link System#nanoTime} value) passes:
     * called under the structural lock held exclusively, after its fence, before the dirty pages are listed. A
     * write hit ({@link FileWrites#lockCachedForWrite}) locks a cached page without the structural lock and
     * dirties it only when it unlocks; the fence guarantees that every such write whose validation succeeds has
     * its page locked by the time this looks, and no later one succeeds. Without this wait a close would list
     * the dirty pages while such a write still held its page clean, and the write, acknowledged, would never
     * reach the file.
     *
     * @return a page still locked at the deadline, or -1 if none
     */
    private int awaitWritesInFlight(long deadline) {
        int[] busy = {-1};
        file.table.forEach(0, (p, f) -> {
            if (busy[0] < 0
                    && file.frames.isBoundWith(f, file.slot, p, LOCKED)
                    && !file.frames.awaitClear(f, LOCKED, Math.max(0, deadline - System.nanoTime()))) {
                busy[0] = p;
            }
            return 0;
        });
        return busy[0];
    }

    void closeStores() throws IOException {
        file.closeAsyncFd();
        IOException failure = null;
        BackingStore s = file.store;
        file.store = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        for (BackingStore r : file.replacedStores) {
            try {
                r.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        file.replacedStores.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Writes back and drops every page, then closes the store. Unless {@code force}, a failed write-back
     * leaves the file open with its dirty pages and rethrows. Every wait is bounded by the frame wait timeout
     * (one deadline for the whole close): a page still locked (by a write guard) or pinned (by a read guard) by
     * then is not freed but left bound to this file, whose slot is then not reused, so the guard keeps its page
     * and its release touches nothing else; the file is closed all the same.
     */
    void close(boolean force) throws IOException {
        long stamp = file.structure.writeLock();
        VarHandle.fullFence(); // before any look at a frame: see FileWrites.lockCachedForWrite
        try {
            if (file.closed) {
                return;
            }
            int guards = file.openGuards.get();
            if (!force && guards > 0) {
                // their holders may be waiting for this lock to open another guard: refuse rather than wait
                throw new IOException(guards + " page guard(s) of " + file.path + " are still open; close them first");
            }
            long deadline = System.nanoTime() + file.waitNanos;
            IOException failure = null;
            int busy = awaitWritesInFlight(deadline);
            if (busy >= 0 && !force) {
                throw new IOException("page " + busy + " of " + file.path + " stayed locked for "
                        + TimeUnit.NANOSECONDS.toMillis(file.waitNanos) + " ms; the file stays open");
            }
            try {
                file.durability.writeDirtyPages();
            } catch (IOException e) {
                if (!force) {
                    throw e;
                }
                failure = e;
            }
            // a loss declared earlier cannot be mended by keeping the file open: close, and report it again
            IOException loss = file.durability.dataLoss();
            if (loss != null && failure == null) {
                failure = new IOException(
                        "data of " + file.path + " written back before a failed force may have been lost", loss);
            }
            file.closed = true;
            file.retainedAs = null;
            IntArrayList found = new IntArrayList();
            file.table.forEach(0, (p, f) -> {
                found.addInt(p);
                found.addInt(f);
                return 0;
            });
            int stuck = 0;
            String stuckWhy = null;
            for (int i = 0; i < found.size(); i += 2) {
                int page = found.getInt(i);
                int f = found.getInt(i + 1);
                if (!file.frames.tryLock(f, Math.max(0, deadline - System.nanoTime()))) {
                    if (file.frames.isBoundTo(f, file.slot)) {
                        stuck++;
                        stuckWhy = "page " + page + " stayed locked (by a write guard?)";
                    }
                    continue;
                }
                if (!file.frames.keepLockIfBound(f, file.slot, page)) {
                    continue;
                }
                if (!file.frames.awaitClear(f, WRITEBACK | PIN_MASK, Math.max(0, deadline - System.nanoTime()))) {
                    file.frames.unlockUnchanged(f, 0, 0);
                    stuck++;
                    stuckWhy = "page " + page + " stayed pinned (by a read guard?) or under write-back";
                    continue;
                }
                file.abandon(f, page);
            }
            if (stuck == 0) {
                file.cache.releaseSlot(file.slot);
            } else {
                file.cache.retireSlot(file);
                file.cache.logStuckClose(file, stuck, stuckWhy);
            }
            try {
                closeStores();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            file.structure.unlockWrite(stamp);
        }
    }
}
