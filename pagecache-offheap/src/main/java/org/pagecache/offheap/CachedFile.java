package org.pagecache.offheap;

import static org.pagecache.offheap.frame.FrameTable.DIRTY;
import static org.pagecache.offheap.frame.FrameTable.PIN_MASK;
import static org.pagecache.offheap.frame.FrameTable.UPTODATE;
import static org.pagecache.offheap.frame.FrameTable.WRITEBACK;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import org.agrona.collections.IntArrayList;
import org.pagecache.api.SourceFaultException;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.frame.TranslationTable;
import org.pagecache.offheap.jfr.PageInEvent;
import org.pagecache.offheap.jfr.SourceFaultEvent;
import org.pagecache.offheap.reclaim.PageOwner;
import org.pagecache.offheap.reclaim.Reclaimer;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.write.MappedSourceCopy;
import org.pagecache.offheap.write.TempPagePool;

/**
 * One file in the cache, shared by every handle that opened it: reads, the write path, truncation, flush and
 * sync (through its {@link FileDurability}) and close. The lock order and the concurrency design are in {@link OffHeapPageCache}'s essay.
 *
 * <p>The structural lock ({@link StampedLock}) is taken shared by a page-in and by the destination phase of
 * each write chunk (never while reading a source), and exclusively by truncation and close. Hit reads take no
 * structural lock: they validate the frame's version instead.
 */
final class CachedFile implements PageOwner {
    private static final int OPTIMISTIC_ATTEMPTS = 4;
    private static final int MAX_STALLS = 100;

    private final OffHeapPageCache cache;
    private final FrameTable frames;
    private final Reclaimer reclaimer;
    private final TempPagePool temps;
    private final Counters counters;
    /** The path the file was last opened by (messages; the retained file's identity check). */
    private volatile Path path;
    /** What the file is ({@link FileIdentity#key()}): the cache's file table key. */
    private final Object key;
    /** The open store; null while the file is retained with no handle open. */
    private volatile BackingStore store;
    /** Read-only stores replaced by a writable one; closed with the file. Guarded by the cache's file lock. */
    private final java.util.List<BackingStore> replacedStores = new java.util.ArrayList<>();
    private final int slot;
    private volatile boolean writable;
    /** The file as it was when its last handle closed and its pages were retained; null while open. */
    private volatile FileIdentity retainedAs;
    private final int pageSize;
    private final int pageShift;
    private final int pageMask;
    private final long waitNanos;
    private final TranslationTable table = new TranslationTable();
    private final StampedLock structure = new StampedLock();
    private final AtomicLong size;
    private final java.util.concurrent.atomic.AtomicInteger openGuards = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;
    /** Flush, sync and the failures they must report. */
    private final FileDurability durability;
    /** Truncations that shrank the file; written under the exclusive structural lock. */
    private volatile long truncations;
    /** Open handles; guarded by the cache's file lock. */
    int handles;
    /** Sequential detection of read-ahead ({@link ReadAhead}). */
    private final ReadAhead.Window readAheadWindow = new ReadAhead.Window();

    CachedFile(OffHeapPageCache cache, Path path, Object key, BackingStore store, int slot, boolean writable)
            throws IOException {
        this.cache = cache;
        this.key = key;
        this.frames = cache.frames();
        this.reclaimer = cache.reclaimer();
        this.temps = cache.temps();
        this.counters = cache.counters();
        this.path = path;
        this.store = store;
        this.slot = slot;
        this.writable = writable;
        this.pageSize = frames.pageSize();
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pageMask = pageSize - 1;
        this.waitNanos = cache.frameWaitNanos();
        this.size = new AtomicLong(store.size());
        this.durability = new FileDurability(this, frames, reclaimer.writer(), waitNanos);
    }

    Path path() {
        return path;
    }

    Object key() {
        return key;
    }

    /** @return leaves of the translation table allocated now (tests: translation memory follows what is cached) */
    int translationLeaves() {
        return table.leaves();
    }

    boolean writable() {
        return writable;
    }

    OffHeapPageCache cache() {
        return cache;
    }

    boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- PageOwner

    @Override
    public int slot() {
        return slot;
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public BackingStore store() {
        return store;
    }

    @Override
    public long size() {
        return size.get();
    }

    @Override
    public void unmap(int pageIndex, int frame) {
        table.remove(pageIndex, frame);
    }

    @Override
    public void writebackFailed(IOException error) {
        durability.writebackFailed(error);
    }

    @Override
    public void evictedUnsynced() {
        durability.evictedUnsynced();
    }

    void ensureOpen() throws ClosedChannelException {
        if (closed || retainedAs != null) { // retained: its last handle closed (an operation raced with that close)
            throw new ClosedChannelException();
        }
    }

    long checkedSize() throws IOException {
        ensureOpen();
        return size.get();
    }

    // ---------------------------------------------------------------- read

    int read(long position, ByteBuffer dst) throws IOException {
        ensureOpen();
        long end = size.get();
        if (position >= end) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), end - position);
        int base = dst.position();
        int done = 0;
        while (done < want) {
            long pos = position + done;
            int inPage = (int) (pos & pageMask);
            int n = Math.min(want - done, pageSize - inPage);
            readPage((int) (pos >>> pageShift), inPage, dst, base + done, n);
            done += n;
        }
        dst.position(base + done);
        return done;
    }

    /** Copies {@code n} bytes of one page into {@code dst} at absolute index {@code dstIndex}. */
    private void readPage(int page, int inPage, ByteBuffer dst, int dstIndex, int n) throws IOException {
        if (readAheadWindow.marker.get() == page) {
            cache.readAhead().onMarker(this, readAheadWindow, page);
        }
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
            int f = table.get(page);
            if (f < 0) {
                break;
            }
            long s = frames.state(f);
            if (FrameState.isLocked(s)) {
                frames.awaitUnlocked(f);
                continue;
            }
            if (!frames.isBoundTo(f, s, slot, page)) {
                continue; // a stale entry: the page is being evicted
            }
            copyOut(f, inPage, dst, dstIndex, n);
            if (frames.validate(f, FrameState.stamp(s))) {
                if (!FrameState.isReferenced(s)) { // referenced already (most hits): nothing more to read
                    long after = frames.state(f);
                    if (FrameState.isReferenced(after) || !cache.readAhead().firstUse(f, slot, page)) {
                        frames.markReferenced(f, after); // the first read of a page read ahead is not a use
                    }
                }
                counters.hit();
                return;
            }
        }
        readLocked(page, inPage, dst, dstIndex, n);
    }

    TranslationTable table() {
        return table;
    }

    /** Takes the structural lock shared, as a page-in does (read-ahead); fails if the file is closed or retained. */
    long lockShared() throws ClosedChannelException {
        long stamp = structure.readLock();
        if (closed || retainedAs != null) {
            structure.unlockRead(stamp);
            throw new ClosedChannelException();
        }
        return stamp;
    }

    void unlockShared(long stamp) {
        structure.unlockRead(stamp);
    }

    void countHit() {
        counters.hit();
    }

    /**
     * Pages {@code page} in if it is not cached and lies before the end of the file, through the locked page-in
     * path of a read (the reader's miss and the prefetcher's request).
     */
    void pageIn(int page) throws IOException {
        if (table.get(page) >= 0 || ((long) page << pageShift) >= size.get()) {
            return;
        }
        long stamp = structure.readLock();
        try {
            ensureOpen();
            int f = lockPage(page, true);
            frames.unlock(f, 0, 0); // a page-in is not a use: the read that follows marks it
        } finally {
            structure.unlockRead(stamp);
        }
    }

    /** Queues the background page-in of the pages of {@code [position, end)} from the first one not cached. */
    void prefetch(long position, long end) {
        long limit = Math.min(end, size.get());
        if (position >= limit) {
            return;
        }
        int first = (int) (position >>> pageShift);
        int last = (int) ((limit - 1) >>> pageShift);
        while (first <= last && table.get(first) >= 0) {
            first++;
        }
        if (first <= last) {
            cache.prefetcher().submit(this, first, last);
        }
    }

    /** The slow read: under the page lock, paging the page in if needed. */
    private void readLocked(int page, int inPage, ByteBuffer dst, int dstIndex, int n) throws IOException {
        if (table.get(page) < 0) {
            cache.readAhead().onMiss(this, readAheadWindow, page);
        }
        long stamp = structure.readLock();
        try {
            ensureOpen();
            int f = lockPage(page, true);
            try {
                copyOut(f, inPage, dst, dstIndex, n);
            } finally {
                frames.unlock(f, 0, 0); // lockPage marked a hit referenced, and a fault is not a use
            }
        } finally {
            structure.unlockRead(stamp);
        }
    }

    private void copyOut(int f, int inPage, ByteBuffer dst, int dstIndex, int n) {
        if (dst.hasArray()) {
            long from = frames.offset(f) + inPage;
            MemorySegment.copy(frames.memory(), ValueLayout.JAVA_BYTE, from, dst.array(), dst.arrayOffset() + dstIndex, n);
        } else {
            frames.copyOut(f, inPage, dst, dstIndex, n); // no segment of the buffer made per read
        }
    }

    /**
     * Reads {@code n} bytes at {@code position} into {@code dst} from offset 0: a {@link View}'s copy into a
     * temporary page. Takes no lock beyond what any read takes.
     *
     * @return bytes read, fewer than {@code n} at end of file
     */
    int readInto(long position, MemorySegment dst, int n) throws IOException {
        ByteBuffer buffer = dst.asSlice(0, n).asByteBuffer();
        int done = 0;
        while (done < n) {
            int r = read(position + done, buffer);
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    // ---------------------------------------------------------------- page lookup

    /**
     * Returns the frame of {@code page}, locked, counting a hit (an existing frame) or a fault (a page-in). An
     * existing frame is uptodate. A new frame is read in (or
     * zero-filled past the end of the file) when {@code needContent}; otherwise it is left not uptodate, and the
     * caller must fill it whole and mark it, or {@link #abandon} it. Called with the structural lock held shared
     * and no page lock held (it may wait for a free frame).
     */
    int lockPage(int page, boolean needContent) throws IOException {
        for (;;) {
            int f = table.get(page);
            if (f >= 0) {
                if (frames.lockIfBound(f, slot, page)) {
                    if (!FrameState.isReferenced(frames.state(f)) && !cache.readAhead().firstUse(f, slot, page)) {
                        frames.reference(f); // a hit is a use, whoever locks the page (not the first read ahead)
                    }
                    counters.hit();
                    return f;
                }
                Thread.onSpinWait();
                continue;
            }
            int nf = reclaimer.allocate();
            frames.bindLocked(nf, slot, page);
            if (!table.install(page, nf)) {
                frames.unbindAndUnlock(nf);
                reclaimer.free(nf);
                continue;
            }
            reclaimer.admitted(nf, slot, page); // a page-in is not a use: not referenced
            if (needContent) {
                try {
                    fill(nf, page);
                } catch (IOException | RuntimeException | Error e) {
                    abandon(nf, page);
                    throw e;
                }
                frames.markUptodate(nf);
                counters.fault();
            }
            return nf;
        }
    }

    /** Reads a page in from the store; bytes past the end of the stored file read as zeros. */
    private void fill(int f, int page) throws IOException {
        long pageStart = (long) page << pageShift;
        ByteBuffer buffer = frames.fillView(f); // this thread's, reused: no view made per page-in
        int start = buffer.position();
        PageInEvent event = new PageInEvent();
        event.begin();
        int stalls = 0;
        while (buffer.hasRemaining()) {
            int n = store.read(buffer, pageStart + buffer.position() - start);
            if (n < 0) {
                break;
            }
            if (n == 0 && ++stalls > MAX_STALLS) {
                throw new IOException("page-in of " + path + " page " + page + " made no progress");
            }
        }
        event.end();
        if (event.shouldCommit()) {
            event.file = path.toString();
            event.pageIndex = page;
            event.bytesRead = buffer.position() - start;
            event.commit();
        }
        if (buffer.hasRemaining()) {
            int read = buffer.position() - start;
            frames.memory().asSlice(frames.offset(f) + read, pageSize - read).fill((byte) 0);
        }
    }

    /** Drops a locked frame that never became (or no longer is) a valid copy of its page. */
    private void abandon(int f, int page) {
        table.remove(page, f);
        frames.unbindAndUnlock(f);
        reclaimer.free(f);
    }

    // ---------------------------------------------------------------- write

    /**
     * Another way to write from a view, set through a package-private builder switch: the test tree's naive
     * strategy, kept to show that it deadlocks where {@link #write(long, View)} does not.
     */
    interface ViewWriteStrategy {
        /** Writes {@code view} at {@code position} of {@code file}, as {@link CachedFile#write(long, View)}. */
        long write(CachedFile file, long position, View view) throws IOException;
    }

    /** Takes the structural lock shared (a page-in or a write chunk's destination phase). */
    long lockStructureShared() {
        return structure.readLock();
    }

    /** Releases a shared structural lock taken by {@link #lockStructureShared()}. */
    void unlockStructureShared(long stamp) {
        structure.unlockRead(stamp);
    }

    long write(long position, MemorySegment src, boolean mayFault) throws IOException {
        ensureOpen();
        boolean canFault = mayFault || src.isMapped();
        long len = src.byteSize();
        long done = 0;
        MemorySegment temp = canFault ? temps.acquire() : null;
        try {
            while (done < len) {
                cache.dirtyThrottle().balance(done);
                long pos = position + done;
                int inPage = (int) (pos & pageMask);
                int n = (int) Math.min(len - done, pageSize - inPage);
                int page = (int) (pos >>> pageShift);
                if (canFault) {
                    if (!MappedSourceCopy.copy(src, done, temp, 0, n)) {
                        return sourceFault(done, pos, "mapped", "the mapped source faulted (its file shrank or failed)", null);
                    }
                    copyIn(page, inPage, temp, 0, n);
                    counters.tempPageCopies.increment();
                } else {
                    if (!src.scope().isAlive()) {
                        return sourceFault(done, pos, "memory", "the source's memory was freed", null);
                    }
                    copyIn(page, inPage, src, done, n);
                    counters.directCopy();
                }
                done += n;
            }
            return done;
        } finally {
            if (temp != null) {
                temps.release(temp);
            }
        }
    }

    long write(long position, View view) throws IOException {
        ensureOpen();
        ViewWriteStrategy other = cache.viewWriteStrategy();
        if (other != null) {
            return other.write(this, position, view);
        }
        CachedFile source = view.file();
        boolean sameCache = source.cache == cache;
        long len = view.length();
        long srcStart = view.position();
        long done = 0;
        MemorySegment temp = null;
        try {
            while (done < len) {
                long pos = position + done;
                int inPage = (int) (pos & pageMask);
                int n = (int) Math.min(len - done, pageSize - inPage);
                int page = (int) (pos >>> pageShift);
                cache.dirtyThrottle().balance(done);
                if (done > 0 && !view.readable()) {
                    // the source was closed between chunks: a short write, like any other source fault
                    return sourceFault(done, pos, "view", "the view (or its file) was closed during the write", null);
                }
                view.ensureReadable();
                if (sameCache) {
                    if (tryFastPath(page, inPage, source, srcStart + done, n)) {
                        counters.fastPathHits.increment();
                        done += n;
                        continue;
                    }
                    counters.fastPathFallbacks.increment();
                }
                if (temp == null) {
                    temp = temps.acquire();
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
                    return sourceFault(done, pos, "view", error == null ? "the view ends past the end of its file"
                            : "a page-in of the view failed", error);
                }
                copyIn(page, inPage, temp, 0, n);
                counters.tempPageCopies.increment();
                done += n;
            }
            return done;
        } finally {
            if (temp != null) {
                temps.release(temp);
            }
        }
    }

    private long sourceFault(long done, long position, String kind, String what, Throwable cause)
            throws SourceFaultException {
        counters.sourceFaults.increment();
        SourceFaultEvent event = new SourceFaultEvent();
        if (event.shouldCommit()) {
            event.file = path.toString();
            event.position = position;
            event.bytesWritten = done;
            event.sourceKind = kind;
            event.reason = cause == null ? what : what + ": " + cause;
            event.commit();
        }
        if (done > 0) {
            return done;
        }
        throw new SourceFaultException(what + "; nothing was written at position " + position + " of " + path, 0, cause);
    }

    /**
     * The destination phase of a write chunk: lock the page (reading it in first if the chunk does not cover it
     * and it is not cached, W2), copy from memory that cannot fault, grow the file, mark the page dirty.
     */
    private void copyIn(int page, int inPage, MemorySegment from, long fromOffset, int n) throws IOException {
        int hit = lockCachedForWrite(page);
        if (hit >= 0) {
            try {
                MemorySegment.copy(from, fromOffset, frames.memory(), frames.offset(hit) + inPage, n);
            } catch (RuntimeException | Error e) {
                frames.unlockUnchanged(hit, 0, 0);
                throw e;
            }
            commit(hit, ((long) page << pageShift) + inPage + n);
            return;
        }
        long stamp = structure.readLock();
        try {
            ensureOpen();
            int f = lockPage(page, n != pageSize);
            boolean fresh = !frames.isUptodate(f);
            try {
                MemorySegment.copy(from, fromOffset, frames.memory(), frames.offset(f) + inPage, n);
            } catch (RuntimeException | Error e) {
                abandonOrUnlock(f, page, fresh);
                throw e;
            }
            commit(f, ((long) page << pageShift) + inPage + n);
        } finally {
            structure.unlockRead(stamp);
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
    private int lockCachedForWrite(int page) {
        long optimistic = structure.tryOptimisticRead();
        if (optimistic == 0) {
            return -1;
        }
        int f = table.get(page);
        if (f < 0 || !frames.tryLock(f)) {
            return -1;
        }
        if (!frames.keepLockIfBound(f, slot, page)) {
            return -1;
        }
        if (!structure.validate(optimistic) || closed || retainedAs != null) {
            frames.unlockUnchanged(f, 0, 0);
            return -1;
        }
        if (!FrameState.isReferenced(frames.state(f)) && !cache.readAhead().firstUse(f, slot, page)) {
            frames.reference(f); // a hit is a use, as in lockPage
        }
        counters.hit();
        return f;
    }

    /** Ends a write chunk that filled its page up to {@code end}: grows the file, unlocks the page dirty. */
    void commit(int f, long end) {
        growTo(end);
        boolean clean = !FrameState.hasAny(frames.state(f), DIRTY | WRITEBACK);
        frames.unlock(f, UPTODATE | DIRTY, 0);
        if (clean) {
            cache.dirtyThrottle().dirtied();
        }
    }

    /**
     * Lets go of a locked page a write chunk did not change: a fresh frame (never filled, not uptodate) is
     * abandoned, any other frame unlocked with its version kept.
     */
    void abandonOrUnlock(int f, int page, boolean fresh) {
        if (fresh) {
            abandon(f, page);
        } else {
            frames.unlockUnchanged(f, 0, 0);
        }
    }

    /**
     * W5, the atomic copy: with the destination page locked, pin the source pages without waiting and copy
     * straight from them. Fails (and the caller takes the temporary page) when a source page is not resident,
     * is locked, or past the end of its file. The part of the source that lies in the destination frame itself
     * is copied first, so a chunk is copied from a snapshot of its source (memmove within a page).
     */
    private boolean tryFastPath(int page, int inPage, CachedFile source, long srcPos, int n) throws IOException {
        if (srcPos + n > source.size.get()) {
            return false;
        }
        int sp0 = (int) (srcPos >>> pageShift);
        int sIn = (int) (srcPos & pageMask);
        int firstLen = Math.min(n, pageSize - sIn);
        int sp1 = firstLen < n ? sp0 + 1 : -1;
        if (source.table.get(sp0) < 0 || (sp1 >= 0 && source.table.get(sp1) < 0)) {
            return false;
        }
        long stamp = structure.readLock();
        try {
            ensureOpen();
            int f = lockPage(page, n != pageSize);
            boolean fresh = !frames.isUptodate(f);
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
                MemorySegment mem = frames.memory();
                long dst = frames.offset(f) + inPage;
                long a0 = frames.offset(f0) + sIn;
                if (f1 < 0) {
                    MemorySegment.copy(mem, a0, mem, dst, n);
                } else if (f1 == f) {
                    MemorySegment.copy(mem, frames.offset(f1), mem, dst + firstLen, n - firstLen);
                    MemorySegment.copy(mem, a0, mem, dst, firstLen);
                } else {
                    MemorySegment.copy(mem, a0, mem, dst, firstLen);
                    MemorySegment.copy(mem, frames.offset(f1), mem, dst + firstLen, n - firstLen);
                }
                ok = true;
            } finally {
                if (f0 >= 0 && f0 != f) {
                    frames.unpin(f0);
                }
                if (f1 >= 0 && f1 != f) {
                    frames.unpin(f1);
                }
                if (ok) {
                    commit(f, ((long) page << pageShift) + inPage + n);
                } else {
                    abandonOrUnlock(f, page, fresh);
                }
            }
            return true;
        } finally {
            structure.unlockRead(stamp);
        }
    }

    /**
     * @return the pinned frame of the source page (or the locked destination frame itself), or -1
     */
    private int pinSource(CachedFile source, int sourcePage, int dstFrame, int dstPage, boolean dstFresh) {
        int sf = source.table.get(sourcePage);
        if (sf < 0) {
            return -1;
        }
        if (sf == dstFrame) {
            return source == this && sourcePage == dstPage && !dstFresh ? sf : -1;
        }
        return frames.tryPin(sf, source.slot, sourcePage) ? sf : -1;
    }

    // ---------------------------------------------------------------- in-place access

    Guard pinForRead(int page) throws IOException {
        ensureOpen();
        if (((long) page << pageShift) >= size.get()) {
            throw new java.io.EOFException("page " + page + " starts at or past the end of " + path
                    + " (" + size.get() + " bytes)");
        }
        reserveGuard(false);
        boolean ok = false;
        try {
            if (readAheadWindow.marker.get() == page) {
                cache.readAhead().onMarker(this, readAheadWindow, page);
            }
            // The pin without the structural lock is valid only if no close or truncation took that lock
            // exclusively meanwhile: a close counts the guards under it, and this guard is counted already
            // (reserveGuard), so either the close sees it and refuses, or the stamp fails here.
            long optimistic = structure.tryOptimisticRead();
            for (int attempt = 0; optimistic != 0 && attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
                int f = table.get(page);
                if (f < 0) {
                    break;
                }
                if (frames.tryPin(f, slot, page)) {
                    if (structure.validate(optimistic) && !closed && retainedAs == null) {
                        long pinned = frames.state(f);
                        if (FrameState.isReferenced(pinned) || !cache.readAhead().firstUse(f, slot, page)) {
                            frames.markReferenced(f, pinned);
                        }
                        counters.hit();
                        ok = true;
                        return new Guard(this, frames, f, page, false, 0);
                    }
                    frames.unpin(f);
                    break;
                }
                frames.awaitUnlocked(f);
            }
            if (table.get(page) < 0) {
                cache.readAhead().onMiss(this, readAheadWindow, page);
            }
            long stamp = structure.readLock();
            try {
                ensureOpen();
                int f = lockPage(page, true);
                boolean pinned = frames.pinLocked(f);
                frames.unlock(f, 0, 0);
                if (!pinned) {
                    throw new IOException("page " + page + " of " + path + " holds the most pins a page can hold ("
                            + FrameTable.MAX_PINS + ")");
                }
                ok = true;
                return new Guard(this, frames, f, page, false, 0);
            } finally {
                structure.unlockRead(stamp);
            }
        } finally {
            if (!ok) {
                releaseGuard(false);
            }
        }
    }

    Guard lockForWrite(int page) throws IOException {
        ensureOpen();
        cache.dirtyThrottle().balance(0);
        reserveGuard(true);
        boolean ok = false;
        try {
            long stamp = structure.readLock();
            try {
                ensureOpen();
                long epoch = truncations; // under the structural lock: no truncation runs now
                int f = lockPage(page, true);
                ok = true;
                return new Guard(this, frames, f, page, true, epoch);
            } finally {
                structure.unlockRead(stamp);
            }
        } finally {
            if (!ok) {
                releaseGuard(true);
            }
        }
    }

    private void reserveGuard(boolean write) throws IOException {
        cache.reserveGuard(write);
        openGuards.incrementAndGet();
    }

    private void releaseGuard(boolean write) {
        openGuards.decrementAndGet();
        cache.releaseGuard(write);
    }

    /**
     * Closes a guard. A write guard grows the file to the end of its page, always, before it lets the page go.
     * No structural lock is needed (and none may be waited for: a truncation or close holding it may be waiting
     * for this page): a truncation that would cut this page must lock it first, so none can complete while the
     * guard holds it; one that ran before the guard was made is ordered before the guard's write; one waiting
     * now runs after the growth and cuts it again. (Trying the structural lock and skipping the growth when
     * it was held, as before, let a refused close or a truncation that changed nothing lose the page's data:
     * write-back clipped it at the stale size.)
     */
    void release(Guard guard) {
        try {
            int f = guard.frame();
            if (guard.write()) {
                growTo(((long) guard.page() + 1) << pageShift);
                boolean clean = !FrameState.hasAny(frames.state(f), DIRTY | WRITEBACK);
                frames.unlock(f, UPTODATE | DIRTY, 0);
                if (clean) {
                    cache.dirtyThrottle().dirtied();
                }
            } else {
                frames.unpin(f);
            }
        } catch (IllegalStateException e) {
            // the cache was closed under the guard: its memory is gone, nothing to release
        } finally {
            releaseGuard(guard.write());
        }
    }

    private void growTo(long end) {
        long current = size.get();
        while (current < end) {
            if (size.compareAndSet(current, end)) {
                durability.metadataChanged();
                return;
            }
            current = size.get();
        }
    }

    // ---------------------------------------------------------------- truncate, flush, sync, close

    /**
     * Shrinks the file. Every cached page at or past the new end (and the page holding the new end) is locked
     * first, waiting a bounded time for locks, pins and write-backs in flight; then the stored file is cut (or
     * extended to the new size when it was shorter, a truncation into a hole); only when that succeeded does the
     * cache change: the size, the pages dropped, the tail of the last page zeroed. A failure anywhere changes
     * nothing. Holding the structural lock exclusively keeps writes and page-ins out meanwhile.
     */
    void truncate(long newSize) throws IOException {
        long stamp = structure.writeLock();
        VarHandle.fullFence(); // before any look at a frame: see lockCachedForWrite
        try {
            ensureOpen();
            if (newSize >= size.get()) {
                return;
            }
            int firstDropped = (int) ((newSize + pageMask) >>> pageShift);
            int tailPage = (newSize & pageMask) != 0 ? (int) (newSize >>> pageShift) : -1;
            int lastPage = newSize == 0 ? -1 : (int) ((newSize - 1) >>> pageShift);
            IntArrayList candidates = new IntArrayList();
            table.forEach(firstDropped, (p, f) -> {
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
                    int f = table.get(lastPage);
                    if (f >= 0 && holdForTruncate(lastPage, f, WRITEBACK, held)) {
                        lastFrame = f;
                    }
                }
                long stored = store.size();
                if (stored > newSize) {
                    store.truncate(newSize);
                } else if (stored < newSize && lastFrame < 0) {
                    // a truncation into a hole: the stored file must still reach the new size
                    store.write(new ByteBuffer[] {ByteBuffer.allocate(1)}, newSize - 1);
                }
                truncations++;
                size.set(newSize);
                durability.metadataChanged();
                for (int i = 0; i < held.size(); i += 2) {
                    int page = held.getInt(i);
                    int f = held.getInt(i + 1);
                    if (f == lastFrame) {
                        if (page == tailPage) {
                            frames.frame(f).asSlice(newSize & pageMask).fill((byte) 0);
                        }
                        frames.unlock(f, DIRTY, 0); // written back up to the new size: the file reaches it
                    } else {
                        abandon(f, page);
                    }
                }
                done = true;
            } finally {
                if (!done) {
                    for (int i = 0; i < held.size(); i += 2) {
                        frames.unlockUnchanged(held.getInt(i + 1), 0, 0);
                    }
                }
            }
        } finally {
            structure.unlockWrite(stamp);
        }
    }

    /**
     * Locks a frame of this file for truncation and waits until none of {@code idle} is set, each within the
     * frame wait timeout. Adds it to {@code held} on success.
     *
     * @return whether the frame still held the page and is now held; false if it had moved on
     * @throws IOException if the lock, a pin or a write-back did not go away in time
     */
    private boolean holdForTruncate(int page, int f, long idle, IntArrayList held) throws IOException {
        if (!frames.tryLock(f, waitNanos)) {
            throw new IOException("truncate of " + path + ": page " + page + " stayed locked (by a page guard?) for "
                    + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms; nothing was changed");
        }
        if (!frames.keepLockIfBound(f, slot, page)) {
            return false;
        }
        if (!frames.awaitClear(f, idle, waitNanos)) {
            frames.unlockUnchanged(f, 0, 0);
            throw new IOException("truncate of " + path + ": page " + page + " stayed pinned or under write-back for "
                    + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms; nothing was changed");
        }
        held.addInt(page);
        held.addInt(f);
        return true;
    }

    void flush() throws IOException {
        ensureOpen();
        durability.flush();
    }

    void sync() throws IOException {
        ensureOpen();
        durability.sync();
    }

    // ---------------------------------------------------------------- lifecycle: last handle, retain, re-open

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
        long stamp = structure.writeLock();
        VarHandle.fullFence(); // before any look at a frame: see lockCachedForWrite
        try {
            if (closed) {
                return false;
            }
            int guards = openGuards.get();
            if (guards > 0) {
                // their holders may be waiting for this lock to open another guard: refuse rather than wait
                throw new IOException(guards + " page guard(s) of " + path + " are still open; close them first");
            }
            durability.writeDirtyPages();
            FileIdentity now = null;
            if (!durability.failed()) {
                try {
                    now = FileIdentity.of(path);
                    if (now != null && (!now.key().equals(key) || now.size() != size.get()
                            || store.size() != size.get())) {
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
                    retainedAs = now;
                    return true;
                }
            }
        } finally {
            structure.unlockWrite(stamp);
        }
        close(closeFailure != null);
        if (closeFailure != null) {
            throw closeFailure;
        }
        return false;
    }

    /** @return whether the file is retained: no handle open, pages kept, no store open */
    boolean retained() {
        return retainedAs != null;
    }

    /**
     * Takes a retained file back into use with a freshly opened store, if the file {@code now} describes is the
     * one retained: same file key, birth time, size and last-modified time. Under the cache's file lock.
     *
     * @return whether it was; if not, nothing changed (the caller drops this file)
     */
    boolean reattach(FileIdentity now, BackingStore opened, Path openedAs, boolean openedWritable) throws IOException {
        long stamp = structure.writeLock();
        try {
            FileIdentity was = retainedAs;
            if (closed || was == null || !was.sameContentAs(now) || opened.size() != size.get()) {
                return false;
            }
            store = opened;
            path = openedAs;
            writable = openedWritable;
            retainedAs = null;
            return true;
        } finally {
            structure.unlockWrite(stamp);
        }
    }

    /** @return what differs between the retained file and {@code now}, for the log */
    String retainedDifferences(FileIdentity now) {
        FileIdentity was = retainedAs;
        return was == null ? "not retained" : was.differences(now);
    }

    /**
     * Makes a file open read-only writable: later page-ins and write-backs use {@code writableStore}; the
     * read-only store stays open (page-ins in flight may use it) until the file closes. Under the file lock.
     */
    void upgrade(BackingStore writableStore) {
        long stamp = structure.writeLock();
        try {
            replacedStores.add(store);
            store = writableStore;
            writable = true;
        } finally {
            structure.unlockWrite(stamp);
        }
    }

    private void closeStores() throws IOException {
        IOException failure = null;
        BackingStore s = store;
        store = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        for (BackingStore r : replacedStores) {
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
        replacedStores.clear();
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
        long stamp = structure.writeLock();
        VarHandle.fullFence(); // before any look at a frame: see lockCachedForWrite
        try {
            if (closed) {
                return;
            }
            int guards = openGuards.get();
            if (!force && guards > 0) {
                // their holders may be waiting for this lock to open another guard: refuse rather than wait
                throw new IOException(guards + " page guard(s) of " + path + " are still open; close them first");
            }
            IOException failure = null;
            try {
                durability.writeDirtyPages();
            } catch (IOException e) {
                if (!force) {
                    throw e;
                }
                failure = e;
            }
            // a loss declared earlier cannot be mended by keeping the file open: close, and report it again
            IOException loss = durability.dataLoss();
            if (loss != null && failure == null) {
                failure = new IOException("data of " + path + " written back before a failed force may have been lost",
                        loss);
            }
            closed = true;
            retainedAs = null;
            IntArrayList found = new IntArrayList();
            table.forEach(0, (p, f) -> {
                found.addInt(p);
                found.addInt(f);
                return 0;
            });
            long deadline = System.nanoTime() + waitNanos;
            int stuck = 0;
            String stuckWhy = null;
            for (int i = 0; i < found.size(); i += 2) {
                int page = found.getInt(i);
                int f = found.getInt(i + 1);
                if (!frames.tryLock(f, Math.max(0, deadline - System.nanoTime()))) {
                    if (frames.isBoundTo(f, slot)) {
                        stuck++;
                        stuckWhy = "page " + page + " stayed locked (by a write guard?)";
                    }
                    continue;
                }
                if (!frames.keepLockIfBound(f, slot, page)) {
                    continue;
                }
                if (!frames.awaitClear(f, WRITEBACK | PIN_MASK, Math.max(0, deadline - System.nanoTime()))) {
                    frames.unlockUnchanged(f, 0, 0);
                    stuck++;
                    stuckWhy = "page " + page + " stayed pinned (by a read guard?) or under write-back";
                    continue;
                }
                abandon(f, page);
            }
            if (stuck == 0) {
                cache.releaseSlot(slot);
            } else {
                cache.retireSlot(this);
                cache.logStuckClose(this, stuck, stuckWhy);
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
            structure.unlockWrite(stamp);
        }
    }

    @Override
    public String toString() {
        return "CachedFile[" + path + ", slot " + slot + "]";
    }
}
