package org.pagecache.offheap;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.nio.channels.ClosedChannelException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.management.JMException;
import javax.management.ObjectName;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.reclaim.PageOwner;
import org.pagecache.offheap.reclaim.Reclaimer;
import org.pagecache.offheap.store.DirectIo;
import org.pagecache.offheap.store.DirectStore;
import org.pagecache.offheap.store.StoreFactory;
import org.pagecache.offheap.write.TempPagePool;

/**
 * The off-heap page cache, built by {@link #builder()}:
 * <pre>{@code
 * try (PageCache cache = OffHeapPageCache.builder().pageSize(4096).capacity(256L << 20).build();
 *      PagedFile file = cache.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
 *     file.write(0, WriteSource.of(bytes));
 *     file.read(0, buffer);
 *     file.sync();
 * }
 * }</pre>
 * Its memory is one off-heap arena of {@code capacity} bytes, allocated at build time and never grown; a
 * background thread (the reclaimer) evicts pages and writes dirty ones back, and writers wait once more than
 * {@link Builder#dirtyRatio} of the pages are dirty. Every method is thread-safe. Writes copy from any
 * {@link org.pagecache.api.WriteSource}, including memory-mapped files and views of this cache
 * ({@link org.pagecache.api.MappedView}); a fault on the source fails that write with
 * {@link org.pagecache.api.SourceFaultException} and leaves the file as it was. A file's pages stay cached after
 * its last handle closes and are found again when it is re-opened unchanged. {@link #close()} writes every dirty
 * page back; operations racing with it fail with {@link ClosedChannelException}. The options are on
 * {@link Builder}; {@link #stats()} and the MXBean ({@link Builder#registerMXBean}) report what it does.
 *
 * <p>The design, the lock order and the rules that keep it deadlock-free are written for maintainers in
 * {@code docs/internals.md}.
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

    private final FrameTable frames;
    private final Reclaimer reclaimer;
    private final AgentRunner reclaimerRunner;
    private final TempPagePool temps;
    /**
     * Background page-ins of {@code PagedFile.prefetch}: up to {@link Prefetcher#THREADS} daemon threads, started
     * as requests queue up, so one thread prefetching a batch of random pages has that many reads in flight.
     */
    private final Prefetcher prefetcher;

    private final Counters counters = new Counters();
    /** Sequential read-ahead ({@link Builder#readAhead}). */
    private final ReadAhead readAhead;
    /** Dirty page limits and background write-back ({@link Builder#dirtyRatio}). */
    private final DirtyThrottle dirtyThrottle;

    private final long frameWaitNanos;
    private final long maxFileSize;
    /** Open and retained files and their slots; its monitor is the cache file lock. */
    private final FileTable fileTable;
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
        this.prefetcher = new Prefetcher(Prefetcher.THREADS, 1024, "pagecache-prefetch", b.ioUring);
        this.viewWriteStrategy = b.viewWriteStrategy;
        this.maxGuards =
                Math.max(1, (int) (b.capacity / b.pageSize) - Math.max(2, (int) (b.capacity / b.pageSize) / 8));
        int frameCount = (int) (b.capacity / b.pageSize);
        this.frameWaitNanos = b.frameWaitTimeout.toNanos();
        this.maxFileSize = MAX_PAGES * b.pageSize;
        this.fileTable = new FileTable(this, b.storeFactory, counters, b.pageSize, MAX_PAGES);
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
            this.readAhead = new ReadAhead(
                    readAheadCap >= 2 ? Math.min(b.readAheadPages, readAheadCap) : 0,
                    frameTable,
                    rec,
                    counters,
                    "pagecache-readahead");
            this.dirtyThrottle = new DirtyThrottle(
                    frameTable,
                    rec,
                    this::owner,
                    Math.max(1, (long) (frameCount * b.dirtyRatio)),
                    (long) (frameCount * b.dirtyBackgroundRatio),
                    frameWaitNanos,
                    "pagecache-writeback-" + INSTANCES.get());
            runner = new AgentRunner(
                    new SleepingIdleStrategy(TimeUnit.MILLISECONDS.toNanos(10)),
                    e -> LOG.log(Level.WARNING, "reclaimer error", e),
                    null,
                    rec);
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
                    throw new IllegalArgumentException(
                            "registerMXBean: cannot register " + name + ": " + e.getMessage(), e);
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

    /**
     * How {@link org.pagecache.api.PagedFile#prefetch} pages in: {@code "io_uring"} (one ring and one thread,
     * many reads in flight per system call), or {@code "threads (why not io_uring)"}, a thread per read in flight.
     * See {@link Builder#ioUring(boolean)}.
     *
     * @return the mechanism
     */
    public String prefetchMechanism() {
        return prefetcher.mechanism();
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

    /** @return nanoseconds writes spent waiting for write-back (see {@link #throttledWrites()}) */
    public long throttleWaitNanos() {
        return dirtyThrottle.waitNanos();
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
        return fileTable.owner(slot);
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
        OpenOption direct = null;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "options contains null");
            if (DirectIo.isDirect(o)) {
                direct = o;
                continue;
            }
            if (!(o instanceof StandardOpenOption so)
                    || so == StandardOpenOption.APPEND
                    || so == StandardOpenOption.DELETE_ON_CLOSE) {
                throw new IllegalArgumentException("options: " + o + " is not supported by a cached file");
            }
            opts.add(o);
        }
        if (opts.isEmpty()) {
            opts.add(StandardOpenOption.WRITE);
        }
        if (direct != null) {
            long blockSize = DirectStore.blockSize(file);
            if (frames.pageSize() % blockSize != 0) {
                throw new IOException(file + ": direct I/O needs a page size that is a multiple of the file system's"
                        + " block size (" + blockSize + " bytes); this cache's pages are " + frames.pageSize()
                        + " bytes");
            }
            opts.add(direct);
        }
        boolean writable = opts.contains(StandardOpenOption.WRITE);
        if (!writable
                && (opts.contains(StandardOpenOption.CREATE)
                        || opts.contains(StandardOpenOption.CREATE_NEW)
                        || opts.contains(StandardOpenOption.TRUNCATE_EXISTING))) {
            throw new IllegalArgumentException("options: " + opts + " create or truncate without WRITE");
        }
        opts.add(StandardOpenOption.READ);
        // not normalised: "dir/lnk/../f" means what the OS makes of it; the file table is keyed by what it names
        return fileTable.open(file, file.toAbsolutePath(), opts, writable);
    }

    @Override
    public boolean discard(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        return fileTable.discard(file.toAbsolutePath());
    }

    /** Called by a closing file once none of its frames is bound any more; under the file lock. */
    void releaseSlot(int slot) {
        fileTable.releaseSlot(slot);
    }

    /** Called by a closing file some of whose frames are still held by guards (see FileTable#retireSlot). */
    void retireSlot(CachedFile f) {
        fileTable.retireSlot(f);
    }

    void logStuckClose(CachedFile f, int frames, String why) {
        fileTable.logStuckClose(f, frames, why);
    }

    void closeHandle(FileHandle handle) throws IOException {
        fileTable.closeHandle(handle);
    }

    @Override
    public int pageSize() {
        return frames.pageSize();
    }

    @Override
    public PageCacheStats stats() {
        long dirty = 0;
        long pinned = 0;
        int retainedNow = fileTable.retainedCount();
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
        closed = true;
        List<CachedFile> open = fileTable.shutDown();
        prefetcher.close();
        readAhead.close();
        dirtyThrottle.close();
        IOException failure = null;
        for (CachedFile f : open) {
            try {
                fileTable.closeFile(f);
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
        private boolean ioUring = true;

        private Builder() {}

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
                throw new IllegalArgumentException(
                        "pageSize " + pageSize + " is not a power of two from 4096 to 65536");
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
                throw new IllegalArgumentException(
                        "reclaimWatermarks low " + low + ", high " + high + ": need 1 <= low < high");
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
         * Whether {@link org.pagecache.api.PagedFile#prefetch} pages in through Linux's {@code io_uring} where it
         * can: one ring and one thread with up to 64 reads in flight, submitted and reaped in batches, instead of
         * a thread per read in flight (up to 32). It can where the OS is Linux (x86-64 or AArch64) and native
         * access is enabled for this module ({@code --enable-native-access=org.pagecache.offheap}, or
         * {@code ALL-UNNAMED} on the class path); without that flag the cache uses threads and prints nothing.
         * Files whose store must see every read (a {@link StoreFactory} that wraps the default one) are always
         * paged in through the store, on the threads. {@link OffHeapPageCache#prefetchMechanism()} says which is in use. Default
         * true.
         *
         * @param enabled false to always use threads
         * @return this
         */
        public Builder ioUring(boolean enabled) {
            this.ioUring = enabled;
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
                throw new IllegalArgumentException("capacity " + capacity + " holds " + frames + " pages of " + pageSize
                        + " bytes: more than the " + MAX_FRAMES + " (2^30) frames a cache can have");
            }
            if (dirtyBackgroundRatio > dirtyRatio) {
                throw new IllegalArgumentException(
                        "dirtyBackgroundRatio " + dirtyBackgroundRatio + " exceeds dirtyRatio " + dirtyRatio);
            }
            if (highWatermark > frames) {
                throw new IllegalArgumentException(
                        "reclaimWatermarks high " + highWatermark + " exceeds the " + frames + " frames");
            }
            org.pagecache.offheap.jfr.EventClasses.initializeInBackground();
            return new OffHeapPageCache(this);
        }
    }
}
