package org.pagecache.offheap;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.reclaim.PageOwner;
import org.pagecache.offheap.reclaim.Reclaimer;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.DirectStore;
import org.pagecache.offheap.store.StoreFactory;
import org.pagecache.offheap.write.TempPagePool;

/**
 * The off-heap page cache: {@code OffHeapPageCache.builder().pageSize(4096).capacity(64 << 20).build()}.
 *
 * <h2>Design</h2>
 *
 * <p><b>Memory.</b> One arena of {@code capacity} bytes, allocated once and split into frames of
 * {@code pageSize}; beside it, per frame, a 64-bit state word and a 4-byte page index ({@link FrameTable}
 * draws the layout). Each open file has a {@link org.pagecache.offheap.frame.TranslationTable} from page index
 * to frame. Nothing is allocated on the hit path.
 *
 * <p><b>Reads</b> are optimistic: look the frame up, read its state word, check that it is unlocked and bound
 * to this file and page, copy, and read the state again; the same version means no writer got in between (every
 * exclusive unlock bumps the version), so the copy is one instant of the page. After a few failed attempts a
 * reader takes the page lock. A page that is not cached is paged in by installing a locked, not-uptodate frame
 * in the translation table with a compare-and-set; threads that race to the same page find that frame and wait
 * on its lock, so one read I/O serves them all.
 *
 * <p><b>Writes</b> are copied chunk by chunk, one destination page per chunk. A source that cannot fault (heap
 * memory, anonymous native memory) is copied straight into the page under its lock. A source that can fault is
 * first copied into a temporary page from a reserve of its own ({@link TempPagePool}) with no page lock held
 * (W1): an OS-mapped source through a fault barrier ({@link org.pagecache.offheap.write.MappedSourceCopy}), a
 * {@link org.pagecache.api.MappedView} through this cache's own read path, which may page in, evict and wait.
 * Only then is the destination locked and the temporary page copied in. A view whose pages are resident is
 * copied directly instead, from pages pinned without waiting while the destination lock is held (W5, the kernel's
 * "atomic copy"); if any pin cannot be had at once the chunk takes the temporary page, so progress never depends
 * on the source (W4). A chunk that does not cover its page reads the page in first if it is not cached (W2);
 * a page is marked uptodate only once it holds the whole page. A source fault abandons the chunk before the
 * destination is touched (W3): the bytes written so far are returned, or {@link org.pagecache.api.SourceFaultException}.
 *
 * <p><b>Eviction.</b> A {@link Reclaimer} on its own thread (an Agrona agent) keeps free frames between two
 * watermarks by evicting the victims of its replacement policy (S3-FIFO, docs/eviction.md), writing dirty
 * pages back in batches: file-adjacent pages go out in one vectored write. A thread that finds no free frame
 * runs the sweep itself; if every frame is pinned, locked or under write-back it waits up to
 * {@link Builder#frameWaitTimeout} and then fails with a clear {@link IOException}.
 *
 * <h2>Lock order</h2>
 * Written once here and obeyed everywhere. Outermost first, with the methods that take each lock:
 * <pre>
 *  cache close lock        OffHeapPageCache#close
 *    cache file lock       OffHeapPageCache#open, #closeHandle, #closeNow (around each file's close), #stats
 *      structural lock     CachedFile: exclusive in #truncate, #closeLastHandle, #reattach, #upgrade, #close;
 *                          shared in #pageIn, #readLocked, #copyIn, #tryFastPath, #pinForRead (after its
 *                          optimistic try), #lockForWrite
 *        page lock         FrameTable#lock and friends, through CachedFile#lockPage (reads, writes, guards),
 *                          #holdForTruncate, #close; only tried: Reclaimer#tryEvict
 *                          (FrameTable#tryLockForEviction) and WriteBack#writeBack (without waiting from the
 *                          sweep, waiting a bounded time from flush and sync)
 *          pins            FrameTable#tryPin in FileWrites#pinSource (under the destination page lock) and
 *                          #pinForRead; FrameTable#pinLocked under the page's own lock
 *          policy          QueuePolicy's monitor: #admit (under the new frame's lock), #evicted (under the
 *                          evicted frame's lock), #forget, #next (which only reads state words)
 *            innermost     WaitTable's bucket monitors, TranslationTable's leaf monitor: take nothing else
 *
 *  sync lock               FileDurability#sync, a monitor outside that order: its caller may hold a write
 *                          guard (a page lock), so under it page locks are only waited for with a bound
 *                          (WriteBack#writeBack from FileDurability#writeDirtyPages, FileDurability#syncLocked
 *                          after a failed force), and no structural lock is taken
 * </pre>
 * And the rules that the order alone does not say:
 * <ol>
 *   <li>at most one page lock is held while waiting for a lock, a free frame or I/O, except by truncation,
 *       which holds the structural lock exclusively while it collects the locks of the pages it drops, and
 *       waits for each with a bound; pins are only ever <em>tried</em> (never waited for) while a page lock is
 *       held;</li>
 *   <li>page guards: a thread that holds several guards of one file takes them in ascending page order, as
 *       {@link org.pagecache.api.PageGuard} asks of its users (two threads locking two pages in opposite
 *       orders deadlock like any two locks);</li>
 *   <li>the reclaimer only tries page locks; a page's write-back runs with its lock released;</li>
 *   <li>no page lock and no structural lock is held while reading a source that can fault (W1), or while
 *       waiting for a free frame with a page lock (frames are allocated before the page is locked).</li>
 * </ol>
 *
 * <h2>Files: identity and lifecycle</h2>
 * Files are keyed by what they are ({@link FileIdentity}: the file key, device and inode), never by their
 * spelling; an open stats the path before and after opening a store and tries again if they differ. When the
 * last handle closes, the file's dirty pages are written back, its store is closed and its pages are kept
 * ("retained") with its slot until evicted; a later open re-attaches them only if the file's key, birth time,
 * size and last-modified time are unchanged, and drops them otherwise. Retained files give their slot back when
 * the slots run out.
 *
 * <h2>Closing</h2>
 * {@link #close()} waits (bounded) for open page guards, refusing to go on while a write guard is open, then
 * flushes and closes every file, stops the reclaimer and frees the arena. An operation racing
 * with it fails with {@link ClosedChannelException}; the arena is a shared FFM arena, so it can never touch
 * freed memory. Closing a file (with the file table lock and its structural lock held) never waits unbounded:
 * one deadline, the frame wait timeout, covers its waits for page locks, pins and write-backs; a page still held
 * by a guard then stays bound to the closed file (never freed under a guard, its slot never reused), and the
 * guard holder's next call fails with {@link ClosedChannelException}. {@code sync()} takes no page lock before
 * its force (a thread holding a write guard may call it); after a failed force it waits for page locks a
 * bounded time. A read guard's lock-free pin is validated against the structural lock, so it never survives a
 * close that did not see it.
 */
public final class OffHeapPageCache implements PageCache {
    private static final System.Logger LOG = System.getLogger(OffHeapPageCache.class.getName());
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** Largest page index: translation tables and frame page indexes are {@code int}s. */
    private static final long MAX_PAGES = Integer.MAX_VALUE;
    /**
     * Most frames a cache can have: the free-frame queue holds at most 2^30 entries (a power of two that fits an
     * {@code int}), so larger capacities are refused by the builder before anything is allocated.
     */
    static final long MAX_FRAMES = 1L << 30;
    /** The default largest read-ahead window, in pages ({@link Builder#readAhead}). */
    public static final int DEFAULT_READ_AHEAD = 64;
    /** The default share of the frames that may be dirty before writers wait ({@link Builder#dirtyRatio}). */
    public static final double DEFAULT_DIRTY_RATIO = 0.2;
    /** The default share of the frames dirty at which background write-back starts. */
    public static final double DEFAULT_DIRTY_BACKGROUND_RATIO = 0.1;
    /** Attempts of an open whose path keeps naming another file between its look-up and its store's open. */
    private static final int MAX_OPEN_ATTEMPTS = 8;

    private final FrameTable frames;
    private final Reclaimer reclaimer;
    private final AgentRunner reclaimerRunner;
    private final TempPagePool temps;
    /** Background page-ins of {@code PagedFile.prefetch}: two daemon threads, started by the first request. */
    private final Prefetcher prefetcher = new Prefetcher(2, 1024, "pagecache-prefetch");
    private final Counters counters = new Counters();
    /** Sequential read-ahead ({@link Builder#readAhead}). */
    private final ReadAhead readAhead;
    /** Dirty page limits and background write-back ({@link Builder#dirtyRatio}). */
    private final DirtyThrottle dirtyThrottle;
    private final StoreFactory storeFactory;
    private final long frameWaitNanos;
    private final long maxFileSize;
    private final Object fileLock = new Object();
    /** Open and retained files by {@link FileIdentity#key()}; guarded by {@link #fileLock}. */
    private final Map<Object, CachedFile> files = new HashMap<>();
    /** Files with no handle open whose pages are kept, oldest first; guarded by {@link #fileLock}. */
    private final Set<CachedFile> retained = new LinkedHashSet<>();
    /** Retained files by the path they were last open by; guarded by {@link #fileLock}. */
    private final Map<Path, CachedFile> retainedByPath = new HashMap<>();
    private final CachedFile[] slots = new CachedFile[FrameTable.MAX_SLOT + 1];
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private int nextSlot = 1;
    /** Another write from views (tests only), or null. */
    private final CachedFile.ViewWriteStrategy viewWriteStrategy;
    private final AtomicInteger guards = new AtomicInteger();
    private final int maxGuards;
    private final ObjectName mxBeanName;
    private volatile boolean closed;
    /** Set by {@link #close()} while it waits for guards: new guards fail meanwhile. */
    private volatile boolean closing;
    private final Object closeLock = new Object();
    private final AtomicInteger writeGuards = new AtomicInteger();

    private OffHeapPageCache(Builder b) {
        this.viewWriteStrategy = b.viewWriteStrategy;
        this.maxGuards = Math.max(1, (int) (b.capacity / b.pageSize) - Math.max(2, (int) (b.capacity / b.pageSize) / 8));
        int frameCount = (int) (b.capacity / b.pageSize);
        this.storeFactory = b.storeFactory;
        this.frameWaitNanos = b.frameWaitTimeout.toNanos();
        this.maxFileSize = MAX_PAGES * b.pageSize;
        FrameTable frameTable = null;
        TempPagePool tempPool = null;
        AgentRunner runner = null;
        Reclaimer rec = null;
        boolean built = false;
        try {
            // every failure from here on frees what was made: a failed build() leaks no arena and no thread
            frameTable = new FrameTable(frameCount, b.pageSize);
            tempPool = new TempPagePool(b.tempPages, b.pageSize);
            int low = b.lowWatermark > 0 ? b.lowWatermark : Math.max(2, frameCount / 32);
            int high = b.highWatermark > 0 ? b.highWatermark : Math.max(low + 1, frameCount / 16);
            this.frames = frameTable;
            this.temps = tempPool;
            rec = new Reclaimer(frameTable, this::owner, low, Math.min(high, frameCount), frameWaitNanos);
            this.reclaimer = rec;
            int readAheadCap = frameCount / 8; // a window of one page is no read-ahead: tiny caches have none
            this.readAhead = new ReadAhead(readAheadCap >= 2 ? Math.min(b.readAheadPages, readAheadCap) : 0,
                    frameTable, rec, counters, "pagecache-readahead");
            this.dirtyThrottle = new DirtyThrottle(frameTable, rec, this::owner,
                    Math.max(1, (long) (frameCount * b.dirtyRatio)), (long) (frameCount * b.dirtyBackgroundRatio),
                    frameWaitNanos, "pagecache-writeback-" + INSTANCES.get());
            runner = new AgentRunner(new SleepingIdleStrategy(TimeUnit.MILLISECONDS.toNanos(10)),
                    e -> LOG.log(Level.WARNING, "reclaimer error", e), null, rec);
            this.reclaimerRunner = runner;
            int id = INSTANCES.incrementAndGet();
            AgentRunner.startOnThread(runner, r -> {
                Thread t = new Thread(r, "pagecache-reclaimer-" + id);
                t.setDaemon(true);
                return t;
            });
            ObjectName name = null;
            if (b.mxBeanName != null) {
                try {
                    name = new ObjectName("org.pagecache:type=PageCache,name=" + ObjectName.quote(b.mxBeanName));
                    ManagementFactory.getPlatformMBeanServer().registerMBean(new MXBeanAdapter(this), name);
                } catch (JMException e) {
                    throw new IllegalArgumentException("registerMXBean: cannot register " + name + ": "
                            + e.getMessage(), e);
                }
            }
            this.mxBeanName = name;
            built = true;
        } finally {
            if (!built) {
                if (runner != null) {
                    runner.close();
                }
                if (rec != null) {
                    rec.close();
                }
                if (tempPool != null) {
                    tempPool.close();
                }
                if (frameTable != null) {
                    frameTable.close();
                }
            }
        }
    }

    /** @return the JMX name the cache is registered under, or null */
    public ObjectName mxBeanName() {
        return mxBeanName;
    }

    /** @return a builder with the defaults: 4 KiB pages, 64 MiB */
    public static Builder builder() {
        return new Builder();
    }

    FrameTable frames() {
        return frames;
    }

    Reclaimer reclaimer() {
        return reclaimer;
    }

    Prefetcher prefetcher() {
        return prefetcher;
    }

    ReadAhead readAhead() {
        return readAhead;
    }

    DirtyThrottle dirtyThrottle() {
        return dirtyThrottle;
    }

    /** @return writes that waited for write-back because the dirty pages were over {@link Builder#dirtyRatio} */
    public long throttledWrites() {
        return dirtyThrottle.waits();
    }

    /** @return pages written back by background write-back (over {@link Builder#dirtyBackgroundRatio}) */
    public long backgroundWritebacks() {
        return dirtyThrottle.pagesWritten();
    }

    /** @return pages read in by read-ahead so far */
    public long readAheadPages() {
        return readAhead.pages();
    }

    /** @return store reads issued by read-ahead so far (each reads a run of up to {@code readAhead} pages) */
    public long readAheadReads() {
        return readAhead.reads();
    }

    TempPagePool temps() {
        return temps;
    }

    Counters counters() {
        return counters;
    }

    long frameWaitNanos() {
        return frameWaitNanos;
    }

    /**
     * Counts a page guard in; fails when the guards would leave the cache too few frames to page anything in.
     */
    void reserveGuard(boolean write) throws IOException {
        if (guards.incrementAndGet() > maxGuards) {
            guards.decrementAndGet();
            throw new IOException("too many page guards open: at most " + maxGuards + " of the " + frames.frames()
                    + " frames may be pinned or locked by guards at once; close guards sooner or raise the capacity");
        }
        if (write) {
            writeGuards.incrementAndGet();
        }
        // counted first, then the flag read; close() sets the flag, then reads the counts: one of the two sees
        // the other (both are volatile), so no guard opens unseen by a close that goes ahead
        if (closing) {
            releaseGuard(write);
            throw new ClosedChannelException();
        }
    }

    void releaseGuard(boolean write) {
        if (write) {
            writeGuards.decrementAndGet();
        }
        guards.decrementAndGet();
    }

    /** @return the strategy writes from views use instead of the real one (tests only), or null */
    CachedFile.ViewWriteStrategy viewWriteStrategy() {
        return viewWriteStrategy;
    }

    long maxFileSize() {
        return maxFileSize;
    }

    private PageOwner owner(int slot) {
        return slots[slot];
    }

    /** Maps an {@link IllegalStateException} met while the cache was closing to {@link ClosedChannelException}. */
    IOException closedOr(IllegalStateException e) {
        if (closed) {
            ClosedChannelException closedException = new ClosedChannelException();
            closedException.initCause(e);
            return closedException;
        }
        throw e;
    }

    @Override
    public PagedFile open(Path file, OpenOption... options) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        Set<OpenOption> opts = new HashSet<>();
        boolean direct = false;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "options contains null");
            if (o == ExtendedOpenOption.DIRECT) {
                direct = true;
                continue;
            }
            if (!(o instanceof StandardOpenOption so) || so == StandardOpenOption.APPEND
                    || so == StandardOpenOption.DELETE_ON_CLOSE) {
                throw new IllegalArgumentException("options: " + o + " is not supported by a cached file");
            }
            opts.add(o);
        }
        if (opts.isEmpty()) {
            opts.add(StandardOpenOption.WRITE);
        }
        if (direct) {
            long blockSize = DirectStore.blockSize(file);
            if (frames.pageSize() % blockSize != 0) {
                throw new IOException(file + ": direct I/O needs a page size that is a multiple of the file system's"
                        + " block size (" + blockSize + " bytes); this cache's pages are " + frames.pageSize()
                        + " bytes");
            }
            opts.add(ExtendedOpenOption.DIRECT);
        }
        boolean writable = opts.contains(StandardOpenOption.WRITE);
        if (!writable && (opts.contains(StandardOpenOption.CREATE) || opts.contains(StandardOpenOption.CREATE_NEW)
                || opts.contains(StandardOpenOption.TRUNCATE_EXISTING))) {
            throw new IllegalArgumentException("options: " + opts + " create or truncate without WRITE");
        }
        opts.add(StandardOpenOption.READ);
        // not normalised: "dir/lnk/../f" means what the OS makes of it; the file table is keyed by what it names
        Path spelled = file.toAbsolutePath();
        synchronized (fileLock) {
            for (int attempt = 1; ; attempt++) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                PagedFile opened = tryOpen(file, spelled, opts, writable);
                if (opened != null) {
                    return opened;
                }
                if (attempt == MAX_OPEN_ATTEMPTS) {
                    throw new IOException("open of " + file + ": the file it names kept changing (deleted, renamed or"
                            + " replaced by another process) while it was opened, " + MAX_OPEN_ATTEMPTS + " times");
                }
            }
        }
    }

    /**
     * One attempt to open: look the file up by what the path names now; if it is not open, open a store and
     * look at the path again, so a store opened on another file than the one looked up is never used.
     *
     * @return the handle, or null if the path changed meanwhile (the caller tries again)
     */
    private PagedFile tryOpen(Path file, Path spelled, Set<OpenOption> opts, boolean writable) throws IOException {
        FileIdentity before = FileIdentity.of(spelled);
        if (before != null) {
            if (opts.contains(StandardOpenOption.CREATE_NEW)) {
                throw new FileAlreadyExistsException(file.toString());
            }
            CachedFile live = files.get(before.key());
            if (live != null && !live.retained()) {
                return attach(live, file, spelled, opts, writable);
            }
        }
        BackingStore store = openStore(spelled, Set.copyOf(opts));
        boolean kept = false;
        try {
            FileIdentity after = FileIdentity.of(spelled);
            if (after == null || (before != null && !before.key().equals(after.key()))) {
                return null;
            }
            CachedFile replaced = retainedByPath.get(spelled);
            if (replaced != null && !replaced.key().equals(after.key())) {
                // the path was retained naming another file: that file was deleted or replaced since
                LOG.log(Level.DEBUG, () -> "dropping the retained pages of " + file + ": the path names another file");
                counters.reopenDrops.increment();
                dropRetained(replaced);
            }
            CachedFile found = files.get(after.key());
            if (found != null && !found.retained()) {
                return attach(found, file, spelled, opts, writable);
            }
            if (found != null) {
                unretain(found); // under the path it was retained by (reattach may change it)
                if (found.reattach(after, store, spelled, writable)) {
                    kept = true;
                    found.handles = 1;
                    counters.reopenHits.increment();
                    return new FileHandle(found, writable);
                }
                LOG.log(Level.DEBUG, () -> "dropping the retained pages of " + file + ": "
                        + found.retainedDifferences(after));
                counters.reopenDrops.increment();
                dropRetained(found);
            }
            int slot = allocateSlot();
            CachedFile created;
            try {
                created = new CachedFile(this, spelled, after.key(), store, slot, writable);
            } catch (IOException | RuntimeException e) {
                freeSlots.push(slot);
                throw e;
            }
            kept = true;
            created.handles = 1;
            slots[slot] = created;
            files.put(after.key(), created);
            return new FileHandle(created, writable);
        } finally {
            if (!kept) {
                closeQuietly(store);
            }
        }
    }

    /** A new handle on a file open in this cache, making it writable if it was open read-only. */
    private PagedFile attach(CachedFile cached, Path file, Path spelled, Set<OpenOption> opts, boolean writable)
            throws IOException {
        if (opts.contains(StandardOpenOption.CREATE_NEW)) {
            throw new FileAlreadyExistsException(file.toString());
        }
        if (writable && !cached.writable()) {
            Set<OpenOption> upgrade = new HashSet<>(opts);
            upgrade.remove(StandardOpenOption.CREATE);
            upgrade.remove(StandardOpenOption.TRUNCATE_EXISTING); // the cache truncates, below
            BackingStore store = storeFactory.open(spelled, Set.copyOf(upgrade));
            FileIdentity after;
            try {
                after = FileIdentity.of(spelled);
            } catch (IOException | RuntimeException e) {
                closeQuietly(store);
                throw e;
            }
            if (after == null || !after.key().equals(cached.key())) {
                closeQuietly(store);
                return null;
            }
            cached.upgrade(store);
        }
        if (opts.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            cached.truncate(0);
        }
        cached.handles++;
        return new FileHandle(cached, writable);
    }

    private static void closeQuietly(BackingStore store) {
        try {
            store.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing an unused store failed", e);
        }
    }

    private void unretain(CachedFile f) {
        if (retained.remove(f)) {
            retainedByPath.remove(f.path(), f);
        }
    }

    /** Drops a retained file: its pages, its slot. Under the file lock. */
    private void dropRetained(CachedFile f) {
        unretain(f);
        try {
            f.close(true);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "dropping the retained pages of " + f.path() + " failed", e);
        }
    }

    /**
     * Opens a file's store and refuses a file larger than the cache can address (2^31-1 pages: page indexes are
     * {@code int}s), so no position can wrap to another page.
     */
    private org.pagecache.offheap.store.BackingStore openStore(Path key, Set<OpenOption> opts) throws IOException {
        org.pagecache.offheap.store.BackingStore store = storeFactory.open(key, opts);
        try {
            long size = store.size();
            if (size > maxFileSize) {
                throw new IOException(key + " is " + size + " bytes: larger than the " + maxFileSize + " bytes ("
                        + MAX_PAGES + " pages of " + frames.pageSize() + ") a cached file can have");
            }
            return store;
        } catch (IOException | RuntimeException | Error e) {
            try {
                store.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private int allocateSlot() throws IOException {
        Integer free = freeSlots.poll();
        if (free != null) {
            return free;
        }
        if (nextSlot <= FrameTable.MAX_SLOT) {
            return nextSlot++;
        }
        // every slot is taken: retained files give theirs back, oldest first
        while (!retained.isEmpty()) {
            dropRetained(retained.iterator().next());
            free = freeSlots.poll();
            if (free != null) {
                return free;
            }
        }
        throw new IOException("too many open files: at most " + FrameTable.MAX_SLOT + " per cache");
    }

    /** Called by a closing file once none of its frames is bound any more; under the file lock. */
    void releaseSlot(int slot) {
        CachedFile f = slots[slot];
        slots[slot] = null;
        if (f != null) {
            files.remove(f.key(), f);
            unretain(f);
        }
        freeSlots.push(slot);
    }

    /**
     * Called by a closing file some of whose frames are still held by guards: it leaves the file table, but its
     * slot stays taken (the frames still name it, and their guards release into it), never to be reused.
     */
    void retireSlot(CachedFile f) {
        files.remove(f.key(), f);
        unretain(f);
    }

    void logStuckClose(CachedFile f, int frames, String why) {
        LOG.log(Level.WARNING, "close of " + f.path() + ": " + frames + " page(s) still held when the wait ended ("
                + why + "); left bound to the closed file, its slot is not reused");
    }

    void closeHandle(FileHandle handle) throws IOException {
        synchronized (fileLock) {
            CachedFile file = handle.file();
            if (file.isClosed()) {
                return;
            }
            if (file.handles == 1) {
                if (file.closeLastHandle()) {
                    retained.add(file);
                    CachedFile previous = retainedByPath.put(file.path(), file);
                    if (previous != null && previous != file) {
                        counters.reopenDrops.increment(); // the path now names this file: the other was replaced
                        dropRetained(previous);
                        retainedByPath.put(file.path(), file);
                    }
                }
            }
            file.handles--;
        }
    }

    @Override
    public int pageSize() {
        return frames.pageSize();
    }

    @Override
    public PageCacheStats stats() {
        long dirty = 0;
        long pinned = 0;
        int retainedNow;
        synchronized (fileLock) {
            retainedNow = retained.size();
        }
        if (!closed) {
            try {
                for (int f = 0; f < frames.frames(); f++) {
                    long s = frames.state(f);
                    if (FrameState.isDirty(s)) {
                        dirty++;
                    }
                    if (FrameState.isPinned(s)) {
                        pinned++;
                    }
                }
            } catch (IllegalStateException e) {
                // closed meanwhile: gauges read as zero
            }
        }
        return new PageCacheStats(
                counters.hits(),
                counters.faults(),
                reclaimer.evictions(),
                reclaimer.writebacks(),
                reclaimer.writebackBatches(),
                counters.tempPageCopies.sum(),
                counters.directCopies(),
                counters.fastPathHits.sum(),
                counters.fastPathFallbacks.sum(),
                counters.sourceFaults.sum(),
                frames.lockWaits(),
                frames.lockWaitNanos(),
                frames.frames(),
                reclaimer.freeFrames(),
                dirty,
                pinned,
                reclaimer.failures(),
                counters.reopenHits.sum(),
                counters.reopenDrops.sum(),
                retainedNow);
    }

    /**
     * Closes the cache. New page guards fail from the start with {@link ClosedChannelException}; guards already
     * open are waited for, up to the frame wait timeout. A write guard still open then makes the close fail with
     * an {@link IOException} that changes nothing (the cache stays open, and a later close tries again): what
     * the guard writes would be lost, since its {@code close()} cannot report a failure. Read guards still open
     * do not stop it; their pages are never rebound while the cache lives, and their memory is gone after.
     */
    @Override
    public void close() throws IOException {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closing = true;
            boolean goOn = false;
            try {
                awaitGuards();
                goOn = true;
            } finally {
                if (!goOn) {
                    closing = false;
                }
            }
            closeNow();
        }
    }

    /** Waits (bounded by the frame wait timeout) for the open guards; fails if a write guard stays open. */
    private void awaitGuards() throws IOException {
        long deadline = System.nanoTime() + frameWaitNanos;
        long pause = 50_000;
        while (guards.get() > 0 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 5_000_000);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while closing the cache waited for "
                        + guards.get() + " open page guard(s); the cache stays open");
            }
        }
        int writing = writeGuards.get();
        if (writing > 0) {
            throw new IOException(writing + " write guard(s) still open after "
                    + TimeUnit.NANOSECONDS.toMillis(frameWaitNanos) + " ms; the cache stays open: close the guards,"
                    + " then close the cache again");
        }
    }

    private void closeNow() throws IOException {
        List<CachedFile> open;
        synchronized (fileLock) {
            closed = true;
            open = new ArrayList<>(files.values());
        }
        prefetcher.close();
        readAhead.close();
        dirtyThrottle.close();
        IOException failure = null;
        for (CachedFile f : open) {
            try {
                synchronized (fileLock) {
                    f.close(true);
                }
            } catch (IOException | RuntimeException e) {
                IOException io = e instanceof IOException x ? x : new IOException(e);
                if (failure == null) {
                    failure = io;
                } else {
                    failure.addSuppressed(io);
                }
            }
        }
        reclaimerRunner.close();
        reclaimer.close();
        temps.close();
        frames.close();
        if (mxBeanName != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(mxBeanName);
            } catch (JMException e) {
                LOG.log(Level.WARNING, "cannot unregister " + mxBeanName, e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "OffHeapPageCache[" + frames.frames() + " frames of " + frames.pageSize() + " bytes]";
    }

    /** Configures an {@link OffHeapPageCache}. */
    public static final class Builder {
        private int pageSize = 4096;
        private long capacity = 64L << 20;
        private int tempPages = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private StoreFactory storeFactory = StoreFactory.defaultFactory();
        private Duration frameWaitTimeout = Duration.ofSeconds(10);
        private int lowWatermark;
        private int highWatermark;
        private CachedFile.ViewWriteStrategy viewWriteStrategy;
        private String mxBeanName;
        private int readAheadPages = DEFAULT_READ_AHEAD;
        private double dirtyRatio = DEFAULT_DIRTY_RATIO;
        private double dirtyBackgroundRatio = DEFAULT_DIRTY_BACKGROUND_RATIO;

        private Builder() {
        }

        /**
         * Registers the cache's {@link PageCacheMXBean} with the platform MBean server as
         * {@code org.pagecache:type=PageCache,name="<name>"} (unregistered on close). Off by default.
         *
         * @param name the name; unique among the caches registered at one time
         * @return this
         */
        public Builder registerMXBean(String name) {
            this.mxBeanName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Makes writes from views use {@code strategy} instead of the real one. Package-private: only tests in
         * this package reach it, to run the strategy that deadlocks and show what the real one prevents.
         */
        Builder viewWriteStrategy(CachedFile.ViewWriteStrategy strategy) {
            this.viewWriteStrategy = strategy;
            return this;
        }

        /**
         * @param pageSize bytes per page: a power of two from 4096 to 65536
         * @return this
         */
        public Builder pageSize(int pageSize) {
            if (pageSize < 4096 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
                throw new IllegalArgumentException("pageSize " + pageSize + " is not a power of two from 4096 to 65536");
            }
            this.pageSize = pageSize;
            return this;
        }

        /**
         * @param bytes bytes of frames, rounded down to whole pages; at least 8 pages
         * @return this
         */
        public Builder capacity(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("capacity " + bytes + " is not positive");
            }
            this.capacity = bytes;
            return this;
        }

        /**
         * @param pages temporary pages kept in reserve for sources that can fault (more are allocated on the side
         *              when many writers need one at once)
         * @return this
         */
        public Builder tempPages(int pages) {
            if (pages < 1) {
                throw new IllegalArgumentException("tempPages " + pages + " is less than 1");
            }
            this.tempPages = pages;
            return this;
        }

        /**
         * @param factory opens the backing store of each file (tests inject faults here)
         * @return this
         */
        public Builder storeFactory(StoreFactory factory) {
            this.storeFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * @param timeout how long a thread that needs a frame waits when every frame is pinned, locked or under
         *                write-back, before failing with an {@link IOException}
         * @return this
         */
        public Builder frameWaitTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("frameWaitTimeout " + timeout + " is not positive");
            }
            this.frameWaitTimeout = timeout;
            return this;
        }

        /**
         * @param low  the reclaimer starts sweeping when fewer frames than this are free
         * @param high and stops when this many are free
         * @return this
         */
        public Builder reclaimWatermarks(int low, int high) {
            if (low < 1 || high <= low) {
                throw new IllegalArgumentException("reclaimWatermarks low " + low + ", high " + high
                        + ": need 1 <= low < high");
            }
            this.lowWatermark = low;
            this.highWatermark = high;
            return this;
        }

        /**
         * Sequential read-ahead: when reads of a file miss consecutive pages, the pages after them are read in
         * the background in large I/Os, a window that starts at 4 pages and doubles with each window the reader
         * reaches, up to {@code maxPages} (also at most an eighth of the frames; a cache of fewer than 16 frames
         * reads nothing ahead). Random misses reset the window and read nothing ahead. Read-ahead only takes
         * frames that are free beyond the reclaimer's low watermark, and the first read of a page read ahead is
         * no more a use for eviction than a fault is. The default is {@value OffHeapPageCache#DEFAULT_READ_AHEAD} pages (256 KiB of 4 KiB pages).
         *
         * @param maxPages the largest window in pages, from 0 (off) to 1024
         * @return this
         */
        public Builder readAhead(int maxPages) {
            if (maxPages < 0 || maxPages > 1024) {
                throw new IllegalArgumentException("readAhead " + maxPages + " is not from 0 (off) to 1024 pages");
            }
            this.readAheadPages = maxPages;
            return this;
        }

        /**
         * Bounds the dirty pages, like Linux's {@code dirty_ratio}: a write that would dirty a page while more
         * than {@code ratio} of the frames are dirty (or under write-back) first waits for write-back to bring
         * them under it, so a writer that outruns the device runs at its pace and readers keep finding clean
         * frames. The wait is bounded by {@link #frameWaitTimeout} (then the write goes on), ends when write-back
         * cannot clean anything (a failing store; flush and sync report the error), and an interrupt ends it
         * with {@link java.io.InterruptedIOException}. Default {@value OffHeapPageCache#DEFAULT_DIRTY_RATIO};
         * 1 turns the wait off.
         *
         * @param ratio share of the frames, in (0, 1]
         * @return this
         */
        public Builder dirtyRatio(double ratio) {
            if (!(ratio > 0 && ratio <= 1)) {
                throw new IllegalArgumentException("dirtyRatio " + ratio + " is not in (0, 1]");
            }
            this.dirtyRatio = ratio;
            return this;
        }

        /**
         * Background write-back, like Linux's {@code dirty_background_ratio}: while more than {@code ratio} of
         * the frames are dirty, a daemon thread writes dirty pages back, file by file in page order (one
         * vectored write per run of adjacent pages), until half that share is left. Default
         * {@value OffHeapPageCache#DEFAULT_DIRTY_BACKGROUND_RATIO}; 1 turns it off (the reclaimer still writes
         * back what it evicts, and flush and sync what they must). At most {@link #dirtyRatio}.
         *
         * @param ratio share of the frames, in (0, 1]
         * @return this
         */
        public Builder dirtyBackgroundRatio(double ratio) {
            if (!(ratio > 0 && ratio <= 1)) {
                throw new IllegalArgumentException("dirtyBackgroundRatio " + ratio + " is not in (0, 1]");
            }
            this.dirtyBackgroundRatio = ratio;
            return this;
        }

        /**
         * @return a started cache
         * @throws IllegalArgumentException if the capacity holds fewer than 8 pages or too many
         */
        public OffHeapPageCache build() {
            long frames = capacity / pageSize;
            if (frames < 8) {
                throw new IllegalArgumentException("capacity " + capacity + " holds fewer than 8 pages of " + pageSize);
            }
            if (frames > MAX_FRAMES) {
                throw new IllegalArgumentException("capacity " + capacity + " holds " + frames + " pages of "
                        + pageSize + " bytes: more than the " + MAX_FRAMES + " (2^30) frames a cache can have");
            }
            if (dirtyBackgroundRatio > dirtyRatio) {
                throw new IllegalArgumentException("dirtyBackgroundRatio " + dirtyBackgroundRatio
                        + " exceeds dirtyRatio " + dirtyRatio);
            }
            if (highWatermark > frames) {
                throw new IllegalArgumentException("reclaimWatermarks high " + highWatermark + " exceeds the "
                        + frames + " frames");
            }
            org.pagecache.offheap.jfr.EventClasses.initializeInBackground();
            return new OffHeapPageCache(this);
        }
    }
}
