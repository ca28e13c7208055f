package org.pagecache.offheap.reliability;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * <h2>Replay</h2>
 * Each thread draws its commands from its own generator seeded from the run's seed, independent of what other
 * threads do, so a seed fixes every thread's plan. A failure prints the seed, the configuration, how many
 * commands each thread ran and the last commands of each; rerun with {@code -Dpagecache.harness.seed=N} (and
 * {@code -Dpagecache.harness.ops=M} for the same plan length) to replay the plan. The interleaving of threads is
 * up to the scheduler; a single-threaded configuration replays exactly.
 */
final class RandomizedHarness {

    /** The commands, with their weights (relative frequencies). */
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
        REOPEN(1);

        final int defaultWeight;

        Op(int weight) {
            this.defaultWeight = weight;
        }

        /**
         * @return the weight, or its override from {@code -Dpagecache.harness.weights=OP:W,...} (for example
         *         {@code TRUNCATE:0} to leave truncates out while hunting another problem)
         */
        int weight() {
            String spec = System.getProperty("pagecache.harness.weights", "");
            for (String part : spec.split(",")) {
                String[] kv = part.trim().split(":");
                if (kv.length == 2 && kv[0].trim().equalsIgnoreCase(name())) {
                    return Integer.parseInt(kv[1].trim());
                }
            }
            return defaultWeight;
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
     */
    record Config(long seed, int threads, int files, int pageSize, int capacityPages, int regionBytes,
                  Duration budget, long opsPerThread, Faults faults) {

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
                    + " faults=" + faults;
        }
    }

    /** What a run did. */
    record Result(Config config, Map<Op, Long> ops, long commands, long bytesWritten, long bytesVerified,
                  long syncsAcknowledged, long syncsFailed, long flushesFailed, long readsFailed,
                  long writesFailedResolved, long shortWrites, long sourceFaults, long closeRetries,
                  Map<FaultInjector.Kind, Long> faults, PageCacheStats stats) {

        String summary() {
            return config + (System.getProperty("pagecache.harness.weights") != null
                    ? " weights=" + System.getProperty("pagecache.harness.weights") : "") + " -> commands=" + commands + " ops=" + ops + " bytesWritten=" + bytesWritten
                    + " bytesVerified=" + bytesVerified + " syncsAcknowledged=" + syncsAcknowledged
                    + " syncsFailed=" + syncsFailed + " flushesFailed=" + flushesFailed + " readsFailed=" + readsFailed
                    + " writesFailedResolved=" + writesFailedResolved + " shortWrites=" + shortWrites
                    + " sourceFaults=" + sourceFaults + " closeRetries=" + closeRetries + " faultsInjected=" + faults
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
            injector.rate(FaultInjector.Kind.FORCE_ERROR, 0.05)
                    .rate(FaultInjector.Kind.TRUNCATE_ERROR, 0.05);
        }
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
                f.handle = cache.open(f.path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            }
            long budgetNanos = config.opsPerThread() > 0 ? TimeUnit.MINUTES.toNanos(10) : config.budget().toNanos();
            long start = System.nanoTime();
            long endOfWork = start + budgetNanos;
            List<Workers.Work> works = new ArrayList<>();
            for (Worker w : workers) {
                works.add(() -> w.run(endOfWork));
            }
            Workers.runAll("harness", works, endOfWork + TimeUnit.SECONDS.toNanos(120), this::describe);
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
            return new Result(config, ops, commands, bytesWritten.sum(), bytesVerified.sum(),
                    syncsAcknowledged.sum(), syncsFailed.sum(), flushesFailed.sum(), readsFailed.sum(),
                    writesFailedResolved.sum(), shortWrites.sum(), sourceFaults.sum(), closeRetries.sum(),
                    injector.injectedByKind(), stats);
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
    record Command(long number, Op op, int file, long position, int length, int otherFile, long otherPosition,
                   long aux) {
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
            StringBuilder sb = new StringBuilder("thread ").append(id).append(": ").append(executed)
                    .append(" commands, region [").append(regionStart()).append(", ").append(regionEnd()).append(")");
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
                weights[op.ordinal()] = op.weight();
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
                case WRITE_MAPPED_BUFFER, WRITE_MAPPED_SEGMENT -> otherPosition = random.nextInt(SOURCE_BYTES - length + 1);
                case WRITE_ARRAY, WRITE_HEAP_BUFFER, WRITE_DIRECT_BUFFER -> aux = random.nextLong();
                case TRUNCATE -> aux = config.fileBytes() / 4 + (long) (random.nextDouble() * (config.fileBytes() * 3 / 4 + 1));
                case EXTRA_HANDLE, READ, MAP_READ -> aux = random.nextInt(4);
                default -> {
                }
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
                    byte[] data = Arrays.copyOfRange(sourceBytes, (int) c.otherPosition(), (int) c.otherPosition() + c.length());
                    MappedByteBuffer slice = sourceBuffer.slice((int) c.otherPosition(), c.length());
                    if (c.number() % 2 == 0) {
                        doWrite(f, c.position(), data, () -> {
                            long k = f.handle.write(c.position(), slice);
                            check(slice.position() == k, "write(long, ByteBuffer) of a mapped buffer returned " + k
                                    + " but advanced the buffer by " + slice.position());
                            return k;
                        }, false);
                    } else {
                        doWrite(f, c.position(), data, () -> f.handle.write(c.position(), WriteSource.of(slice)), false);
                    }
                }
                case WRITE_MAPPED_SEGMENT -> {
                    byte[] data = Arrays.copyOfRange(sourceBytes, (int) c.otherPosition(), (int) c.otherPosition() + c.length());
                    MemorySegment slice = sourceSegment.asSlice(c.otherPosition(), c.length());
                    doWrite(f, c.position(), data, () -> f.handle.write(c.position(), WriteSource.of(slice)), false);
                }
                case WRITE_VIEW_SAME_FILE -> writeFromView(c);
                case MAP_READ -> mapRead(f, c);
                case FLUSH -> {
                    try {
                        f.handle.flush();
                    } catch (IOException e) {
                        check(config.faulty(), "flush failed with no faults injected: " + e);
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
                n = handle.read(position, dst);
            } catch (IOException e) {
                check(config.faulty(), "read failed with no faults injected: " + e);
                readsFailed.increment();
                return;
            }
            long upper = f.sizeUpper.get();
            checkRead(f, position, length, lower, upper, n);
            check(dst.position() == offset + Math.max(0, n), "read returned " + n + " but advanced the buffer by "
                    + (dst.position() - offset));
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
                check(position >= lower, "read at " + position + " returned -1 but the file has at least "
                        + lower + " bytes");
                return;
            }
            check(n <= length, "read returned " + n + " > " + length);
            check(n > 0 || length == 0, "read returned 0 for a non-empty buffer at " + position);
            if (position < lower) {
                check(n >= Math.min(length, lower - position), "short read: " + n + " of " + length + " at " + position
                        + " though the file has at least " + lower + " bytes");
            }
            check(position + n <= upper, "read of " + n + " at " + position + " goes past every size the file can "
                    + "have had (" + upper + ")");
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
                    WriteSource src = pad == 0 && (c.aux() & 1) == 0 ? WriteSource.of(bytes)
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
                doWrite(f, c.position(), bytes, () -> {
                    long k = f.handle.write(c.position(), b);
                    check(b.position() == pad + k, "write(long, ByteBuffer) returned " + k + " but advanced the buffer by "
                            + (b.position() - pad));
                    return k;
                }, false);
            } else {
                WriteSource src = WriteSource.of(b);
                doWrite(f, c.position(), bytes, () -> {
                    long k = f.handle.write(c.position(), src);
                    check(b.position() == pad, "write(long, WriteSource) moved the buffer's position");
                    return k;
                }, false);
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
                doWrite(dst, c.position(), data, () -> dst.handle.write(c.position(), view), !inside || config.faulty());
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
                k = call.run();
            } catch (SourceFaultException e) {
                check(mayBeShort, "source fault from a source that cannot fault: " + e);
                check(e.bytesWritten() == 0, "SourceFaultException from write() with bytesWritten " + e.bytesWritten());
                sourceFaults.increment();
                return;
            } catch (IOException e) {
                check(config.faulty(), "write failed with no faults injected: " + e);
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
        void resolveFailedWrite(FileState f, long position, byte[] old, byte[] data, IOException cause) throws IOException {
            byte[] actual = readBack(f, position, data.length);
            int j = 0;
            while (j < data.length && actual[j] == data[j]) {
                j++;
            }
            for (int i = j; i < data.length; i++) {
                if (actual[i] != old[i]) {
                    throw new AssertionError("a write that failed (" + cause + ") left " + f + " at " + position
                            + " neither a prefix of the new bytes nor the old ones: byte " + (position + i)
                            + " is " + actual[i] + ", new " + data[i] + ", old " + old[i], cause);
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
            IOException last = null;
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
                } catch (IOException e) {
                    last = e;
                }
            }
            throw new AssertionError("could not read back " + f + " at " + position + " in " + READ_ATTEMPTS
                    + " attempts", last);
        }

        void mapRead(FileState f, Command c) throws IOException {
            MappedView view;
            view = f.handle.map(c.position(), c.length());
            try (view) {
                check(view.length() == c.length() && view.position() == c.position(), "map returned a view at "
                        + view.position() + " of " + view.length() + " bytes");
                int off = (int) (c.aux() % Math.max(1, c.length()));
                int len = c.length() - off;
                ByteBuffer dst = ByteBuffer.allocate(len);
                long lower = f.sizeLower.get();
                int n;
                try {
                    n = view.read(off, dst);
                } catch (IOException e) {
                    check(config.faulty(), "view read failed with no faults injected: " + e);
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
                f.handle.sync();
            } catch (IOException e) {
                check(config.faulty(), "sync failed with no faults injected: " + e);
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
            PagedFile second = readOnly ? cache.open(f.path, StandardOpenOption.READ)
                    : cache.open(f.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                read(f, second, c.position(), c.length(), true);
                if (!readOnly) {
                    byte[] bytes = new byte[c.length()];
                    random.nextBytes(bytes);
                    doWrite(f, c.position(), bytes, () -> second.write(c.position(), WriteSource.of(bytes)), false);
                }
            } finally {
                second.close();
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
            } catch (IOException e) {
                check(config.faulty(), "truncate failed with no faults injected: " + e);
                long now = f.handle.size();
                check(now == before || now == after, "a failed truncate to " + size + " left the size at " + now
                        + ", neither " + before + " nor " + after);
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

        void reopen(FileState f) throws IOException {
            resolveSize(f);
            verifyThroughCache(f);
            closeHandle(f);
            byte[] disk = Files.readAllBytes(f.path);
            compareWhole(f, disk, "the file on disk after its last handle closed");
            f.handle = cache.open(f.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            check(f.handle.size() == f.sizeLower.get(), "reopened " + f + " has size " + f.handle.size()
                    + ", model " + f.sizeLower.get());
        }
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
            check(size >= lower && size <= upper, "size() of " + f + " is " + size + ", outside [" + lower + ", "
                    + upper + "]");
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
        } catch (IOException e) {
            check(config.faulty(), "read at the end failed with no faults injected: " + e);
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
        IOException last = null;
        for (int attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt++) {
            try {
                f.handle.close();
                return;
            } catch (IOException e) {
                check(config.faulty(), "close failed with no faults injected: " + e);
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
                } catch (IOException e) {
                    closeRetries.increment();
                    last = e;
                }
            }
        } finally {
            injector.suppress(f.path, false);
        }
        throw new AssertionError("close of " + f + " failed " + CLOSE_ATTEMPTS + " times with faults and 3 more with "
                + "its faults switched off: the file can never be closed", last);
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
                check(config.faulty(), "flush failed with no faults injected: " + e);
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
        try (PageCache fresh = OffHeapPageCache.builder().pageSize(config.pageSize())
                .capacity(8L * config.pageSize()).build()) {
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
