package org.pagecache.offheap;

import static org.pagecache.offheap.frame.FrameTable.DIRTY;
import static org.pagecache.offheap.frame.FrameTable.UPTODATE;
import static org.pagecache.offheap.frame.FrameTable.WRITEBACK;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.frame.TranslationTable;
import org.pagecache.offheap.jfr.PageInEvent;
import org.pagecache.offheap.reclaim.PageOwner;
import org.pagecache.offheap.reclaim.Reclaimer;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.write.TempPagePool;

/**
 * One file in the cache, shared by every handle that opened it: reads, page lookup and page-in, guards, flush
 * and sync (through its {@link FileDurability}); the write path is its companion {@link FileWrites}, truncation,
 * close and retain {@link FileLifecycle} (both use this class's fields directly). The lock order and the
 * concurrency design are in {@link OffHeapPageCache}'s essay.
 *
 * <p>The structural lock ({@link StampedLock}) is taken shared by a page-in and by the destination phase of
 * each write chunk that is not a write hit (never while reading a source), and exclusively by truncation and
 * close. Hit reads take no structural lock: they validate the frame's version instead; write hits validate an
 * optimistic stamp of the structural lock once the page lock is held.
 */
final class CachedFile implements PageOwner {
    private static final int OPTIMISTIC_ATTEMPTS = 4;
    private static final int MAX_STALLS = 100;

    final OffHeapPageCache cache;
    final FrameTable frames;
    final Reclaimer reclaimer;
    final TempPagePool temps;
    final Counters counters;
    /** The path the file was last opened by (messages; the retained file's identity check). */
    volatile Path path;
    /** What the file is ({@link FileIdentity#key()}): the cache's file table key. */
    final Object key;
    /** The open store; null while the file is retained with no handle open. */
    volatile BackingStore store;
    /** Read-only stores replaced by a writable one; closed with the file. Guarded by the cache's file lock. */
    final java.util.List<BackingStore> replacedStores = new java.util.ArrayList<>();

    final int slot;
    volatile boolean writable;
    /** The file as it was when its last handle closed and its pages were retained; null while open. */
    volatile FileIdentity retainedAs;

    final int pageSize;
    final int pageShift;
    final int pageMask;
    final long waitNanos;
    final TranslationTable table = new TranslationTable();
    final StampedLock structure = new StampedLock();
    final AtomicLong size;
    final java.util.concurrent.atomic.AtomicInteger openGuards = new java.util.concurrent.atomic.AtomicInteger();
    volatile boolean closed;
    /** Flush, sync and the failures they must report. */
    final FileDurability durability;
    /** Truncations that shrank the file; written under the exclusive structural lock. */
    volatile long truncations;
    /** Open handles; guarded by the cache's file lock. */
    int handles;
    /** Sequential detection of read-ahead ({@link ReadAhead}). */
    final ReadAhead.Window readAheadWindow = new ReadAhead.Window();
    /** The write path ({@link FileWrites}). */
    private final FileWrites writes;
    /** Truncation, close, retain and re-attach ({@link FileLifecycle}). */
    private final FileLifecycle lifecycle;

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
        this.writes = new FileWrites(this);
        this.lifecycle = new FileLifecycle(this);
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
            copyOutHit(f, inPage, dst, dstIndex, n);
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

    /**
     * Takes the structural lock shared only if no one holds it exclusively now (it never queues behind a waiting
     * truncation or close): for the asynchronous page-ins' thread, which holds it for reads in flight.
     *
     * @return the stamp, or 0 if it is held exclusively or the file is closed or retained
     */
    long tryLockShared() {
        long stamp = structure.tryReadLock();
        if (stamp != 0 && (closed || retainedAs != null)) {
            structure.unlockRead(stamp);
            return 0;
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

    /**
     * The optimistic hit's copy: into a direct buffer through a segment of it, which the compiler does not
     * allocate once this path is inlined (0 B/op measured).
     */
    private void copyOutHit(int f, int inPage, ByteBuffer dst, int dstIndex, int n) {
        long from = frames.offset(f) + inPage;
        if (dst.hasArray()) {
            MemorySegment.copy(
                    frames.memory(), ValueLayout.JAVA_BYTE, from, dst.array(), dst.arrayOffset() + dstIndex, n);
        } else {
            MemorySegment.copy(frames.memory(), from, MemorySegment.ofBuffer(dst), dstIndex - dst.position(), n);
        }
    }

    /**
     * The locked read's copy: into a direct buffer from the frame table's shared view, so that the slow path,
     * which the compiler does not inline as deep, makes no segment of the buffer either.
     */
    private void copyOut(int f, int inPage, ByteBuffer dst, int dstIndex, int n) {
        if (dst.hasArray()) {
            long from = frames.offset(f) + inPage;
            MemorySegment.copy(
                    frames.memory(), ValueLayout.JAVA_BYTE, from, dst.array(), dst.arrayOffset() + dstIndex, n);
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
     * Counts a hit on frame {@code f}, locked for page {@code page}, and marks it used: a hit is a use, whoever
     * locks the page (but not the first use of a page read ahead).
     */
    void lockedHit(int f, int page) {
        if (!FrameState.isReferenced(frames.state(f)) && !cache.readAhead().firstUse(f, slot, page)) {
            frames.reference(f);
        }
        counters.hit();
    }

    /**
     * Returns the frame of {@code page}, locked, counting a hit (an existing frame) or a fault (a page-in). An
     * existing frame is uptodate. A new frame is read in when {@code needContent} (bytes past the end of the
     * stored file as zeros; a page wholly past the end of the file is zero-filled without a read and counts no
     * fault); otherwise it is left not uptodate, and the
     * caller must fill it whole and mark it, or {@link #abandon} it. Called with the structural lock held shared
     * and no page lock held (it may wait for a free frame).
     */
    int lockPage(int page, boolean needContent) throws IOException {
        for (; ; ) {
            int f = table.get(page);
            if (f >= 0) {
                if (frames.lockIfBound(f, slot, page)) {
                    lockedHit(f, page);
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
                if (((long) page << pageShift) >= size.get()) {
                    // wholly past the end of the file (an append): nothing stored to read, its content is zeros;
                    // the size only shrinks under the structural lock held exclusively, which excludes this
                    frames.memory().asSlice(frames.offset(nf), pageSize).fill((byte) 0);
                    frames.markUptodate(nf);
                    return nf;
                }
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
        fill(f, page, 0);
    }

    /** Reads the rest of a page in from the store, from byte {@code from} of it on. */
    private void fill(int f, int page, int from) throws IOException {
        long pageStart = (long) page << pageShift;
        ByteBuffer buffer = frames.fillView(f); // this thread's, reused: no view made per page-in
        int start = buffer.position();
        buffer.position(start + from);
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

    // ---------------------------------------------------------------- asynchronous page-ins (io_uring)

    private static final int ASYNC_FD_UNTRIED = -2;
    private final Object asyncFdLock = new Object();
    /** The descriptor for page-ins that bypass the store, -1 if there is none, or not tried yet. */
    private int asyncFd = ASYNC_FD_UNTRIED;

    /**
     * A native descriptor of this file for page-ins that bypass the store ({@link UringPrefetcher}), opened on
     * first use from the store's {@link BackingStore#bypassReadPath()} and kept until the store closes; checked
     * to be this very file (its key). Called with the structural lock held shared.
     *
     * @return the descriptor, or -1 if page-ins must go through the store (a store that injects faults, no
     *     {@code /proc/self/fd}, or the open failed)
     */
    int asyncReadFd() {
        synchronized (asyncFdLock) {
            if (store == null) {
                return -1; // retained with no store: tried again once a handle opens one
            }
            if (asyncFd == ASYNC_FD_UNTRIED) {
                asyncFd = openAsyncFd();
            }
            return asyncFd;
        }
    }

    private int openAsyncFd() {
        BackingStore s = store;
        Path link = s == null ? null : s.bypassReadPath();
        if (link == null) {
            return -1;
        }
        int fd;
        try {
            fd = Uring.openForRead(link, s.bypassReadsDirect());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        try {
            Object opened = java.nio.file.Files.readAttributes(
                            Path.of("/proc/self/fd/" + fd), java.nio.file.attribute.BasicFileAttributes.class)
                    .fileKey();
            if (key.equals(opened)) {
                return fd;
            }
        } catch (IOException | RuntimeException e) {
            // not the file, or cannot tell: close it below
        }
        Uring.closeFd(fd);
        return -1;
    }

    /** Closes the descriptor of {@link #asyncReadFd()}: with the store, under the structural lock exclusively. */
    void closeAsyncFd() {
        synchronized (asyncFdLock) {
            int fd = asyncFd;
            asyncFd = ASYNC_FD_UNTRIED;
            Uring.closeFd(fd);
        }
    }

    /** @return the native address of frame {@code f}'s memory, where an asynchronous read puts the page */
    long frameAddress(int f) {
        return frames.memory().address() + frames.offset(f);
    }

    /** @return the page size in bytes */
    int pageSize() {
        return pageSize;
    }

    /**
     * Begins an asynchronous page-in of {@code page}: a frame bound to it, locked and installed, not uptodate;
     * the caller reads the page into {@link #frameAddress} and ends with {@link #completePageIn} or
     * {@link #abandon}. Called with the structural lock held shared, which the caller keeps until then.
     *
     * @return the frame, or -1 if the page is cached or past the end of the file
     */
    int beginPageIn(int page) throws IOException {
        if (table.get(page) >= 0 || ((long) page << pageShift) >= size.get()) {
            return -1;
        }
        int nf = reclaimer.allocate();
        frames.bindLocked(nf, slot, page);
        if (!table.install(page, nf)) {
            frames.unbindAndUnlock(nf);
            reclaimer.free(nf);
            return -1;
        }
        reclaimer.admitted(nf, slot, page); // a page-in is not a use: not referenced
        return nf;
    }

    /**
     * Ends an asynchronous page-in that read {@code read} bytes into frame {@code f}: a short read goes on
     * through the store (the end of the file, or a read cut short), then the frame is uptodate and unlocked; a
     * failure abandons it.
     */
    void completePageIn(int f, int page, int read) throws IOException {
        try {
            if (read < pageSize) {
                fill(f, page, read);
            }
        } catch (IOException | RuntimeException | Error e) {
            abandon(f, page);
            throw e;
        }
        frames.markUptodate(f);
        counters.fault();
        frames.unlock(f, 0, 0); // a page-in is not a use: the read that follows marks it
    }

    /** Drops a locked frame that never became (or no longer is) a valid copy of its page. */
    void abandon(int f, int page) {
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
        return writes.write(position, src, mayFault);
    }

    long write(long position, View view) throws IOException {
        return writes.write(position, view);
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

    // ---------------------------------------------------------------- in-place access

    Guard pinForRead(int page) throws IOException {
        ensureOpen();
        if (((long) page << pageShift) >= size.get()) {
            throw new java.io.EOFException(
                    "page " + page + " starts at or past the end of " + path + " (" + size.get() + " bytes)");
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
                        if (FrameState.isReferenced(pinned)
                                || !cache.readAhead().firstUse(f, slot, page)) {
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

    void reserveGuard(boolean write) throws IOException {
        cache.reserveGuard(write);
        openGuards.incrementAndGet();
    }

    void releaseGuard(boolean write) {
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

    void growTo(long end) {
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
    void truncate(long newSize) throws IOException {
        lifecycle.truncate(newSize);
    }

    void flush() throws IOException {
        ensureOpen();
        durability.flush();
    }

    void sync() throws IOException {
        ensureOpen();
        durability.sync();
    }

    /** @return the write paths (tests drive a write hit step by step through it) */
    FileWrites writes() {
        return writes;
    }

    // ---------------------------------------------------------------- lifecycle: last handle, retain, re-open
    boolean closeLastHandle() throws IOException {
        return lifecycle.closeLastHandle();
    }

    /** @return whether the file is retained: no handle open, pages kept, no store open */
    boolean retained() {
        return retainedAs != null;
    }

    boolean reattach(FileIdentity now, BackingStore opened, Path openedAs, boolean openedWritable) throws IOException {
        return lifecycle.reattach(now, opened, openedAs, openedWritable);
    }

    /** @return what differs between the retained file and {@code now}, for the log */
    String retainedDifferences(FileIdentity now) {
        FileIdentity was = retainedAs;
        return was == null ? "not retained" : was.differences(now);
    }

    void upgrade(BackingStore writableStore) {
        lifecycle.upgrade(writableStore);
    }

    void close(boolean force) throws IOException {
        lifecycle.close(force);
    }

    @Override
    public String toString() {
        return "CachedFile[" + path + ", slot " + slot + "]";
    }
}
