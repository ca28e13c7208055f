package org.pagecache.offheap;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.pagecache.api.SourceFaultException;
import org.pagecache.offheap.jfr.SourceFaultEvent;
import org.pagecache.offheap.write.MappedSourceCopy;

/**
 * The write path of a {@link CachedFile}: writes from memory segments and from views, chunk by chunk (the
 * destination phase of each chunk under the page lock, W1 to W5 in {@code docs/write-path.md}), the write hit
 * without the structural lock, and the source faults. A companion of its file, which owns every field used here.
 */
final class FileWrites {
    private final CachedFile file;

    FileWrites(CachedFile file) {
        this.file = file;
    }

    long write(long position, MemorySegment src, boolean mayFault) throws IOException {
        file.ensureOpen();
        boolean canFault = mayFault || src.isMapped();
        long len = src.byteSize();
        long done = 0;
        MemorySegment temp = canFault ? file.temps.acquire() : null;
        try {
            while (done < len) {
                file.cache.dirtyThrottle().balance(done);
                long pos = position + done;
                int inPage = (int) (pos & file.pageMask);
                int n = (int) Math.min(len - done, file.pageSize - inPage);
                int page = (int) (pos >>> file.pageShift);
                if (canFault) {
                    if (!MappedSourceCopy.copy(src, done, temp, 0, n)) {
                        return sourceFault(
                                done, pos, "mapped", "the mapped source faulted (its file shrank or failed)", null);
                    }
                    copyIn(page, inPage, temp, 0, n);
                    file.counters.tempPageCopies.increment();
                } else {
                    if (!src.scope().isAlive()) {
                        return sourceFault(done, pos, "memory", "the source's memory was freed", null);
                    }
                    copyIn(page, inPage, src, done, n);
                    file.counters.directCopy();
                }
                done += n;
            }
            return done;
        } finally {
            if (temp != null) {
                file.temps.release(temp);
            }
        }
    }

    long write(long position, View view) throws IOException {
        file.ensureOpen();
        CachedFile.ViewWriteStrategy other = file.cache.viewWriteStrategy();
        if (other != null) {
            return other.write(file, position, view);
        }
        CachedFile source = view.file();
        boolean sameCache = source.cache == file.cache;
        long len = view.length();
        long srcStart = view.position();
        long done = 0;
        MemorySegment temp = null;
        try {
            while (done < len) {
                long pos = position + done;
                int inPage = (int) (pos & file.pageMask);
                int n = (int) Math.min(len - done, file.pageSize - inPage);
                int page = (int) (pos >>> file.pageShift);
                file.cache.dirtyThrottle().balance(done);
                if (done > 0 && !view.readable()) {
                    // the source was closed between chunks: a short write, like any other source fault
                    return sourceFault(done, pos, "view", "the view (or its file) was closed during the write", null);
                }
                view.ensureReadable();
                if (sameCache) {
                    if (tryFastPath(page, inPage, source, srcStart + done, n)) {
                        file.counters.fastPathHits.increment();
                        done += n;
                        continue;
                    }
                    file.counters.fastPathFallbacks.increment();
                }
                if (temp == null) {
                    temp = file.temps.acquire();
                }
                int got;
                IOException error = null;
                try {
                    got = source.readInto(srcStart + done, temp, n);
                } catch (IOException e) {
                    got = -1;
                    error = e;
                }
                if (got < n) {
                    return sourceFault(
                            done,
                            pos,
                            "view",
                            error == null ? "the view ends past the end of its file" : "a page-in of the view failed",
                            error);
                }
                copyIn(page, inPage, temp, 0, n);
                file.counters.tempPageCopies.increment();
                done += n;
            }
            return done;
        } finally {
            if (temp != null) {
                file.temps.release(temp);
            }
        }
    }

    long sourceFault(long done, long position, String kind, String what, Throwable cause) throws SourceFaultException {
        file.counters.sourceFaults.increment();
        SourceFaultEvent event = new SourceFaultEvent();
        if (event.shouldCommit()) {
            event.file = file.path.toString();
            event.position = position;
            event.bytesWritten = done;
            event.sourceKind = kind;
            event.reason = cause == null ? what : what + ": " + cause;
            event.commit();
        }
        if (done > 0) {
            return done;
        }
        throw new SourceFaultException(
                what + "; nothing was written at position " + position + " of " + file.path, 0, cause);
    }

    /**
     * The destination phase of a write chunk: lock the page (reading it in first if the chunk does not cover it
     * and it is not cached, W2), copy from memory that cannot fault, grow the file, mark the page dirty.
     */
    void copyIn(int page, int inPage, MemorySegment from, long fromOffset, int n) throws IOException {
        int hit = lockCachedForWrite(page);
        if (hit >= 0) {
            try {
                MemorySegment.copy(from, fromOffset, file.frames.memory(), file.frames.offset(hit) + inPage, n);
            } catch (RuntimeException | Error e) {
                file.frames.unlockUnchanged(hit, 0, 0);
                throw e;
            }
            file.commit(hit, ((long) page << file.pageShift) + inPage + n);
            return;
        }
        long stamp = file.structure.readLock();
        try {
            file.ensureOpen();
            int f = file.lockPage(page, n != file.pageSize);
            boolean fresh = !file.frames.isUptodate(f);
            try {
                MemorySegment.copy(from, fromOffset, file.frames.memory(), file.frames.offset(f) + inPage, n);
            } catch (RuntimeException | Error e) {
                file.abandonOrUnlock(f, page, fresh);
                throw e;
            }
            file.commit(f, ((long) page << file.pageShift) + inPage + n);
        } finally {
            file.structure.unlockRead(stamp);
        }
    }

    /**
     * The write hit: the frame of a cached page, locked without the structural lock, or -1 (not cached, its lock
     * held by someone else, or a truncation or close under way: the caller takes the structural lock and
     * {@link #lockPage} instead, which waits). The page lock is taken first and the structural lock's optimistic
     * stamp validated after it: a truncation or close takes the structural lock exclusively (then a full fence)
     * before it looks at any frame, so either the validation fails here or that look finds this frame locked and
     * waits for the write. A cached frame that is unlocked is uptodate, so the write needs no page-in.
     */
    int lockCachedForWrite(int page) {
        long optimistic = file.structure.tryOptimisticRead();
        if (optimistic == 0) {
            return -1;
        }
        int f = file.table.get(page);
        if (f < 0 || !file.frames.tryLock(f)) {
            return -1;
        }
        if (!file.frames.keepLockIfBound(f, file.slot, page)) {
            return -1;
        }
        if (!file.structure.validate(optimistic) || file.closed || file.retainedAs != null) {
            file.frames.unlockUnchanged(f, 0, 0);
            return -1;
        }
        file.lockedHit(f, page);
        return f;
    }

    /**
     * W5, the fast path (the kernel's "atomic copy"): with the destination page locked, pin the source pages without waiting and copy
     * straight from them. Fails (and the caller takes the temporary page) when a source page is not resident,
     * is locked, or past the end of its file. The part of the source that lies in the destination frame itself
     * is copied first, so a chunk is copied from a snapshot of its source (memmove within a page).
     */
    boolean tryFastPath(int page, int inPage, CachedFile source, long srcPos, int n) throws IOException {
        if (srcPos + n > source.size.get()) {
            return false;
        }
        int sp0 = (int) (srcPos >>> file.pageShift);
        int sIn = (int) (srcPos & file.pageMask);
        int firstLen = Math.min(n, file.pageSize - sIn);
        int sp1 = firstLen < n ? sp0 + 1 : -1;
        if (source.table.get(sp0) < 0 || (sp1 >= 0 && source.table.get(sp1) < 0)) {
            return false;
        }
        long stamp = file.structure.readLock();
        try {
            file.ensureOpen();
            int f = file.lockPage(page, n != file.pageSize);
            boolean fresh = !file.frames.isUptodate(f);
            int f0 = -1;
            int f1 = -1;
            boolean ok = false;
            try {
                f0 = pinSource(source, sp0, f, page, fresh);
                if (f0 < 0) {
                    return false;
                }
                if (sp1 >= 0) {
                    f1 = pinSource(source, sp1, f, page, fresh);
                    if (f1 < 0) {
                        return false;
                    }
                }
                MemorySegment mem = file.frames.memory();
                long dst = file.frames.offset(f) + inPage;
                long a0 = file.frames.offset(f0) + sIn;
                if (f1 < 0) {
                    MemorySegment.copy(mem, a0, mem, dst, n);
                } else if (f1 == f) {
                    MemorySegment.copy(mem, file.frames.offset(f1), mem, dst + firstLen, n - firstLen);
                    MemorySegment.copy(mem, a0, mem, dst, firstLen);
                } else {
                    MemorySegment.copy(mem, a0, mem, dst, firstLen);
                    MemorySegment.copy(mem, file.frames.offset(f1), mem, dst + firstLen, n - firstLen);
                }
                ok = true;
            } finally {
                if (f0 >= 0 && f0 != f) {
                    file.frames.unpin(f0);
                }
                if (f1 >= 0 && f1 != f) {
                    file.frames.unpin(f1);
                }
                if (ok) {
                    file.commit(f, ((long) page << file.pageShift) + inPage + n);
                } else {
                    file.abandonOrUnlock(f, page, fresh);
                }
            }
            return true;
        } finally {
            file.structure.unlockRead(stamp);
        }
    }

    /**
     * @return the pinned frame of the source page (or the locked destination frame itself), or -1
     */
    int pinSource(CachedFile source, int sourcePage, int dstFrame, int dstPage, boolean dstFresh) {
        int sf = source.table.get(sourcePage);
        if (sf < 0) {
            return -1;
        }
        if (sf == dstFrame) {
            return source == file && sourcePage == dstPage && !dstFresh ? sf : -1;
        }
        return file.frames.tryPin(sf, source.slot, sourcePage) ? sf : -1;
    }
}
