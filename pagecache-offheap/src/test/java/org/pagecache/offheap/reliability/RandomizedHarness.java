package org.pagecache.offheap.reliability;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PageGuard;
import org.pagecache.api.PagedFile;
import org.pagecache.api.SourceFaultException;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * A seeded, model-based randomized test of the cache: several threads run weighted random commands against a few
 * cached files and check every result against a plain byte-array model of each file.
 *
 * <h2>Keeping the model exact under concurrency</h2>
 * Each thread owns one region of every file and only writes there, so the model of a region is exact for its
 * owner without any lock around the cache call: reads and writes of different threads run truly concurrently,
 * on the same pages when regions are not page-aligned (then neighbouring threads write different bytes of one
 * page at once, which catches lost updates and torn pages). Commands whose effect depends on the whole file
 * (truncate, close-and-reopen, and the full-file checks they run) take a per-file exclusive lock in the harness;
 * everything else takes the shared side. That does hide one race, truncate against a write to the same file,
 * which has no single expected outcome; it does not hide truncate against the reclaimer's or another file's
 * write-backs and evictions, flushes, page-ins of other files, nor anything between files, since the harness
 * never holds a lock of its own across the cache's background work. The lock is taken before the cache call
 * and released after the model update, so the model never has to guess an order.
 *
 * <p>A thread reading its own region knows the bytes exactly, but not the file's size, which other threads grow
 * concurrently: the model keeps a lower bound (sizes reached by completed writes) and an upper bound (ends of
 * writes started), and a read's length must lie between them.
 *
 * <h2>Durability model</h2>
 * The cache runs on {@link FaultyStore}s, which record the file's content at each successful force. After a
 * thread's {@code sync()} returns, the durable image of its region must equal the model; at the end every byte
 * not changed since its owner's last successful sync must still be in the durable image (a power loss at any
 * moment loses nothing that was acknowledged).
 *
 * <h2>Everyday faults</h2>
 * The {@link Everyday} kinds add commands for the faults an engine meets every day, each kind switched on by
 * {@link Config#everyday()}: interrupts of a worker's own cache call (before it, or from an interrupter thread
 * during it), {@code Error}s and {@code RuntimeException}s armed in the store for its next call, a handle, a file's
 * only handle or a private cache closed while a helper thread works and holds page guards on it, delete, rename and
 * re-create of private files with handles open, and handles through symlinks, hard links and {@code ..}. A failed
 * call is accepted only when a fault of the run allows it ({@code tolerate}): an interrupt exception from an
 * interrupted call, a throwable made by the injector, an exception from a call racing a close once the close
 * began; everything acknowledged is checked as before, through the cache, on disk and in the durable image.
 *
 * <h2>Replay</h2>
 * Each thread draws its commands from its own generator seeded from the run's seed, independent of what other
 * threads do, so a seed fixes every thread's plan. A failure prints the seed, the configuration, how many
 * commands each thread ran and the last commands of each; rerun with {@code -Dpagecache.harness.seed=N} (and
 * {@code -Dpagecache.harness.ops=M} for the same plan length) to replay the plan. The interleaving of threads is
 * up to the scheduler; a single-threaded configuration replays exactly.
 */
final class RandomizedHarness {

    /**
     * The everyday faults, each switchable: a kind not in {@link Config#everyday()} gives its commands weight 0
     * (and {@code -Dpagecache.harness.weights=OP:W} overrides any weight).
     */
    enum Everyday {
        /** {@code Thread.interrupt} of a worker during its own read, write, flush or sync, as cancel(true) does */
        INTERRUPT,
        /** an {@code OutOfMemoryError} or {@code StackOverflowError} thrown by the store on its next call */
        STORE_ERROR,
        /** a {@code RuntimeException} thrown by the store on its next call */
        STORE_RUNTIME,
        /** a second handle closed while another thread reads, writes and holds page guards through it */
        HANDLE_CLOSE_RACE,
        /** a private scratch file whose only handle is closed while a thread works and holds guards on it */
        FILE_CLOSE_RACE,
        /** a private cache closed while a thread works and holds guards on its file */
        CACHE_CLOSE_RACE,
        /** delete, rename and re-create (also by an atomic replace) of private files with handles open */
        UNLINK,
        /** a handle opened through a symlink, a hard link or {@code ..} through a symlinked directory */
        ALIAS;

        /** Parses {@code ALL}, {@code NONE} or a comma-separated list of kinds. */
        static Set<Everyday> parse(String spec) {
            String s = spec.trim();
            if (s.equalsIgnoreCase("ALL")) {
                return EnumSet.allOf(Everyday.class);
            }
            EnumSet<Everyday> set = EnumSet.noneOf(Everyday.class);
            if (s.isEmpty() || s.equalsIgnoreCase("NONE")) {
                return set;
            }
            for (String part : s.split(",")) {
                set.add(Everyday.valueOf(part.trim().toUpperCase(java.util.Locale.ROOT)));
            }
            return set;
        }
    }

    /** The commands, with their weights (relative frequencies) and the everyday fault kind that enables them. */
    enum Op {
        READ(24),
        SIZE(3),
        WRITE_ARRAY(12),
        WRITE_HEAP_BUFFER(8),
        WRITE_DIRECT_BUFFER(8),
        WRITE_MAPPED_BUFFER(6),
        WRITE_MAPPED_SEGMENT(6),
        WRITE_VIEW_OTHER_FILE(6),
        WRITE_VIEW_SAME_FILE(4),
        MAP_READ(5),
        FLUSH(4),
        SYNC(2),
        EXTRA_HANDLE(2),
        TRUNCATE(1),
        REOPEN(1),
        INTERRUPTED_OP(6, Everyday.INTERRUPT),
        STORE_ERROR(2, Everyday.STORE_ERROR),
        STORE_RUNTIME(2, Everyday.STORE_RUNTIME),
        HANDLE_CLOSE_RACE(2, Everyday.HANDLE_CLOSE_RACE),
        FILE_CLOSE_RACE(1, Everyday.FILE_CLOSE_RACE),
        CACHE_CLOSE_RACE(1, Everyday.CACHE_CLOSE_RACE),
        UNLINK_RENAME(1, Everyday.UNLINK),
        ALIAS_HANDLE(3, Everyday.ALIAS);

        final int defaultWeight;
        final Everyday kind;

        Op(int weight) {
            this(weight, null);
        }

        Op(int weight, Everyday kind) {
            this.defaultWeight = weight;
            this.kind = kind;
        }

        /**
         * @return the weight in a run of {@code config}: 0 for a command of an everyday kind the run leaves out,
         *         and in any case its override from {@code -Dpagecache.harness.weights=OP:W,...} (for example
         *         {@code TRUNCATE:0} to leave truncates out while hunting another problem)
         */
        int weight(Config config) {
            String spec = System.getProperty("pagecache.harness.weights", "");
            for (String part : spec.split(",")) {
                String[] kv = part.trim().split(":");
                if (kv.length == 2 && kv[0].trim().equalsIgnoreCase(name())) {
                    return Integer.parseInt(kv[1].trim());
                }
            }
            return kind == null || config.everyday().contains(kind) ? defaultWeight : 0;
        }
    }

    /** Which faults the stores inject. */
    enum Faults {
        /** none: every I/O succeeds at once */
        NONE,
        /** short reads and writes, failing page-ins, failing and torn write-backs */
        IO,
        /** all of {@link #IO}, and failing forces and truncates */
        ALL
    }

    /**
     * One run's configuration.
     *
     * @param seed          the seed of every thread's plan and of the fault dice
     * @param threads       worker threads
     * @param files         cached files
     * @param pageSize      cache page size
     * @param capacityPages cache frames (small forces eviction)
     * @param regionBytes   bytes of each file owned by each thread; a non-multiple of the page size makes
     *                      neighbouring threads share pages
     * @param budget        how long to run (when {@code opsPerThread <= 0})
     * @param opsPerThread  commands per thread, or 0 to run for {@code budget}
     * @param faults        which faults the stores inject
     * @param everyday      which everyday fault kinds the plan's commands include
     */
    record Config(
            long seed,
            int threads,
            int files,
            int pageSize,
            int capacityPages,
            int regionBytes,
            Duration budget,
            long opsPerThread,
            Faults faults,
            Set<Everyday> everyday) {

        Config {
            everyday = everyday.isEmpty() ? EnumSet.noneOf(Everyday.class) : EnumSet.copyOf(everyday);
        }

        /** A configuration without everyday faults. */
        Config(
                long seed,
                int threads,
                int files,
                int pageSize,
                int capacityPages,
                int regionBytes,
                Duration budget,
                long opsPerThread,
                Faults faults) {
            this(
                    seed,
                    threads,
                    files,
                    pageSize,
                    capacityPages,
                    regionBytes,
                    budget,
                    opsPerThread,
                    faults,
                    EnumSet.noneOf(Everyday.class));
        }

        /** @return whether the stores may throw injected {@code Error}s or {@code RuntimeException}s */
        boolean storeThrows() {
            return everyday.contains(Everyday.STORE_ERROR) || everyday.contains(Everyday.STORE_RUNTIME);
        }

        boolean faulty() {
            return faults != Faults.NONE;
        }

        long fileBytes() {
            return (long) threads * regionBytes;
        }

        @Override
        public String toString() {
            return "seed=" + seed + " threads=" + threads + " files=" + files + " pageSize=" + pageSize
                    + " capacityPages=" + capacityPages + " regionBytes=" + regionBytes
                    + (opsPerThread > 0 ? " opsPerThread=" + opsPerThread : " budget=" + budget.toMillis() + "ms")
                    + " faults=" + faults + (everyday.isEmpty() ? "" : " everyday=" + everyday);
        }
    }

    /** What a run did. */
    record Result(
            Config config,
            Map<Op, Long> ops,
            long commands,
            long bytesWritten,
            long bytesVerified,
            long syncsAcknowledged,
            long syncsFailed,
            long flushesFailed,
            long readsFailed,
            long writesFailedResolved,
            long shortWrites,
            long sourceFaults,
            long closeRetries,
            Map<FaultInjector.Kind, Long> faults,
            PageCacheStats stats,
            Map<String, Long> everyday) {

        String summary() {
            return config
                    + (System.getProperty("pagecache.harness.weights") != null
                            ? " weights=" + System.getProperty("pagecache.harness.weights")
                            : "")
                    + " -> commands=" + commands + " ops=" + ops + " bytesWritten=" + bytesWritten
                    + " bytesVerified=" + bytesVerified + " syncsAcknowledged=" + syncsAcknowledged
                    + " syncsFailed=" + syncsFailed + " flushesFailed=" + flushesFailed + " readsFailed=" + readsFailed
                    + " writesFailedResolved=" + writesFailedResolved + " shortWrites=" + shortWrites
                    + " sourceFaults=" + sourceFaults + " closeRetries=" + closeRetries + " faultsInjected=" + faults
                    + (everyday.isEmpty() ? "" : " everyday=" + everyday)
                    + " cache[faults=" + stats.faults() + " evictions=" + stats.evictions() + " writebacks="
                    + stats.writebacks() + " writebackBatches=" + stats.writebackBatches() + " tempPageCopies="
                    + stats.tempPageCopies() + " directCopies=" + stats.directCopies() + " fastPathHits="
                    + stats.fastPathHits() + " lockWaits=" + stats.lockWaits() + "] losses=0";
        }
    }

    private static final int RING = 400;
    private static final int SOURCE_BYTES = 1 << 18;
    private static final int CLOSE_ATTEMPTS = 100;
    private static final int READ_ATTEMPTS = 10_000;
    private static final String SCRATCH = "scratch-";
    /** the longest a close-race helper may take before its hang fails the run (with a thread dump) */
    private static final Duration RACE_TIMEOUT = Duration.ofSeconds(60);

    private final Config config;
    private final Path dir;
    private final FaultInjector injector;
    private final FileState[] files;
    private final byte[] sourceBytes;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> rootCause = new AtomicReference<>();
    private final Map<Op, LongAdder> opCounts = new EnumMap<>(Op.class);
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesVerified = new LongAdder();
    private final LongAdder syncsAcknowledged = new LongAdder();
    private final LongAdder syncsFailed = new LongAdder();
    private final LongAdder flushesFailed = new LongAdder();
    private final LongAdder readsFailed = new LongAdder();
    private final LongAdder writesFailedResolved = new LongAdder();
    private final LongAdder shortWrites = new LongAdder();
    private final LongAdder sourceFaults = new LongAdder();
    private final LongAdder lossesDeclared = new LongAdder();
    private final LongAdder closeRetries = new LongAdder();
    private final Worker[] workers;
    /** counts of what the everyday-fault commands saw, by name (printed in the summary) */
    private final Map<String, LongAdder> everyday = new java.util.concurrent.ConcurrentSkipListMap<>();
    /** set for the duration of a command whose cache call may be interrupted */
    private final ThreadLocal<Boolean> mayBeInterrupted = ThreadLocal.withInitial(() -> false);

    private final Interrupter interrupter = new Interrupter();
    private Path[][] aliases;
    private PageCache cache;
    private Arena sourceArena;
    private MappedByteBuffer sourceBuffer;
    private MemorySegment sourceSegment;
    private FileChannel sourceChannel;

    /** The model of one cached file. */
    private final class FileState {
        final int index;
        final Path path;
        final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();
        final byte[] model;
        final byte[] lastSynced;
        final byte[] dirtySinceSync;
        final AtomicLong sizeLower = new AtomicLong();
        final AtomicLong sizeUpper = new AtomicLong();
        final AtomicBoolean sizeUncertain = new AtomicBoolean();
        volatile String lastTruncate = "none";
        volatile PagedFile handle;

        FileState(int index, Path path, int bytes) {
            this.index = index;
            this.path = path;
            this.model = new byte[bytes];
            this.lastSynced = new byte[bytes];
            this.dirtySinceSync = new byte[bytes];
        }

        @Override
        public String toString() {
            return path.getFileName().toString();
        }
    }

    RandomizedHarness(Config config, Path dir) {
        if (config.threads() < 1 || config.files() < 1) {
            throw new IllegalArgumentException("threads and files must be positive: " + config);
        }
        this.config = config;
        this.dir = dir;
        this.injector = new FaultInjector(config.seed());
        if (config.faulty()) {
            injector.rate(FaultInjector.Kind.SHORT_READ, 0.2)
                    .rate(FaultInjector.Kind.SHORT_WRITE, 0.2)
                    .rate(FaultInjector.Kind.READ_ERROR, 0.02)
                    .rate(FaultInjector.Kind.WRITE_ERROR, 0.03)
                    .rate(FaultInjector.Kind.TORN_WRITE, 0.02);
        }
        if (config.faults() == Faults.ALL) {
            injector.rate(FaultInjector.Kind.FORCE_ERROR, 0.05).rate(FaultInjector.Kind.TRUNCATE_ERROR, 0.05);
        }
        // worker-private scratch files (unlink, close races) are exercised without injected I/O faults
        injector.target(p -> !p.getFileName().toString().startsWith(SCRATCH));
        this.files = new FileState[config.files()];
        for (int i = 0; i < files.length; i++) {
            files[i] = new FileState(i, dir.resolve("file-" + i + ".bin"), Math.toIntExact(config.fileBytes()));
        }
        Random r = new Random(config.seed());
        this.sourceBytes = new byte[SOURCE_BYTES];
        r.nextBytes(sourceBytes);
        for (Op op : Op.values()) {
            opCounts.put(op, new LongAdder());
        }
        this.workers = new Worker[config.threads()];
        for (int t = 0; t < workers.length; t++) {
            workers[t] = new Worker(t);
        }
    }

    /** Runs the configured workload, then verifies everything with faults off; throws on any discrepancy. */
    Result run() throws Exception {
        Path source = dir.resolve("mapped-source.bin");
        Files.write(source, sourceBytes);
        sourceChannel = FileChannel.open(source, StandardOpenOption.READ);
        sourceArena = Arena.ofShared();
        sourceBuffer = sourceChannel.map(FileChannel.MapMode.READ_ONLY, 0, SOURCE_BYTES);
        sourceSegment = sourceChannel.map(FileChannel.MapMode.READ_ONLY, 0, SOURCE_BYTES, sourceArena);
        cache = OffHeapPageCache.builder()
                .pageSize(config.pageSize())
                .capacity((long) config.capacityPages() * config.pageSize())
                .tempPages(8)
                .storeFactory(injector)
                .frameWaitTimeout(Duration.ofSeconds(30))
                .build();
        try {
            for (FileState f : files) {
                f.handle = cache.open(
                        f.path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            createAliases();
            interrupter.start();
            long budgetNanos = config.opsPerThread() > 0
                    ? TimeUnit.MINUTES.toNanos(10)
                    : config.budget().toNanos();
            long start = System.nanoTime();
            long endOfWork = start + budgetNanos;
            List<Workers.Work> works = new ArrayList<>();
            for (Worker w : workers) {
                works.add(() -> w.run(endOfWork));
            }
            try {
                Workers.runAll("harness", works, endOfWork + TimeUnit.SECONDS.toNanos(120), this::describe);
            } finally {
                interrupter.stop();
            }
            PageCacheStats stats;
            try {
                stats = finalVerification();
            } catch (Throwable e) {
                throw new AssertionError("final verification failed: " + e + "\n" + describe(), e);
            }
            Map<Op, Long> ops = new EnumMap<>(Op.class);
            long commands = 0;
            for (Op op : Op.values()) {
                ops.put(op, opCounts.get(op).sum());
                commands += ops.get(op);
            }
            return new Result(
                    config,
                    ops,
                    commands,
                    bytesWritten.sum(),
                    bytesVerified.sum(),
                    syncsAcknowledged.sum(),
                    syncsFailed.sum(),
                    flushesFailed.sum(),
                    readsFailed.sum(),
                    writesFailedResolved.sum(),
                    shortWrites.sum(),
                    sourceFaults.sum(),
                    closeRetries.sum(),
                    injector.injectedByKind(),
                    stats,
                    tallies());
        } finally {
            try {
                cache.close();
            } catch (IOException ignored) {
                // already reported by the final verification, which closes the cache itself
            }
            sourceArena.close();
            sourceChannel.close();
        }
    }

    /** @return the seed, configuration and every thread's recent commands: what a failure report needs */
    String describe() {
        StringBuilder sb = new StringBuilder();
        Throwable first = rootCause.get();
        if (first != null) {
            sb.append("FIRST FAILURE: ").append(first).append('\n');
        }
        sb.append("=== randomized harness: ").append(config).append('\n');
        sb.append("replay with -Dpagecache.harness.seed=").append(config.seed());
        sb.append(" (threads draw their plans from the seed; add -Dpagecache.harness.ops=N for the same length)\n");
        sb.append("faults injected so far: ").append(injector.injectedByKind()).append('\n');
        for (Worker w : workers) {
            sb.append(w.planTail());
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------------ workers

    /** A command as drawn from a thread's plan: printable, and enough to re-run it. */
    record Command(
            long number, Op op, int file, long position, int length, int otherFile, long otherPosition, long aux) {
        @Override
        public String toString() {
            return "#" + number + " " + op + " file-" + file + " pos=" + position + " len=" + length
                    + (otherFile >= 0 ? " src=file-" + otherFile + "@" + otherPosition : "")
                    + (aux != 0 ? " aux=" + aux : "");
        }
    }

    private final class Worker {
        final int id;
        final Random random;
        final String[] ring = new String[RING];
        final int[] weights = new int[Op.values().length];
        long executed;
        ByteBuffer direct;
        /** the interrupted command whose next cache call runs in an interrupt window, if any */
        Command interruptCommand;

        FileState raceFile;
        FileState cacheFile;
        boolean raceCloseRefused;

        Worker(int id) {
            this.id = id;
            this.random = new Random(config.seed() * 0x9E3779B97F4A7C15L + id);
        }

        long regionStart() {
            return (long) id * config.regionBytes();
        }

        long regionEnd() {
            return regionStart() + config.regionBytes();
        }

        synchronized String planTail() {
            StringBuilder sb = new StringBuilder("thread ")
                    .append(id)
                    .append(": ")
                    .append(executed)
                    .append(" commands, region [")
                    .append(regionStart())
                    .append(", ")
                    .append(regionEnd())
                    .append(")");
            long first = Math.max(0, executed - RING);
            sb.append(first > 0 ? ", last " + RING + ":\n" : ":\n");
            for (long i = first; i < executed; i++) {
                sb.append("    ").append(ring[(int) (i % RING)]).append('\n');
            }
            return sb.toString();
        }

        void run(long endOfWork) throws Exception {
            direct = ByteBuffer.allocateDirect(4 * config.pageSize() + 64);
            int totalWeight = 0;
            for (Op op : Op.values()) {
                weights[op.ordinal()] = op.weight(config);
                totalWeight += weights[op.ordinal()];
            }
            long n = 0;
            while (!stop.get()) {
                if (config.opsPerThread() > 0 ? n >= config.opsPerThread() : System.nanoTime() - endOfWork >= 0) {
                    break;
                }
                Command c = draw(n++, totalWeight);
                synchronized (this) {
                    ring[(int) (executed % RING)] = c.toString();
                    executed++;
                }
                try {
                    execute(c);
                } catch (Throwable e) {
                    stop.set(true);
                    throw new AssertionError("thread " + id + " failed at " + c + ": " + e, e);
                }
                opCounts.get(c.op()).increment();
            }
        }

        /** Draws the next command from this thread's generator only (never from shared state). */
        Command draw(long number, int totalWeight) {
            int pick = random.nextInt(totalWeight);
            Op op = Op.READ;
            for (Op o : Op.values()) {
                int w = weights[o.ordinal()];
                if (pick < w) {
                    op = o;
                    break;
                }
                pick -= w;
            }
            int file = random.nextInt(files.length);
            long rs = regionStart();
            int region = config.regionBytes();
            int length = drawLength(region);
            long position = rs + random.nextInt(region - length + 1);
            int otherFile = -1;
            long otherPosition = 0;
            long aux = 0;
            switch (op) {
                case WRITE_VIEW_OTHER_FILE -> {
                    otherFile = files.length == 1 ? 0 : (file + 1 + random.nextInt(files.length - 1)) % files.length;
                    otherPosition = rs + random.nextInt(region - length + 1);
                    if (otherFile == file && rangesOverlap(position, otherPosition, length)) {
                        otherPosition = position; // degenerate single-file case: a self copy
                    }
                }
                case WRITE_VIEW_SAME_FILE -> {
                    otherFile = file;
                    if (random.nextBoolean()) {
                        // overlapping source and destination inside one page: must behave like memmove
                        int page = config.pageSize();
                        long firstPage = Math.floorDiv(rs + page - 1, page);
                        long lastPage = Math.floorDiv(rs + region, page) - 1;
                        if (lastPage >= firstPage) {
                            long p = (firstPage + random.nextInt((int) (lastPage - firstPage + 1))) * page;
                            length = 1 + random.nextInt(page / 2);
                            position = p + random.nextInt(page - length + 1);
                            otherPosition = p + random.nextInt(page - length + 1);
                            aux = 1;
                        } else {
                            otherPosition = position;
                        }
                    } else {
                        // disjoint ranges of the own region
                        int half = region / 2;
                        length = Math.max(1, Math.min(length, half));
                        long a = rs + random.nextInt(half - length + 1);
                        long b = rs + half + random.nextInt(half - length + 1);
                        if (random.nextBoolean()) {
                            position = a;
                            otherPosition = b;
                        } else {
                            position = b;
                            otherPosition = a;
                        }
                    }
                }
                case WRITE_MAPPED_BUFFER, WRITE_MAPPED_SEGMENT ->
                    otherPosition = random.nextInt(SOURCE_BYTES - length + 1);
                case WRITE_ARRAY, WRITE_HEAP_BUFFER, WRITE_DIRECT_BUFFER -> aux = random.nextLong();
                case TRUNCATE ->
                    aux = config.fileBytes() / 4 + (long) (random.nextDouble() * (config.fileBytes() * 3 / 4 + 1));
                case EXTRA_HANDLE, READ, MAP_READ -> aux = random.nextInt(4);
                case INTERRUPTED_OP,
                        STORE_ERROR,
                        STORE_RUNTIME,
                        HANDLE_CLOSE_RACE,
                        FILE_CLOSE_RACE,
                        CACHE_CLOSE_RACE,
                        UNLINK_RENAME,
                        ALIAS_HANDLE -> aux = random.nextLong() & Long.MAX_VALUE;
                default -> {}
            }
            return new Command(number, op, file, position, length, otherFile, otherPosition, aux);
        }

        static boolean rangesOverlap(long a, long b, int length) {
            return a < b + length && b < a + length;
        }

        int drawLength(int region) {
            int page = config.pageSize();
            int len = switch (random.nextInt(10)) {
                case 0, 1, 2, 3 -> 1 + random.nextInt(64);
                case 4, 5, 6 -> 1 + random.nextInt(page);
                default -> 1 + random.nextInt(3 * page);
            };
            return Math.min(len, region);
        }

        // ------------------------------------------------------------------------------------------ execution

        void execute(Command c) throws Exception {
            FileState f = files[c.file()];
            switch (c.op()) {
                case TRUNCATE -> exclusive(f, () -> truncate(f, c.aux()));
                case REOPEN -> exclusive(f, () -> reopen(f));
                case WRITE_VIEW_OTHER_FILE -> shared2(f, files[c.otherFile()], () -> writeFromView(c));
                case INTERRUPTED_OP -> shared(f, () -> interruptedOp(c, f));
                case STORE_ERROR, STORE_RUNTIME -> shared(f, () -> storeThrows(c, f));
                case HANDLE_CLOSE_RACE -> shared(f, () -> handleCloseRace(c, f));
                case ALIAS_HANDLE -> shared(f, () -> aliasHandle(c, f));
                case FILE_CLOSE_RACE -> fileCloseRace(c);
                case CACHE_CLOSE_RACE -> cacheCloseRace(c);
                case UNLINK_RENAME -> unlinkRename(c);
                default -> shared(f, () -> executeShared(c, f));
            }
        }

        void executeShared(Command c, FileState f) throws Exception {
            switch (c.op()) {
                case READ -> read(f, f.handle, c.position(), c.length(), c.aux() % 2 == 0);
                case SIZE -> {
                    long lower = f.sizeLower.get();
                    long size = f.handle.size();
                    long upper = f.sizeUpper.get();
                    check(size >= lower && size <= upper, "size() " + size + " outside [" + lower + ", " + upper + "]");
                }
                case WRITE_ARRAY, WRITE_HEAP_BUFFER, WRITE_DIRECT_BUFFER -> writeFresh(c, f);
                case WRITE_MAPPED_BUFFER -> {
                    byte[] data = Arrays.copyOfRange(
                            sourceBytes, (int) c.otherPosition(), (int) c.otherPosition() + c.length());
                    MappedByteBuffer slice = sourceBuffer.slice((int) c.otherPosition(), c.length());
                    if (c.number() % 2 == 0) {
                        doWrite(
                                f,
                                c.position(),
                                data,
                                () -> {
                                    long k = f.handle.write(c.position(), slice);
                                    check(
                                            slice.position() == k,
                                            "write(long, ByteBuffer) of a mapped buffer returned " + k
                                                    + " but advanced the buffer by " + slice.position());
                                    return k;
                                },
                                false);
                    } else {
                        doWrite(
                                f,
                                c.position(),
                                data,
                                () -> f.handle.write(c.position(), WriteSource.of(slice)),
                                false);
                    }
                }
                case WRITE_MAPPED_SEGMENT -> {
                    byte[] data = Arrays.copyOfRange(
                            sourceBytes, (int) c.otherPosition(), (int) c.otherPosition() + c.length());
                    MemorySegment slice = sourceSegment.asSlice(c.otherPosition(), c.length());
                    doWrite(f, c.position(), data, () -> f.handle.write(c.position(), WriteSource.of(slice)), false);
                }
                case WRITE_VIEW_SAME_FILE -> writeFromView(c);
                case MAP_READ -> mapRead(f, c);
                case FLUSH -> {
                    try {
                        io(() -> {
                            f.handle.flush();
                            return 0;
                        });
                    } catch (IOException | RuntimeException | Error e) {
                        tolerate(e, "flush");
                        flushesFailed.increment();
                    }
                }
                case SYNC -> sync(f);
                case EXTRA_HANDLE -> extraHandle(f, c);
                default -> throw new IllegalStateException("not a shared command: " + c);
            }
        }

        void read(FileState f, PagedFile handle, long position, int length, boolean heap) throws IOException {
            ByteBuffer dst = heap ? ByteBuffer.allocate(length + 16) : direct.clear();
            int offset = 7;
            dst.position(offset).limit(offset + length);
            long lower = f.sizeLower.get();
            int n;
            try {
                n = (int) io(() -> handle.read(position, dst));
            } catch (IOException | RuntimeException | Error e) {
                tolerate(e, "read");
                readsFailed.increment();
                return;
            }
            long upper = f.sizeUpper.get();
            checkRead(f, position, length, lower, upper, n);
            check(
                    dst.position() == offset + Math.max(0, n),
                    "read returned " + n + " but advanced the buffer by " + (dst.position() - offset));
            for (int i = 0; i < n; i++) {
                byte actual = dst.get(offset + i);
                byte expected = f.model[(int) (position + i)];
                if (actual != expected) {
                    throw new AssertionError("read of " + f + " at " + position + " len " + length + ": byte at "
                            + (position + i) + " is " + actual + ", model says " + expected);
                }
            }
            bytesVerified.add(Math.max(0, n));
        }

        void checkRead(FileState f, long position, int length, long lower, long upper, int n) {
            if (n < 0) {
                check(n == -1, "read returned " + n);
                check(
                        position >= lower,
                        "read at " + position + " returned -1 but the file has at least " + lower + " bytes");
                return;
            }
            check(n <= length, "read returned " + n + " > " + length);
            check(n > 0 || length == 0, "read returned 0 for a non-empty buffer at " + position);
            if (position < lower) {
                check(
                        n >= Math.min(length, lower - position),
                        "short read: " + n + " of " + length + " at " + position + " though the file has at least "
                                + lower + " bytes");
            }
            check(
                    position + n <= upper,
                    "read of " + n + " at " + position + " goes past every size the file can " + "have had (" + upper
                            + ")");
        }

        void writeFresh(Command c, FileState f) throws Exception {
            Random data = new Random(c.aux());
            byte[] bytes = new byte[c.length()];
            data.nextBytes(bytes);
            int pad = (int) ((c.aux() >>> 3) & 15);
            switch (c.op()) {
                case WRITE_ARRAY -> {
                    byte[] padded = new byte[pad + c.length() + 5];
                    System.arraycopy(bytes, 0, padded, pad, c.length());
                    WriteSource src = pad == 0 && (c.aux() & 1) == 0
                            ? WriteSource.of(bytes)
                            : WriteSource.of(padded, pad, c.length());
                    check(src.length() == c.length(), "WriteSource.length() " + src.length() + " != " + c.length());
                    doWrite(f, c.position(), bytes, () -> f.handle.write(c.position(), src), false);
                }
                case WRITE_HEAP_BUFFER -> {
                    ByteBuffer b = ByteBuffer.allocate(pad + c.length() + 3);
                    b.position(pad).put(bytes).position(pad).limit(pad + c.length());
                    bufferWrite(f, c, bytes, b, pad);
                }
                case WRITE_DIRECT_BUFFER -> {
                    ByteBuffer b = direct.clear();
                    b.position(pad).put(bytes).position(pad).limit(pad + c.length());
                    bufferWrite(f, c, bytes, b, pad);
                }
                default -> throw new IllegalStateException(c.toString());
            }
        }

        void bufferWrite(FileState f, Command c, byte[] bytes, ByteBuffer b, int pad) throws Exception {
            if ((c.aux() & 2) == 0) {
                doWrite(
                        f,
                        c.position(),
                        bytes,
                        () -> {
                            long k = f.handle.write(c.position(), b);
                            check(
                                    b.position() == pad + k,
                                    "write(long, ByteBuffer) returned " + k + " but advanced the buffer by "
                                            + (b.position() - pad));
                            return k;
                        },
                        false);
            } else {
                WriteSource src = WriteSource.of(b);
                doWrite(
                        f,
                        c.position(),
                        bytes,
                        () -> {
                            long k = f.handle.write(c.position(), src);
                            check(b.position() == pad, "write(long, WriteSource) moved the buffer's position");
                            return k;
                        },
                        false);
            }
        }

        void writeFromView(Command c) throws Exception {
            FileState dst = files[c.file()];
            FileState src = files[c.otherFile()];
            long srcLowerBefore = src.sizeLower.get();
            byte[] data = Arrays.copyOfRange(src.model, (int) c.otherPosition(), (int) c.otherPosition() + c.length());
            boolean inside = c.otherPosition() + c.length() <= srcLowerBefore;
            try (MappedView view = src.handle.map(c.otherPosition(), c.length())) {
                check(view.position() == c.otherPosition(), "view position " + view.position());
                check(view.length() == c.length(), "view length " + view.length());
                doWrite(dst, c.position(), data, () -> dst.handle.write(c.position(), view), !inside || ioMayFail());
            }
        }

        /**
         * Runs one write and updates the model. {@code mayBeShort}: the source may fault (a view reaching past
         * its file's end, or a page-in failing under injected faults), so fewer bytes may be written.
         */
        void doWrite(FileState f, long position, byte[] data, IoCall call, boolean mayBeShort) throws IOException {
            long end = position + data.length;
            f.sizeUpper.accumulateAndGet(end, Math::max);
            byte[] old = Arrays.copyOfRange(f.model, (int) position, (int) end);
            long k;
            try {
                k = io(call);
            } catch (SourceFaultException e) {
                check(mayBeShort, "source fault from a source that cannot fault: " + e);
                check(e.bytesWritten() == 0, "SourceFaultException from write() with bytesWritten " + e.bytesWritten());
                sourceFaults.increment();
                return;
            } catch (IOException | RuntimeException | Error e) {
                tolerate(e, "write");
                resolveFailedWrite(f, position, old, data, e);
                return;
            }
            check(k >= 0 && k <= data.length, "write returned " + k + " for " + data.length + " bytes");
            if (k < data.length) {
                check(mayBeShort, "short write (" + k + " of " + data.length + ") from a source that cannot fault");
                shortWrites.increment();
            }
            apply(f, position, data, (int) k);
            if (k > 0) {
                f.sizeLower.accumulateAndGet(position + k, Math::max);
            }
            bytesWritten.add(k);
        }

        void apply(FileState f, long position, byte[] data, int count) {
            System.arraycopy(data, 0, f.model, (int) position, count);
            Arrays.fill(f.dirtySinceSync, (int) position, (int) position + count, (byte) 1);
        }

        /**
         * A write failed with an I/O error (a page-in it needed failed). It may have written a prefix: read the
         * range back (retrying reads that fail), check it is the new bytes up to some point and the old bytes after,
         * and adopt what is there.
         */
        void resolveFailedWrite(FileState f, long position, byte[] old, byte[] data, Throwable cause)
                throws IOException {
            byte[] actual = readBack(f, position, data.length);
            int j = 0;
            while (j < data.length && actual[j] == data[j]) {
                j++;
            }
            for (int i = j; i < data.length; i++) {
                if (actual[i] != old[i]) {
                    throw new AssertionError(
                            "a write that failed (" + cause + ") left " + f + " at " + position
                                    + " neither a prefix of the new bytes nor the old ones: byte " + (position + i)
                                    + " is " + actual[i] + ", new " + data[i] + ", old " + old[i],
                            cause);
                }
            }
            apply(f, position, data, j);
            if (j > 0) {
                f.sizeUncertain.set(true);
            }
            writesFailedResolved.increment();
        }

        /** Reads a range through the cache, retrying injected failures; bytes past the end read as zeros. */
        byte[] readBack(FileState f, long position, int length) throws IOException {
            Throwable last = null;
            for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
                byte[] out = new byte[length];
                ByteBuffer dst = ByteBuffer.wrap(out);
                try {
                    while (dst.hasRemaining()) {
                        int n = f.handle.read(position + dst.position(), dst);
                        if (n < 0) {
                            break;
                        }
                    }
                    return out;
                } catch (IOException | RuntimeException | Error e) {
                    tolerate(e, "read back");
                    last = e;
                }
            }
            throw new AssertionError(
                    "could not read back " + f + " at " + position + " in " + READ_ATTEMPTS + " attempts", last);
        }

        void mapRead(FileState f, Command c) throws IOException {
            MappedView view;
            view = f.handle.map(c.position(), c.length());
            try (view) {
                check(
                        view.length() == c.length() && view.position() == c.position(),
                        "map returned a view at " + view.position() + " of " + view.length() + " bytes");
                int off = (int) (c.aux() % Math.max(1, c.length()));
                int len = c.length() - off;
                ByteBuffer dst = ByteBuffer.allocate(len);
                long lower = f.sizeLower.get();
                int n;
                try {
                    n = (int) io(() -> view.read(off, dst));
                } catch (IOException | RuntimeException | Error e) {
                    tolerate(e, "view read");
                    readsFailed.increment();
                    return;
                }
                long upper = f.sizeUpper.get();
                checkRead(f, c.position() + off, len, lower, upper, n);
                for (int i = 0; i < n; i++) {
                    byte expected = f.model[(int) (c.position() + off + i)];
                    if (dst.get(i) != expected) {
                        throw new AssertionError("view read of " + f + " at " + (c.position() + off + i) + " is "
                                + dst.get(i) + ", model says " + expected);
                    }
                }
                bytesVerified.add(Math.max(0, n));
            }
            try {
                view.read(0, ByteBuffer.allocate(1));
                throw new AssertionError("a closed view could still be read");
            } catch (IllegalStateException expected) {
                // as documented
            }
        }

        void sync(FileState f) throws IOException {
            try {
                io(() -> {
                    f.handle.sync();
                    return 0;
                });
            } catch (IOException | RuntimeException | Error e) {
                tolerate(e, "sync");
                syncsFailed.increment();
                return;
            }
            syncsAcknowledged.increment();
            byte[] image = injector.durableImage(f.path);
            int from = (int) regionStart();
            int to = (int) regionEnd();
            for (int i = from; i < to; i++) {
                byte durable = i < image.length ? image[i] : 0;
                if (durable != f.model[i]) {
                    throw new AssertionError("sync() of " + f + " returned but byte " + i + " is not durable: durable "
                            + durable + ", written " + f.model[i] + " (durable image " + image.length + " bytes)");
                }
            }
            bytesVerified.add(to - from);
            System.arraycopy(f.model, from, f.lastSynced, from, to - from);
            Arrays.fill(f.dirtySinceSync, from, to, (byte) 0);
        }

        void extraHandle(FileState f, Command c) throws IOException {
            boolean readOnly = (c.aux() & 1) == 1;
            PagedFile second = readOnly
                    ? cache.open(f.path, StandardOpenOption.READ)
                    : cache.open(f.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                read(f, second, c.position(), c.length(), true);
                if (!readOnly) {
                    byte[] bytes = new byte[c.length()];
                    random.nextBytes(bytes);
                    doWrite(f, c.position(), bytes, () -> second.write(c.position(), WriteSource.of(bytes)), false);
                }
            } finally {
                closeTolerant(second, "a second handle of " + f);
            }
            // the shared handle is unaffected by closing another one
            read(f, f.handle, c.position(), c.length(), false);
        }

        void truncate(FileState f, long size) throws IOException {
            resolveSize(f);
            long before = f.sizeLower.get();
            long after = Math.min(before, size);
            f.lastTruncate = "truncate(" + size + ") of a " + before + "-byte file by thread " + id;
            try {
                f.handle.truncate(size);
            } catch (IOException | RuntimeException | Error e) {
                tolerate(e, "truncate");
                long now = f.handle.size();
                check(
                        now == before || now == after,
                        "a failed truncate to " + size + " left the size at " + now + ", neither " + before + " nor "
                                + after);
                if (now == before) {
                    verifyThroughCache(f);
                    return;
                }
            }
            if (after < before) {
                Arrays.fill(f.model, (int) after, (int) before, (byte) 0);
                Arrays.fill(f.dirtySinceSync, (int) after, (int) before, (byte) 1);
            }
            f.sizeLower.set(after);
            f.sizeUpper.set(after);
            long now = f.handle.size();
            check(now == after, "after truncate(" + size + ") of a " + before + "-byte file, size() is " + now);
            verifyThroughCache(f);
        }

        // ------------------------------------------------------------------------------- everyday-fault commands

        /**
         * Runs one cache call; when the command is an interrupted one, inside an interrupt window: the thread is
         * interrupted before the call or by the interrupter after a drawn delay, and the interrupt is cleared (after
         * it landed) before the harness continues. A call failing with an interrupt exception must keep the flag.
         */
        long io(IoCall call) throws IOException {
            Command ic = interruptCommand;
            if (ic == null) {
                return call.run();
            }
            interruptCommand = null;
            Interrupter.Shot shot = null;
            if (((ic.aux() >>> 8) & 1) == 1) {
                Thread.currentThread().interrupt();
            } else {
                shot = interrupter.arm(Thread.currentThread(), (ic.aux() >>> 9) % 200_000);
            }
            try {
                long r = call.run();
                tally("interrupt.callsCompleted");
                return r;
            } catch (IOException | RuntimeException | Error e) {
                if (isInterruptFailure(e)) {
                    tally("interrupt.callsFailed");
                    check(
                            Thread.currentThread().isInterrupted(),
                            "an interrupted call failed with " + e
                                    + " but the thread's interrupt flag was cleared (the contract keeps it)");
                }
                throw e;
            } finally {
                if (Interrupter.disarm(shot)) {
                    tally("interrupt.delivered");
                }
            }
        }

        /** An operation whose cache call is interrupted, as {@code Future.cancel(true)} would. */
        void interruptedOp(Command c, FileState f) throws Exception {
            mayBeInterrupted.set(true);
            interruptCommand = c;
            try {
                switch ((int) (c.aux() % 6)) {
                    case 0 -> read(f, f.handle, c.position(), c.length(), true);
                    case 1 -> read(f, f.handle, c.position(), c.length(), false);
                    case 2 -> {
                        byte[] bytes = bytes(new Random(c.aux()), c.length());
                        doWrite(
                                f,
                                c.position(),
                                bytes,
                                () -> f.handle.write(c.position(), WriteSource.of(bytes)),
                                false);
                    }
                    case 3 -> {
                        byte[] bytes = bytes(new Random(c.aux()), c.length());
                        ByteBuffer b = direct.clear();
                        b.put(bytes).flip();
                        doWrite(f, c.position(), bytes, () -> f.handle.write(c.position(), b), false);
                    }
                    case 4 -> executeShared(new Command(c.number(), Op.FLUSH, c.file(), 0, 0, -1, 0, 0), f);
                    default -> sync(f);
                }
            } finally {
                interruptCommand = null;
                mayBeInterrupted.set(false);
                Thread.interrupted();
            }
        }

        /**
         * Arms an {@code Error} or a {@code RuntimeException} for the file's next store call, then (usually) makes
         * one: the throwable lands in this thread's page-in, write-back or force, or in the reclaimer's or another
         * thread's I/O.
         */
        void storeThrows(Command c, FileState f) throws Exception {
            FaultInjector.Kind kind = c.op() == Op.STORE_RUNTIME
                    ? FaultInjector.Kind.RUNTIME_EXCEPTION
                    : (c.aux() & 1) == 0 ? FaultInjector.Kind.OUT_OF_MEMORY : FaultInjector.Kind.STACK_OVERFLOW;
            injector.arm(f.path, kind);
            switch ((int) ((c.aux() >>> 1) % 4)) {
                case 0 -> {
                    byte[] bytes = bytes(new Random(c.aux()), c.length());
                    doWrite(f, c.position(), bytes, () -> f.handle.write(c.position(), WriteSource.of(bytes)), false);
                    executeShared(new Command(c.number(), Op.FLUSH, c.file(), 0, 0, -1, 0, 0), f);
                }
                case 1 -> read(f, f.handle, c.position(), c.length(), true);
                case 2 -> sync(f);
                default -> tally("store.armedForOthers");
            }
        }

        /** A second handle of a model file closed while a helper thread works and holds guards through it. */
        void handleCloseRace(Command c, FileState f) throws Exception {
            PagedFile second;
            try {
                second = cache.open(f.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException | RuntimeException | Error e) {
                tolerate(e, "open of a second handle");
                return;
            }
            Race race = new Race(f, second, (int) regionStart(), (int) regionEnd(), c);
            race.runAgainst(() -> closeRefusable(second, "a second handle of " + f + " racing work"));
            closeAfterRace(second, "a second handle of " + f);
            expectClosed(second, "a closed second handle");
            if (race.pending != null) {
                byte[] now = readBack(f, race.pending.position(), race.pending.data().length);
                resolvePending(f, race.pending, now, 0);
                f.sizeUncertain.set(true);
            }
            // nothing the helper did through the closed handle is lost for the shared one
            byte[] region = readBack(f, regionStart(), config.regionBytes());
            int from = (int) regionStart();
            int mismatch = Arrays.mismatch(region, 0, region.length, f.model, from, from + region.length);
            check(
                    mismatch < 0,
                    "after a second handle closed under a race, " + f + " byte " + (from + mismatch)
                            + " reads " + (mismatch < 0 ? 0 : region[mismatch]) + ", model "
                            + (mismatch < 0 ? 0 : f.model[from + mismatch]));
            bytesVerified.add(region.length);
            tally("race.handleCloses");
        }

        /** A private file whose only handle is closed while a helper thread works and holds guards on it. */
        void fileCloseRace(Command c) throws Exception {
            if (raceFile == null) {
                raceFile =
                        new FileState(-1, dir.resolve(SCRATCH + "w" + id + "-race.bin"), 4 * config.pageSize() + 123);
            }
            FileState sf = raceFile;
            PagedFile h =
                    cache.open(sf.path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            check(
                    h.size() == sf.sizeLower.get(),
                    "reopened " + sf + " has size " + h.size() + ", model " + sf.sizeLower.get());
            Race race = new Race(sf, h, 0, sf.model.length, c);
            race.runAgainst(() -> closeRefusable(h, "the only handle of " + sf + " racing work"));
            closeAfterRace(h, "the only handle of " + sf);
            expectClosed(h, "the closed only handle of " + sf);
            verifyScratchOnDisk(sf, race.pending, "the file on disk after its only handle closed under a race");
            tally("race.fileCloses");
        }

        /** A private cache closed while a helper thread works and holds guards on its one file. */
        void cacheCloseRace(Command c) throws Exception {
            if (cacheFile == null) {
                cacheFile =
                        new FileState(-1, dir.resolve(SCRATCH + "w" + id + "-cache.bin"), 4 * config.pageSize() + 123);
            }
            FileState cf = cacheFile;
            PageCache own = OffHeapPageCache.builder()
                    .pageSize(config.pageSize())
                    .capacity(8L * config.pageSize())
                    .frameWaitTimeout(Duration.ofSeconds(30))
                    .build();
            boolean closed = false;
            try {
                PagedFile h =
                        own.open(cf.path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                check(h.size() == cf.sizeLower.get(), "reopened " + cf + " has size " + h.size());
                Race race = new Race(cf, h, 0, cf.model.length, c);
                boolean[] closedInRace = new boolean[1];
                race.runAgainst(() -> {
                    try {
                        own.close();
                        closedInRace[0] = true;
                    } catch (IOException e) {
                        tally("race.cacheCloseFailed");
                    }
                });
                if (!closedInRace[0]) {
                    own.close(); // once the race is over it must close
                }
                closed = true;
                expectClosed(h, "a handle of a closed cache");
                verifyScratchOnDisk(cf, race.pending, "the file on disk after its cache closed under a race");
                tally("race.cacheCloses");
            } finally {
                if (!closed) {
                    try {
                        own.close();
                    } catch (IOException | RuntimeException ignored) {
                        // the failure being reported matters more
                    }
                }
            }
        }

        /**
         * Closes a handle while a helper works on it. A close may refuse (an {@code IOException}, nothing changed)
         * while the helper holds a page guard; once the race is over, closing again must succeed.
         */
        void closeRefusable(PagedFile h, String what) throws Exception {
            try {
                h.close();
            } catch (IOException e) {
                tally("race.closesRefused");
                raceCloseRefused = true;
            }
        }

        /** After a race: closes again what refused to close during it. */
        void closeAfterRace(PagedFile h, String what) {
            if (raceCloseRefused) {
                raceCloseRefused = false;
                closeTolerant(h, what + " after the race ended");
            }
        }

        void expectClosed(PagedFile h, String what) {
            try {
                h.read(0, ByteBuffer.allocate(1));
            } catch (IOException | IllegalStateException expected) {
                return;
            }
            throw new AssertionError(what + " could still be read");
        }

        /**
         * Delete, rename and re-create of private files while handles are open: an unlinked file lives on for its
         * open handles, a name created again is a new file, and no write-back of the old file reaches the new one.
         */
        void unlinkRename(Command c) throws Exception {
            Path a = dir.resolve(SCRATCH + "w" + id + "-u-a.bin");
            Path b = dir.resolve(SCRATCH + "w" + id + "-u-b.bin");
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
            Random r = new Random(c.aux());
            int page = config.pageSize();
            byte[] x = bytes(r, 1 + r.nextInt(3 * page));
            int at = r.nextInt(x.length);
            byte[] y = bytes(r, 1 + r.nextInt(page));
            byte[] xy = Arrays.copyOf(x, Math.max(x.length, at + y.length));
            System.arraycopy(y, 0, xy, at, y.length);
            byte[] z = bytes(r, 1 + r.nextInt(2 * page));
            int variant = (int) (c.aux() % 3);
            PagedFile h1 = cache.open(a, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                writeAll(h1, 0, x);
                switch (variant) {
                    case 0 -> {
                        Files.delete(a);
                        same(readAll(h1), x, "an open handle of an unlinked file reads its content");
                        writeAll(h1, at, y);
                        same(readAll(h1), xy, "an unlinked file takes writes through its open handle");
                        PagedFile h2 = cache.open(
                                a, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                        try {
                            check(
                                    Files.exists(a),
                                    "open(CREATE) of a deleted name with a handle still open created no file");
                            check(
                                    h2.size() == 0,
                                    "a file created again after a delete must be new and empty; it has " + h2.size()
                                            + " bytes");
                            writeAll(h2, 0, z);
                            h2.sync();
                            same(Files.readAllBytes(a), z, "the re-created file on disk after its sync");
                            same(readAll(h1), xy, "the unlinked file's handle after the name was created again");
                        } finally {
                            h2.close();
                        }
                        h1.flush();
                        same(Files.readAllBytes(a), z, "the re-created file after the unlinked one's flush");
                    }
                    case 1 -> {
                        Files.move(a, b);
                        same(readAll(h1), x, "an open handle of a renamed file reads its content");
                        writeAll(h1, at, y);
                        h1.sync();
                        same(Files.readAllBytes(b), xy, "the renamed file on disk after a sync through its old handle");
                        PagedFile h2 = cache.open(
                                a, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                        try {
                            check(
                                    h2.size() == 0,
                                    "a file created under a renamed file's old name must be new and " + "empty; it has "
                                            + h2.size() + " bytes");
                            writeAll(h2, 0, z);
                        } finally {
                            h2.close();
                        }
                        same(Files.readAllBytes(a), z, "the new file under the old name");
                        same(
                                Files.readAllBytes(b),
                                xy,
                                "the renamed file after a new file was written under its old name");
                        try (PagedFile hb = cache.open(b, StandardOpenOption.READ)) {
                            same(readAll(hb), xy, "the renamed file opened under its new name");
                        }
                    }
                    default -> {
                        h1.sync();
                        Files.write(b, z);
                        Files.move(b, a, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        try (PagedFile h2 = cache.open(a, StandardOpenOption.READ)) {
                            same(readAll(h2), z, "a file replaced by a rename, opened again (not the cached old file)");
                        }
                        same(readAll(h1), x, "the replaced file's open handle");
                        writeAll(h1, at, y);
                        h1.flush();
                        same(Files.readAllBytes(a), z, "the replacing file after the replaced one's flush");
                    }
                }
            } finally {
                h1.close();
            }
            if (variant == 1) {
                same(Files.readAllBytes(b), xy, "the renamed file after its last handle closed");
            }
            same(Files.readAllBytes(a), z, "the name's file after every handle closed");
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
            tally("unlink.variant" + variant);
        }

        /**
         * A handle opened through a symlink, a hard link, or {@code ..} through a symlinked directory: the same
         * cached file, so reads through it see the model (including what is not yet written back) and writes
         * through it are seen through the model file's own handle.
         */
        void aliasHandle(Command c, FileState f) throws Exception {
            int form = (int) (c.aux() % 3);
            Path alias = aliases[f.index][form];
            boolean readOnly = ((c.aux() >>> 2) & 1) == 1;
            PagedFile h;
            try {
                h = readOnly
                        ? cache.open(alias, StandardOpenOption.READ)
                        : cache.open(alias, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new AssertionError("open of " + f + " through " + alias + " failed: " + e, e);
            }
            try {
                read(f, h, c.position(), c.length(), true);
                if (!readOnly) {
                    byte[] bytes = bytes(new Random(c.aux()), c.length());
                    doWrite(f, c.position(), bytes, () -> h.write(c.position(), WriteSource.of(bytes)), false);
                    read(f, f.handle, c.position(), c.length(), true);
                }
                if (((c.aux() >>> 3) & 1) == 1) {
                    try {
                        h.flush();
                    } catch (IOException | RuntimeException | Error e) {
                        tolerate(e, "flush through " + alias);
                    }
                }
            } finally {
                closeTolerant(h, "a handle of " + f + " through " + alias);
            }
            read(f, f.handle, c.position(), c.length(), false);
            tally("alias." + (form == 0 ? "symlink" : form == 1 ? "hardLink" : "dotDotThroughSymlink")
                    + (readOnly ? ".readOnly" : ".readWrite"));
        }

        byte[] bytes(Random r, int n) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            return b;
        }

        void writeAll(PagedFile h, long position, byte[] data) throws IOException {
            long k = h.write(position, WriteSource.of(data));
            check(k == data.length, "write of " + data.length + " bytes from an array returned " + k);
            bytesWritten.add(k);
        }

        byte[] readAll(PagedFile h) throws IOException {
            byte[] out = new byte[Math.toIntExact(h.size())];
            ByteBuffer dst = ByteBuffer.wrap(out);
            while (dst.hasRemaining()) {
                if (h.read(dst.position(), dst) < 0) {
                    throw new AssertionError(
                            "read returned -1 at " + dst.position() + " of a " + out.length + "-byte file");
                }
            }
            bytesVerified.add(out.length);
            return out;
        }

        void same(byte[] actual, byte[] expected, String what) {
            if (!Arrays.equals(actual, expected)) {
                int m = Arrays.mismatch(actual, expected);
                throw new AssertionError(what + ": " + actual.length + " bytes, expected " + expected.length
                        + ", first difference at byte " + m);
            }
        }

        /**
         * A helper thread doing writes, reads, read guards and write guards through a handle on a span of a file
         * while this worker closes the handle or the cache. Every call completes with the right result or fails
         * with an exception (an {@code IOException} or {@code IllegalStateException} once the close began); what
         * completed must never be lost; the first write that failed is resolved when the race is over.
         */
        final class Race {
            final FileState f;
            final PagedFile h;
            final int from;
            final int to;
            final Command c;
            final Random r;
            final AtomicBoolean closing = new AtomicBoolean();
            volatile Throwable failure;
            Pending pending;

            Race(FileState f, PagedFile h, int from, int to, Command c) {
                this.f = f;
                this.h = h;
                this.from = from;
                this.to = to;
                this.c = c;
                this.r = new Random(c.aux() * 31 + c.number());
            }

            /** Starts the helper, waits a drawn moment, runs {@code close}, and waits (bounded) for the helper. */
            void runAgainst(Body close) throws Exception {
                int ops = 2 + (int) (c.aux() % 14);
                Thread helper = new Thread(
                        () -> {
                            try {
                                for (int i = 0; i < ops; i++) {
                                    if (!step()) {
                                        break;
                                    }
                                }
                            } catch (Throwable t) {
                                failure = t;
                            }
                        },
                        "harness-race-" + id);
                helper.setDaemon(true);
                helper.start();
                long pause = (c.aux() >>> 12) % 300_000;
                if (pause > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(pause);
                }
                closing.set(true);
                close.run();
                helper.join(RACE_TIMEOUT.toMillis());
                if (helper.isAlive()) {
                    throw new AssertionError("a helper racing a close of " + f + " did not finish in " + RACE_TIMEOUT
                            + " (a hang)\n" + org.pagecache.offheap.testing.Threads.dump());
                }
                if (failure != null) {
                    throw new AssertionError("a call racing a close of " + f + " went wrong: " + failure, failure);
                }
            }

            /** A failure is allowed once the close began (or for an injected fault); anything else is not. */
            void allowed(Throwable e, String what) {
                if (e instanceof AssertionError a) {
                    throw a;
                }
                if (closing.get() && (e instanceof IOException || e instanceof IllegalStateException)) {
                    tally("race.callsFailedAfterClose");
                    return;
                }
                tolerate(
                        e,
                        what + " racing a close ("
                                + (closing.get()
                                        ? "an exception of this kind is not allowed"
                                        : "before the close began")
                                + ")");
            }

            /** @return whether to go on */
            boolean step() throws IOException {
                int page = config.pageSize();
                int span = to - from;
                switch (r.nextInt(4)) {
                    case 0 -> {
                        int len = 1 + r.nextInt(Math.min(span, 2 * page));
                        long pos = from + r.nextInt(span - len + 1);
                        byte[] data = bytes(r, len);
                        byte[] old = Arrays.copyOfRange(f.model, (int) pos, (int) pos + len);
                        f.sizeUpper.accumulateAndGet(pos + len, Math::max);
                        long k;
                        try {
                            k = h.write(pos, WriteSource.of(data));
                        } catch (Throwable e) {
                            allowed(e, "write");
                            pending = new Pending(pos, old, data, true, "a write that failed racing a close");
                            return false;
                        }
                        check(k == len, "a write racing a close returned " + k + " of " + len);
                        System.arraycopy(data, 0, f.model, (int) pos, len);
                        Arrays.fill(f.dirtySinceSync, (int) pos, (int) pos + len, (byte) 1);
                        f.sizeLower.accumulateAndGet(pos + len, Math::max);
                        bytesWritten.add(len);
                        tally("race.writes");
                    }
                    case 1 -> {
                        int len = 1 + r.nextInt(Math.min(span, 2 * page));
                        long pos = from + r.nextInt(span - len + 1);
                        ByteBuffer dst = ByteBuffer.allocate(len);
                        long lower = f.sizeLower.get();
                        int n;
                        try {
                            n = h.read(pos, dst);
                        } catch (Throwable e) {
                            allowed(e, "read");
                            return !closing.get();
                        }
                        checkRead(f, pos, len, lower, f.sizeUpper.get(), n);
                        for (int i = 0; i < n; i++) {
                            check(
                                    dst.get(i) == f.model[(int) pos + i],
                                    "a read racing a close of " + f + " at " + pos + ": byte " + (pos + i) + " is "
                                            + dst.get(i) + ", model " + f.model[(int) pos + i]);
                        }
                        bytesVerified.add(Math.max(0, n));
                        tally("race.reads");
                    }
                    case 2 -> {
                        long lower = f.sizeLower.get();
                        long firstPage = from / page;
                        long lastPage = Math.min((to - 1) / page, (lower - 1) / page);
                        if (lower == 0 || lastPage < firstPage) {
                            return true;
                        }
                        long p = firstPage + r.nextInt((int) (lastPage - firstPage + 1));
                        int a = (int) Math.max(from, p * page);
                        int b = (int) Math.min(Math.min(to, (p + 1) * page), lower);
                        if (b <= a) {
                            return true; // the file ends before this thread's span of the page
                        }
                        byte[] got = new byte[b - a];
                        try (PageGuard g = h.pinForRead(p)) {
                            check(g.pageIndex() == p, "pinForRead(" + p + ") gave page " + g.pageIndex());
                            int tries = 0;
                            long stamp;
                            do {
                                stamp = g.readStamp();
                                MemorySegment.copy(g.memory(), ValueLayout.JAVA_BYTE, a - p * page, got, 0, got.length);
                                check(++tries < 100_000, "a read guard never validated");
                            } while (!g.validate(stamp));
                        } catch (IOException | RuntimeException | Error e) {
                            allowed(e, "pinForRead");
                            return !closing.get();
                        }
                        int m = Arrays.mismatch(got, 0, got.length, f.model, a, b);
                        check(
                                m < 0,
                                "a read guard racing a close of " + f + " on page " + p + " validated bytes that "
                                        + "are not the file's: byte " + (a + m) + " is " + (m < 0 ? 0 : got[m])
                                        + ", model "
                                        + (m < 0 ? 0 : f.model[a + m]));
                        bytesVerified.add(got.length);
                        tally("race.readGuards");
                    }
                    default -> {
                        long firstPage = from / page;
                        long lastPage = Math.min((to - 1) / page, f.model.length / page - 1);
                        if (lastPage < firstPage) {
                            return true;
                        }
                        long p = firstPage + r.nextInt((int) (lastPage - firstPage + 1));
                        int a = (int) Math.max(from, p * page);
                        int b = (int) Math.min(to, (p + 1) * page);
                        byte[] data = bytes(r, b - a);
                        byte[] old = Arrays.copyOfRange(f.model, a, b);
                        f.sizeUpper.accumulateAndGet((p + 1) * page, Math::max);
                        PageGuard g;
                        try {
                            g = h.lockForWrite(p);
                        } catch (Throwable e) {
                            allowed(e, "lockForWrite");
                            return !closing.get();
                        }
                        try (g) {
                            check(g.pageIndex() == p, "lockForWrite(" + p + ") gave page " + g.pageIndex());
                            MemorySegment.copy(data, 0, g.memory(), ValueLayout.JAVA_BYTE, a - p * page, data.length);
                        } catch (IllegalStateException | IndexOutOfBoundsException e) {
                            throw new AssertionError("a write guard's memory could not be written: " + e, e);
                        }
                        System.arraycopy(data, 0, f.model, a, data.length);
                        Arrays.fill(f.dirtySinceSync, a, b, (byte) 1);
                        f.sizeLower.accumulateAndGet((p + 1) * page, Math::max);
                        bytesWritten.add(data.length);
                        tally("race.writeGuards");
                    }
                }
                return true;
            }
        }

        void reopen(FileState f) throws IOException {
            resolveSize(f);
            verifyThroughCache(f);
            closeHandle(f);
            byte[] disk = Files.readAllBytes(f.path);
            compareWhole(f, disk, "the file on disk after its last handle closed");
            f.handle = cache.open(f.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            check(
                    f.handle.size() == f.sizeLower.get(),
                    "reopened " + f + " has size " + f.handle.size() + ", model " + f.sizeLower.get());
        }
    }

    // ------------------------------------------------------------------------------------ everyday-fault helpers

    /** @return the figures of the everyday-fault commands */
    private Map<String, Long> tallies() {
        Map<String, Long> m = new java.util.TreeMap<>();
        everyday.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    private void tally(String what) {
        everyday.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    /** @return whether a cache call of the current command may fail for a reason the run injected */
    private boolean ioMayFail() {
        return config.faulty() || config.storeThrows() || mayBeInterrupted.get();
    }

    /**
     * Accepts a failed cache call only when the run injected a fault that allows it, as the contract says: any
     * {@code IOException} under injected I/O faults; a throwable made by the fault injector (or one carrying it as
     * its cause) when stores throw; {@code ClosedByInterruptException} or {@code InterruptedIOException} from a
     * call that was interrupted. Anything else (a {@code ClosedChannelException} because another thread's
     * interrupt broke the file, an {@code IllegalStateException} from a frame left locked) is a divergence.
     */
    private void tolerate(Throwable e, String what) {
        if (e instanceof AssertionError a) {
            throw a;
        }
        if (config.faulty() && e instanceof IOException) {
            return;
        }
        if (config.storeThrows() && FaultInjector.isInjected(e)) {
            tally("store.throwsSeen");
            return;
        }
        if (config.storeThrows() && e instanceof IOException && reportsWriteBack(what)) {
            // an earlier write-back that met the injected throwable is reported by the next flush, sync, close or
            // truncate of the file, as a plain IOException (the pages stay dirty)
            tally("store.writeBackFailuresReported");
            return;
        }
        if (mayBeInterrupted.get() && isInterruptFailure(e)) {
            return;
        }
        throw new AssertionError(
                what + " failed with no injected fault that allows it ("
                        + (mayBeInterrupted.get()
                                ? "an interrupted call may fail only with ClosedByInterruptException or "
                                        + "InterruptedIOException"
                                : "nothing of this command was interrupted")
                        + "): " + e,
                e);
    }

    /** @return whether the call named {@code what} reports earlier write-back failures of its file */
    private static boolean reportsWriteBack(String what) {
        return what.startsWith("flush")
                || what.startsWith("sync")
                || what.startsWith("close")
                || what.startsWith("truncate");
    }

    private static boolean isInterruptFailure(Throwable e) {
        return e instanceof java.nio.channels.ClosedByInterruptException || e instanceof java.io.InterruptedIOException;
    }

    /** Closes a handle that is not a model file's shared one, retrying failures the run allows. */
    private void closeTolerant(PagedFile h, String what) {
        Throwable last = null;
        for (int attempt = 0; attempt < CLOSE_ATTEMPTS; attempt++) {
            try {
                h.close();
                return;
            } catch (IOException | RuntimeException | Error e) {
                tolerate(e, "close of " + what);
                closeRetries.increment();
                last = e;
            }
        }
        throw new AssertionError("close of " + what + " failed " + CLOSE_ATTEMPTS + " times", last);
    }

    /**
     * For each model file: a symlink to it, a hard link to it, and a path through a symlinked directory and
     * {@code ..} that the OS resolves to it but a lexical normalisation does not.
     */
    private void createAliases() throws IOException {
        aliases = new Path[files.length][];
        if (Op.ALIAS_HANDLE.weight(config) == 0) {
            return;
        }
        Path inner = Files.createDirectories(dir.resolve("nest").resolve("inner"));
        Path up = Files.createSymbolicLink(dir.resolve("up"), inner);
        for (FileState f : files) {
            String name = f.path.getFileName().toString();
            Path sym = Files.createSymbolicLink(dir.resolve(name + ".sym"), Path.of(name));
            Path hard = Files.createLink(dir.resolve(name + ".hard"), f.path);
            Path dotdot = up.resolve("..").resolve("..").resolve(name);
            for (Path p : new Path[] {sym, hard, dotdot}) {
                check(Files.isSameFile(p, f.path), "the OS does not resolve " + p + " to " + f.path);
            }
            aliases[f.index] = new Path[] {sym, hard, dotdot};
        }
    }

    /**
     * Interrupts worker threads at chosen moments, as {@code Future.cancel(true)} does from another thread. A shot
     * is armed by the worker, fired (at most once) by this thread after its delay, or cancelled by the worker when
     * its cache call returned first; the worker waits for a shot being fired to land before it clears its flag,
     * so no interrupt ever reaches the harness's own code.
     */
    private static final class Interrupter {
        static final int ARMED = 0;
        static final int FIRING = 1;
        static final int FIRED = 2;
        static final int CANCELLED = 3;

        record Shot(Thread target, long atNanos, java.util.concurrent.atomic.AtomicInteger state) {}

        private static final Shot POISON = new Shot(null, 0, null);
        private final java.util.concurrent.LinkedBlockingQueue<Shot> queue =
                new java.util.concurrent.LinkedBlockingQueue<>();
        private final LongAdder fired = new LongAdder();
        private Thread thread;

        void start() {
            thread = new Thread(this::loop, "harness-interrupter");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            if (thread != null) {
                queue.add(POISON);
                thread.join(TimeUnit.SECONDS.toMillis(10));
                check(!thread.isAlive(), "the interrupter did not stop");
            }
        }

        Shot arm(Thread target, long delayNanos) {
            Shot shot = new Shot(
                    target, System.nanoTime() + delayNanos, new java.util.concurrent.atomic.AtomicInteger(ARMED));
            queue.add(shot);
            return shot;
        }

        /** Cancels the shot, or waits until it has landed; then clears the caller's interrupt flag. */
        static boolean disarm(Shot shot) {
            if (shot != null && !shot.state().compareAndSet(ARMED, CANCELLED)) {
                while (shot.state().get() != FIRED) {
                    Thread.onSpinWait();
                }
            }
            return Thread.interrupted();
        }

        private void loop() {
            try {
                while (true) {
                    Shot shot = queue.take();
                    if (shot == POISON) {
                        return;
                    }
                    long wait = shot.atNanos() - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    if (shot.state().compareAndSet(ARMED, FIRING)) {
                        shot.target().interrupt();
                        fired.increment();
                        shot.state().set(FIRED);
                    }
                }
            } catch (InterruptedException e) {
                // stopped
            }
        }
    }

    /** A write or write guard of a close race that failed or may not have completed: resolved once the race ends. */
    private record Pending(long position, byte[] old, byte[] data, boolean prefix, String what) {}

    /**
     * Resolves a write that may have been partly applied, against what is now in the file: a failed
     * {@code write} must have left a prefix of its new bytes and the old ones after it; a write guard, each byte
     * old or new. The model adopts what is there.
     */
    private void resolvePending(FileState f, Pending p, byte[] actual, int actualOffset) {
        int n = p.data().length;
        int j = 0;
        if (p.prefix()) {
            while (j < n && actualOffset + j < actual.length && actual[actualOffset + j] == p.data()[j]) {
                j++;
            }
        }
        for (int i = 0; i < n; i++) {
            byte a = actualOffset + i < actual.length ? actual[actualOffset + i] : 0;
            boolean isNew = a == p.data()[i];
            boolean isOld = a == p.old()[i];
            if (p.prefix() ? (i >= j && !isOld) : !(isNew || isOld)) {
                throw new AssertionError(p.what() + " at " + p.position() + " of " + f + " left byte "
                        + (p.position() + i) + " at " + a + ", new " + p.data()[i] + ", old " + p.old()[i]
                        + (p.prefix() ? " (not a prefix of the new bytes followed by the old ones)" : ""));
            }
            f.model[(int) p.position() + i] = a;
            if (a != p.old()[i]) {
                f.dirtySinceSync[(int) p.position() + i] = 1;
            }
        }
    }

    /**
     * Compares a closed scratch file on disk with its model: the size within the bounds, a pending write
     * resolved, every acknowledged byte there; the model then takes the exact size.
     */
    private void verifyScratchOnDisk(FileState f, Pending pending, String what) throws IOException {
        byte[] disk = Files.readAllBytes(f.path);
        long lower = f.sizeLower.get();
        long upper = f.sizeUpper.get();
        check(
                disk.length >= lower && disk.length <= upper,
                what + ": " + f + " has " + disk.length + " bytes on disk, outside [" + lower + ", " + upper + "]");
        if (pending != null) {
            resolvePending(f, pending, disk, (int) pending.position());
        }
        f.sizeLower.set(disk.length);
        f.sizeUpper.set(disk.length);
        compareWhole(f, disk, what);
    }

    // ------------------------------------------------------------------------------------------ shared helpers

    @FunctionalInterface
    private interface IoCall {
        long run() throws IOException;
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    /**
     * Runs a command body under a harness lock; a failure stops every worker before the lock is released, so the
     * failure that came first is known even when its consequences (a handle left closed) make others fail too.
     */
    private void locked(Lock lock, Body body) throws Exception {
        lock.lock();
        try {
            body.run();
        } catch (Throwable t) {
            stop.set(true);
            rootCause.compareAndSet(null, t);
            throw t;
        } finally {
            lock.unlock();
        }
    }

    private void shared(FileState f, Body body) throws Exception {
        locked(f.structure.readLock(), body);
    }

    private void shared2(FileState a, FileState b, Body body) throws Exception {
        if (a == b) {
            shared(a, body);
            return;
        }
        FileState first = a.index < b.index ? a : b;
        FileState second = first == a ? b : a;
        shared(first, () -> shared(second, body));
    }

    private void exclusive(FileState f, Body body) throws Exception {
        locked(f.structure.writeLock(), body);
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    /** With the file's exclusive lock: the size is exact again, unless a failed write may have grown it. */
    private void resolveSize(FileState f) throws IOException {
        long size = f.handle.size();
        long lower = f.sizeLower.get();
        long upper = f.sizeUpper.get();
        if (f.sizeUncertain.getAndSet(false) || lower != upper) {
            check(
                    size >= lower && size <= upper,
                    "size() of " + f + " is " + size + ", outside [" + lower + ", " + upper + "]");
        } else {
            check(size == lower, "size() of " + f + " is " + size + ", model " + lower);
        }
        f.sizeLower.set(size);
        f.sizeUpper.set(size);
    }

    /** With the file's exclusive lock: reads the whole file through the cache and compares it with the model. */
    private void verifyThroughCache(FileState f) throws IOException {
        long size = f.sizeLower.get();
        byte[] content = workers[0].readBack(f, 0, (int) size);
        ByteBuffer probe = ByteBuffer.allocate(1);
        int eof;
        try {
            eof = f.handle.read(size, probe);
        } catch (IOException | RuntimeException | Error e) {
            tolerate(e, "read at the end");
            eof = -1;
        }
        check(eof == -1, "read at the model's size " + size + " of " + f + " returned " + eof);
        compareWhole(f, content, "the file read through the cache");
    }

    private void compareWhole(FileState f, byte[] actual, String what) {
        long size = f.sizeLower.get();
        if (actual.length != size) {
            int from = (int) Math.min(actual.length, size);
            int to = (int) Math.max(actual.length, size);
            int nonZero = 0;
            int firstNonZero = -1;
            for (int i = from; i < to; i++) {
                byte b = i < size ? f.model[i] : actual[i];
                if (b != 0) {
                    nonZero++;
                    firstNonZero = firstNonZero < 0 ? i : firstNonZero;
                }
            }
            int mismatch = Arrays.mismatch(actual, 0, from, f.model, 0, from);
            throw new AssertionError(what + " (" + f + ") has " + actual.length + " bytes, the model " + size
                    + "; of the " + (to - from) + " bytes in between, " + nonZero + " are not zero"
                    + (firstNonZero >= 0 ? " (the first at " + firstNonZero + ")" : " (a hole)")
                    + "; the common prefix " + (mismatch < 0 ? "matches" : "differs first at byte " + mismatch)
                    + "; last truncate of this file: " + f.lastTruncate);
        }
        int mismatch = Arrays.mismatch(actual, 0, actual.length, f.model, 0, actual.length);
        if (mismatch >= 0) {
            throw new AssertionError(what + " (" + f + ") differs from the model at byte " + mismatch + " (page "
                    + mismatch / config.pageSize() + "): " + actual[mismatch] + " instead of " + f.model[mismatch]);
        }
        for (int i = actual.length; i < f.model.length; i++) {
            check(f.model[i] == 0, "model of " + f + " has bytes past its size");
        }
        bytesVerified.add(actual.length);
    }

    /**
     * Closes a file's handle, retrying injected failures; a close that keeps failing after the file's faults are
     * switched off is an error of the cache (a write-back error reported once more is allowed, not a file that can
     * never be closed).
     */
    private void closeHandle(FileState f) throws IOException {
        Throwable last = null;
        for (int attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt++) {
            try {
                f.handle.close();
                return;
            } catch (IOException | RuntimeException | Error e) {
                tolerate(e, "close");
                closeRetries.increment();
                last = e;
            }
        }
        injector.suppress(f.path, true);
        try {
            for (int attempt = 1; attempt <= 3; attempt++) {
                try {
                    f.handle.close();
                    return;
                } catch (IOException | RuntimeException | Error e) {
                    tolerate(e, "close with faults off");
                    closeRetries.increment();
                    last = e;
                }
            }
        } finally {
            injector.suppress(f.path, false);
        }
        throw new AssertionError(
                "close of " + f + " failed " + CLOSE_ATTEMPTS + " times with faults and 3 more with "
                        + "its faults switched off: the file can never be closed",
                last);
    }

    /**
     * With every worker stopped and faults off: sizes and contents through the cache; the durable images against
     * what each sync acknowledged; then flush, sync, close and compare the files on disk, and once more through a
     * fresh cache.
     */
    /** @return whether the error is the cache's report that data written back before a failed force may be lost */
    private static boolean declaredLoss(IOException e) {
        return e.getMessage() != null && e.getMessage().contains("may have been lost");
    }

    private PageCacheStats finalVerification() throws IOException {
        injector.enabled(false);
        injector.disarmAll();
        for (FileState f : files) {
            resolveSize(f);
            // a power loss now: every byte not written since its owner's last acknowledged sync must be durable
            byte[] image = injector.durableImage(f.path);
            for (int i = 0; i < f.model.length; i++) {
                if (f.dirtySinceSync[i] == 0) {
                    byte durable = i < image.length ? image[i] : 0;
                    if (durable != f.lastSynced[i]) {
                        throw new AssertionError("acknowledged byte lost: " + f + " byte " + i + " was synced as "
                                + f.lastSynced[i] + " but the durable image has " + durable);
                    }
                    bytesVerified.increment();
                }
            }
            verifyThroughCache(f);
            boolean lossDeclared = false;
            try {
                f.handle.flush();
            } catch (IOException e) {
                // a write-back failure from the run may be reported once more; it must clear after a success.
                // A loss declared after a failed force (pages written back, then evicted, then the force failed)
                // is reported for good: the cache cannot know what the kernel kept.
                check(config.faulty() || config.storeThrows(), "flush failed with no faults injected: " + e);
                lossDeclared = declaredLoss(e);
                if (!lossDeclared) {
                    f.handle.flush();
                }
            }
            try {
                f.handle.sync();
            } catch (IOException e) {
                check(config.faulty() && declaredLoss(e), "the final sync failed: " + e);
                lossDeclared = true;
            }
            if (lossDeclared) {
                lossesDeclared.increment();
            } else {
                byte[] durable = injector.durableImage(f.path);
                compareWhole(f, durable, "the durable image after the final sync");
            }
            verifyThroughCache(f);
        }
        PageCacheStats stats = cache.stats();
        for (FileState f : files) {
            closeHandle(f);
            compareWhole(f, Files.readAllBytes(f.path), "the file on disk after close");
        }
        cache.close();
        for (FileState f : files) {
            compareWhole(f, Files.readAllBytes(f.path), "the file on disk after the cache closed");
        }
        try (PageCache fresh = OffHeapPageCache.builder()
                .pageSize(config.pageSize())
                .capacity(8L * config.pageSize())
                .build()) {
            for (FileState f : files) {
                try (PagedFile h = fresh.open(f.path, StandardOpenOption.READ)) {
                    check(h.size() == f.sizeLower.get(), "a fresh cache sees " + f + " at " + h.size() + " bytes");
                    byte[] all = new byte[(int) h.size()];
                    ByteBuffer dst = ByteBuffer.wrap(all);
                    while (dst.hasRemaining() && h.read(dst.position(), dst) >= 0) {
                        // loop until full
                    }
                    compareWhole(f, all, "the file read through a fresh cache");
                }
            }
        }
        return stats;
    }
}
