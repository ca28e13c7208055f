package org.pagecache.stress;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.OffHeapPageCache;
import org.pagecache.offheap.store.DirectIo;
import org.pagecache.offheap.store.DirectStore;
import org.pagecache.offheap.store.FileChannelStore;
import org.pagecache.offheap.store.StoreFactory;

/**
 * The stress runner's command line: {@code java -jar pagecache-stress.jar [options]} (see {@code --help} and
 * {@code docs/stress.md}).
 *
 * <p>A run: write the cached files with their initial pattern and the source files with theirs; map the
 * sources; build a cache; start writers, readers and the source truncator; print a progress line; at the end
 * stop the threads, check every byte of every file through the cache, close the cache, check every byte again
 * straight from the files; print a summary (and a JSON report). Exit status 0 means every byte checked matched
 * the model and nothing unexpected happened.
 */
public final class StressRunner {

    static final int EXIT_PASSED = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_ERROR = 3;

    /** How long the worker threads get to stop once the run is over before it is declared hung. */
    static final long STOP_TIMEOUT_SECONDS = 60;
    /** {@link #STOP_TIMEOUT_SECONDS}, shortened by tests that provoke a hang. */
    static volatile long stopTimeoutSeconds = STOP_TIMEOUT_SECONDS;
    /** Smallest bound on the final passes and the close; larger files get more (see {@link #phaseLimitSeconds}). */
    static final long PHASE_TIMEOUT_SECONDS = 120;

    private static final long TERMINAL_TICK_MILLIS = 1_000;
    private static final long LOG_TICK_MILLIS = 5_000;
    private static final int IO_CHUNK = 1 << 20;
    private static final int HEAP_ARRAY_BYTES = 1 << 20;

    private StressRunner() {}

    /**
     * Runs the stress test with the command-line options and exits with its status.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        java.io.Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        int status = run(args, FileChannelStore.FACTORY, System.out, System.err, terminal, true);
        System.out.flush();
        System.exit(status);
    }

    /**
     * Runs with the given options, opening the cache's files through {@code stores}. Tests use this to put a
     * deliberately broken store in front of the files and check that the run fails.
     *
     * @return the exit status
     */
    static int run(String[] args, StoreFactory stores, PrintStream out, PrintStream err, boolean terminal) {
        return run(args, stores, out, err, terminal, false);
    }

    /**
     * @param cleanUpOnExit whether to delete the run's files (unless {@code --keep}) if the JVM exits in the
     *                      middle of the run (Ctrl-C)
     */
    private static int run(
            String[] args,
            StoreFactory stores,
            PrintStream out,
            PrintStream err,
            boolean terminal,
            boolean cleanUpOnExit) {
        StressOptions options;
        try {
            options = StressOptions.parse(args);
        } catch (StressOptions.UsageException e) {
            err.println("stress: " + e.getMessage());
            err.println("Run with --help for the options.");
            return EXIT_USAGE;
        }
        if (options.help) {
            out.print(StressOptions.usage());
            return EXIT_PASSED;
        }
        return new StressRunner.Run(options, stores, out, err, terminal).execute(cleanUpOnExit);
    }

    /** One run: its files, cache, threads and results. */
    private static final class Run {
        private final StressOptions o;
        private final StoreFactory stores;
        private final PrintStream out;
        private final PrintStream err;
        private final boolean terminal;
        private final List<String> warnings = new ArrayList<>();

        private volatile Path dir;
        private volatile boolean createdDir;
        private final List<Path> created = new CopyOnWriteArrayList<>();
        private volatile boolean done;
        private Arena arena;
        private FileChannel[] sourceChannels = new FileChannel[0];
        private PageCache cache;
        private volatile Workload w;

        Run(StressOptions o, StoreFactory stores, PrintStream out, PrintStream err, boolean terminal) {
            this.o = o;
            // with --direct-io every cached file is a DirectStore over two descriptors opened by the given factory
            this.stores = o.directIo
                    ? (file, options) -> options.stream().anyMatch(DirectIo::isDirect)
                            ? DirectStore.open(file, options, stores)
                            : stores.open(file, options)
                    : stores;
            this.out = out;
            this.err = err;
            this.terminal = terminal;
        }

        int execute(boolean cleanUpOnExit) {
            Thread hook = null;
            if (cleanUpOnExit) {
                hook = new Thread(this::interrupted, "stress-exit");
                Runtime.getRuntime().addShutdownHook(hook);
            }
            try {
                return execute();
            } finally {
                done = true;
                if (hook != null) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException e) {
                        // the JVM is exiting already
                    }
                }
            }
        }

        /** The JVM exits in the middle of the run (Ctrl-C): stop the threads, delete the files unless --keep. */
        private void interrupted() {
            if (done) {
                return;
            }
            Workload workload = w;
            if (workload != null) {
                workload.stop = true;
            }
            if (o.keep || dir == null) {
                err.println("\nstress: interrupted" + (dir == null ? "" : "; the files are kept in " + dir));
            } else {
                err.println("\nstress: interrupted; deleting the files in " + dir);
                deleteFiles();
            }
            err.flush();
        }

        private int execute() {
            Report report = new Report(o);
            try {
                setUp();
            } catch (Throwable t) {
                err.println("stress: could not set up the run: " + t);
                report.setupError = String.valueOf(t);
                releaseSources();
                closeCacheQuietly();
                deleteFiles();
                return finish(report, EXIT_ERROR);
            }
            report.dir = dir;
            try {
                runWorkload(report);
            } finally {
                releaseSources();
            }
            boolean failed = w.failures.any();
            report.kept = o.keep || failed;
            if (!report.kept) {
                deleteFiles();
            }
            return finish(report, failed ? EXIT_FAILED : EXIT_PASSED);
        }

        private int finish(Report report, int status) {
            report.exitCode = status;
            report.warnings.addAll(warnings);
            if (report.setupError == null) {
                report.printSummary(out);
            }
            if (o.json != null) {
                try {
                    Path parent = o.json.toAbsolutePath().getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    Files.writeString(o.json, report.toJson());
                } catch (IOException | RuntimeException e) {
                    err.println("stress: could not write the JSON report to " + o.json + ": " + e);
                    if (status == EXIT_PASSED) {
                        status = EXIT_ERROR;
                    }
                }
            }
            out.flush();
            return status;
        }

        private void setUp() throws IOException {
            if (o.dir == null) {
                dir = Files.createTempDirectory("pagecache-stress-");
                createdDir = true;
            } else {
                dir = o.dir;
                createdDir = !Files.exists(dir);
                Files.createDirectories(dir);
            }
            out.printf(
                    Locale.ROOT,
                    "pagecache stress: seed %s, %s in %s%n",
                    StressOptions.formatSeed(o.seed),
                    StressOptions.formatDuration(o.duration),
                    dir);
            out.printf(
                    Locale.ROOT,
                    "writing %d cached files of %s and %d source files of %s ...%n",
                    o.files,
                    Report.bytes(o.fileSize),
                    o.sourceFiles,
                    Report.bytes(o.sourceSize));
            out.flush();

            Path[] files = new Path[o.files];
            byte[] chunk = new byte[(int) Math.min(IO_CHUNK, o.fileSize)];
            for (int f = 0; f < o.files; f++) {
                files[f] = dir.resolve(String.format(Locale.ROOT, "cached-%03d.dat", f));
                created.add(files[f]);
                long stream = Pattern.initialStream(f);
                try (FileChannel ch = FileChannel.open(
                        files[f],
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    for (long pos = 0; pos < o.fileSize; ) {
                        int n = (int) Math.min(chunk.length, o.fileSize - pos);
                        Pattern.fill(chunk, 0, n, stream, pos);
                        ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                        while (b.hasRemaining()) {
                            pos += ch.write(b, pos);
                        }
                    }
                }
            }

            if (o.directIo) {
                checkDirectIo(files[0]);
            }

            int sources = o.sourceFiles;
            sourceChannels = new FileChannel[sources];
            MappedByteBuffer[] buffers = new MappedByteBuffer[sources];
            MemorySegment[] segments = new MemorySegment[sources];
            byte[][] content = new byte[sources][];
            arena = Arena.ofShared();
            for (int s = 0; s < sources; s++) {
                Path path = dir.resolve(String.format(Locale.ROOT, "source-%02d.dat", s));
                created.add(path);
                content[s] = new byte[(int) o.sourceSize];
                Pattern.fill(content[s], 0, content[s].length, Pattern.sourceStream(s), 0);
                FileChannel ch = FileChannel.open(
                        path,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                sourceChannels[s] = ch;
                ByteBuffer b = ByteBuffer.wrap(content[s]);
                for (long pos = 0; b.hasRemaining(); ) {
                    pos += ch.write(b, pos);
                }
                buffers[s] = ch.map(FileChannel.MapMode.READ_ONLY, 0, o.sourceSize);
                segments[s] = ch.map(FileChannel.MapMode.READ_ONLY, 0, o.sourceSize, arena);
            }

            byte[][] heap = new byte[Workload.HEAP_ARRAY_STREAMS][];
            for (int h = 0; h < heap.length; h++) {
                heap[h] = new byte[HEAP_ARRAY_BYTES];
                Pattern.fill(heap[h], 0, heap[h].length, Pattern.heapStream(h), 0);
            }
            byte[] directContent = new byte[HEAP_ARRAY_BYTES];
            Pattern.fill(directContent, 0, directContent.length, Pattern.heapStream(Workload.DIRECT_STREAM), 0);
            ByteBuffer direct = ByteBuffer.allocateDirect(HEAP_ARRAY_BYTES)
                    .put(directContent)
                    .clear();

            cache = OffHeapPageCache.builder()
                    .pageSize(o.pageSize)
                    .capacity(o.cacheSize)
                    .storeFactory(stores)
                    .build();
            w = new Workload(
                    o, cache, files, sourceChannels, buffers, segments, content, heap, direct.asReadOnlyBuffer());
        }

        /**
         * The run, phase by phase: start the workers, stop them at the deadline, verify every page through the
         * cache, close it (every dirty page must reach the files), verify every page from the files on disk. A
         * phase that fails in a way that leaves the cache unusable (a hang, files that cannot be opened) ends the
         * run; the failure is in {@code report.failures}.
         */
        private void runWorkload(Report report) {
            report.failures = w.failures;
            SplittableRandom seeds = new SplittableRandom(o.seed);
            List<Worker> workers = createWorkers(seeds);
            long truncatorSeed = seeds.nextLong();
            TruncatorTask truncator = o.truncate && o.mappedSources() ? new TruncatorTask(w, truncatorSeed) : null;
            if (o.truncate && !o.mappedSources()) {
                warnings.add("--truncate on has no effect: no mapped source kind is enabled");
            }
            // Handles of the main thread, kept open through the run so that the final pass sees the cache as
            // the workers left it.
            PagedFile[] handles = openHandles();
            if (handles == null) {
                return;
            }
            if (!runAndStop(report, workers, truncator)) {
                return; // a hang: the cache may be deadlocked, leave it alone
            }
            ThreadStats finalStats = new ThreadStats();
            Checker checker = new Checker(w.failures, finalStats);
            if (!verifyThroughCache(handles, checker)) {
                return;
            }
            report.finalCacheBytes = finalStats.verifiedBytes;
            try {
                report.cacheStats = cache.stats();
            } catch (RuntimeException e) {
                w.failures.error("stats() failed", e);
            }
            if (!closeAll(handles)) {
                return;
            }
            long diskBefore = finalStats.verifiedBytes;
            verifyOnDisk(checker);
            report.finalDiskBytes = finalStats.verifiedBytes - diskBefore;
            checkSourceFaultCount(report);
        }

        private List<Worker> createWorkers(SplittableRandom seeds) {
            List<Worker> workers = new ArrayList<>();
            for (int i = 0; i < o.writers; i++) {
                workers.add(new WriterTask(w, i, seeds.nextLong()));
            }
            for (int i = 0; i < o.readers; i++) {
                workers.add(new ReaderTask(w, i, seeds.nextLong()));
            }
            return workers;
        }

        /** Fails the set-up (exit status 3) if the file system or the page size does not allow direct I/O. */
        private void checkDirectIo(Path file) throws IOException {
            long block = DirectStore.blockSize(file);
            if (o.pageSize % block != 0) {
                throw new IOException("--direct-io: the page size " + o.pageSize + " is not a multiple of the block"
                        + " size " + block + " of the file system of " + file);
            }
            try (FileChannel probe = FileChannel.open(file, StandardOpenOption.READ, DirectIo.option())) {
                probe.size();
            } catch (IOException e) {
                throw new IOException(
                        "--direct-io: the file system of " + file + " refuses direct I/O (O_DIRECT): " + e, e);
            }
        }

        /** @return a read-write handle of every file, or null (recorded as a failure, the cache closed) */
        private PagedFile[] openHandles() {
            PagedFile[] handles = new PagedFile[o.files];
            try {
                for (int f = 0; f < o.files; f++) {
                    handles[f] = cache.open(w.files[f], o.cachedFileOptions());
                }
                return handles;
            } catch (IOException | RuntimeException e) {
                w.failures.error("could not open the cached files", e);
                closeCacheQuietly();
                return null;
            }
        }

        /**
         * Runs the workers and the truncator until the deadline (printing progress), stops them, and adds the
         * counts of those that stopped to the report.
         *
         * @return false if a thread did not stop in time (recorded as a hang with a thread dump)
         */
        private boolean runAndStop(Report report, List<Worker> workers, TruncatorTask truncator) {
            PageCacheStats before = cache.stats();
            List<Thread> threads = new ArrayList<>();
            for (Worker worker : workers) {
                threads.add(daemon(worker, "stress-" + worker.name));
            }
            if (truncator != null) {
                threads.add(daemon(truncator, "stress-truncator"));
            }
            long start = System.nanoTime();
            long deadline = start + o.duration.toNanos();
            threads.forEach(Thread::start);
            progress(start, deadline, before);
            w.stop = true;
            long ended = System.nanoTime();
            report.elapsedNanos = ended - start;
            report.stoppedEarly = ended - deadline < 0;

            long stopTimeout = stopTimeoutSeconds;
            long stopDeadline = ended + TimeUnit.SECONDS.toNanos(stopTimeout);
            for (Thread t : threads) {
                joinUntil(t, stopDeadline);
            }
            List<String> alive = threads.stream()
                    .filter(Thread::isAlive)
                    .map(Thread::getName)
                    .toList();
            for (Worker worker : workers) {
                if (!alive.contains("stress-" + worker.name)) {
                    worker.stats.addTo(report.total);
                }
            }
            if (truncator != null && !alive.contains("stress-truncator")) {
                truncator.stats.addTo(report.total);
            }
            report.liveVerifiedBytes = report.total.verifiedBytes;
            report.skippedBytes = report.total.skippedBytes;
            report.shortWrites = w.shortWrites.sum();
            report.faultExceptions = w.faultExceptions.sum();
            report.truncations = w.truncations.sum();
            if (!alive.isEmpty()) {
                w.failures.hang(
                        "threads " + alive + " did not stop within " + stopTimeout + " s after the run ended",
                        ThreadDump.all());
                return false;
            }
            return true;
        }

        private static Thread daemon(Runnable task, String name) {
            Thread t = new Thread(task, name);
            t.setDaemon(true);
            return t;
        }

        /** Final pass through the cache, with the workers' pages as they left them. */
        private boolean verifyThroughCache(PagedFile[] handles, Checker checker) {
            out.println("final verification through the cache ...");
            out.flush();
            return bounded("the final pass through the cache", () -> {
                byte[] buf = new byte[w.pageSize];
                for (int f = 0; f < o.files; f++) {
                    FileModel model = w.models[f];
                    long size = handles[f].size();
                    if (size != o.fileSize) {
                        w.failures.error(
                                w.fileNames[f] + " has size " + size + " through the cache, expected " + o.fileSize,
                                null);
                    }
                    for (int page = 0; page < w.pagesPerFile; page++) {
                        ByteBuffer dst = ByteBuffer.wrap(buf);
                        int n = handles[f].read((long) page * w.pageSize, dst);
                        if (n != w.pageSize) {
                            w.failures.error(
                                    "final read of page " + page + " of " + w.fileNames[f] + " returned " + n, null);
                            continue;
                        }
                        checker.checkPage(
                                "final pass through the cache",
                                model,
                                w.fileNames[f],
                                page,
                                0,
                                w.pageSize,
                                model.runs(page),
                                buf,
                                0);
                    }
                }
            });
        }

        /** Closes every handle and the cache: every dirty page must reach the files. */
        private boolean closeAll(PagedFile[] handles) {
            return bounded("closing the cache", () -> {
                for (PagedFile h : handles) {
                    try {
                        h.close();
                    } catch (IOException | RuntimeException e) {
                        w.failures.error("closing a cached file failed", e);
                    }
                }
                try {
                    cache.close();
                } catch (IOException | RuntimeException e) {
                    w.failures.error("closing the cache failed", e);
                }
            });
        }

        /** Final pass straight from the files. */
        private void verifyOnDisk(Checker checker) {
            out.println("final verification from the files on disk ...");
            out.flush();
            byte[] buf = new byte[(int) Math.min(IO_CHUNK, o.fileSize)];
            for (int f = 0; f < o.files; f++) {
                try (FileChannel ch = FileChannel.open(w.files[f], StandardOpenOption.READ)) {
                    verifyFileOnDisk(checker, f, ch, buf);
                } catch (IOException e) {
                    w.failures.error("reading " + w.fileNames[f] + " from disk failed", e);
                }
            }
        }

        private void verifyFileOnDisk(Checker checker, int f, FileChannel ch, byte[] buf) throws IOException {
            FileModel model = w.models[f];
            if (ch.size() != o.fileSize) {
                w.failures.error(w.fileNames[f] + " has size " + ch.size() + " on disk, expected " + o.fileSize, null);
            }
            for (long pos = 0; pos < o.fileSize; ) {
                int n = (int) Math.min(buf.length, o.fileSize - pos);
                ByteBuffer dst = ByteBuffer.wrap(buf, 0, n);
                while (dst.hasRemaining()) {
                    if (ch.read(dst, pos + dst.position()) < 0) {
                        break;
                    }
                }
                int got = dst.position();
                for (int off = 0; off + w.pageSize <= got; off += w.pageSize) {
                    int page = (int) ((pos + off) / w.pageSize);
                    checker.checkPage(
                            "final pass from disk",
                            model,
                            w.fileNames[f],
                            page,
                            0,
                            w.pageSize,
                            model.runs(page),
                            buf,
                            off);
                }
                if (got < n) {
                    return; // the size error is reported above
                }
                pos += n;
            }
        }

        private void checkSourceFaultCount(Report report) {
            if (report.cacheStats != null
                    && report.cacheStats.sourceFaults() < report.shortWrites + report.faultExceptions) {
                warnings.add("stats().sourceFaults() is " + report.cacheStats.sourceFaults() + " but writers saw "
                        + (report.shortWrites + report.faultExceptions) + " writes report a source fault");
            }
        }

        /** Prints the progress line until the deadline, or until a failure is recorded. */
        private void progress(long start, long deadline, PageCacheStats initial) {
            long tick = TimeUnit.MILLISECONDS.toNanos(terminal ? TERMINAL_TICK_MILLIS : LOG_TICK_MILLIS);
            long lastTime = start;
            long lastOps = 0;
            PageCacheStats last = initial;
            int width = 0;
            long next = start + tick;
            while (true) {
                long now = System.nanoTime();
                if (now - deadline >= 0) {
                    break;
                }
                if (w.failures.any()) {
                    if (terminal && width > 0) {
                        out.println();
                        width = 0;
                    }
                    out.println("a failure was detected: stopping early");
                    break;
                }
                if (now - next >= 0) {
                    next += tick;
                    long ops = w.cacheOps.sum();
                    PageCacheStats s;
                    try {
                        s = cache.stats();
                    } catch (RuntimeException e) {
                        w.failures.error("stats() failed", e);
                        continue;
                    }
                    long hits = s.hits() - last.hits();
                    long faults = s.faults() - last.faults();
                    String line = String.format(
                            Locale.ROOT,
                            "%6.1fs / %.0fs  remaining %5.1fs | %,9.0f ops/s | hit %5.1f%% | page-ins %,d"
                                    + " | evictions %,d | writebacks %,d | source faults %,d",
                            (now - start) / 1e9,
                            (deadline - start) / 1e9,
                            Math.max(0, deadline - now) / 1e9,
                            (ops - lastOps) / ((now - lastTime) / 1e9),
                            hits + faults == 0 ? 0.0 : 100.0 * hits / (hits + faults),
                            s.faults(),
                            s.evictions(),
                            s.writebacks(),
                            s.sourceFaults());
                    if (terminal) {
                        out.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
                        width = line.length();
                    } else {
                        out.println(line);
                    }
                    out.flush();
                    lastOps = ops;
                    lastTime = now;
                    last = s;
                }
                long sleep = Math.min(next, deadline) - System.nanoTime();
                if (sleep > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(
                            Math.min(sleep, TimeUnit.MILLISECONDS.toNanos(100)));
                }
            }
            if (terminal && width > 0) {
                out.println();
            }
        }

        /** Runs {@code task} on its own thread, bounded; on timeout records a hang with a thread dump. */
        private boolean bounded(String what, IoTask task) {
            AtomicReference<Throwable> error = new AtomicReference<>();
            Thread t = new Thread(
                    () -> {
                        try {
                            task.run();
                        } catch (Throwable e) {
                            error.set(e);
                        }
                    },
                    "stress-final");
            t.setDaemon(true);
            t.start();
            long limit = phaseLimitSeconds();
            joinUntil(t, System.nanoTime() + TimeUnit.SECONDS.toNanos(limit));
            if (t.isAlive()) {
                w.failures.hang(what + " did not finish within " + limit + " s", ThreadDump.all());
                return false;
            }
            if (error.get() != null) {
                w.failures.error(what + " failed", error.get());
            }
            return true;
        }

        private long phaseLimitSeconds() {
            long bytes = o.fileSize * o.files;
            return Math.max(PHASE_TIMEOUT_SECONDS, bytes / (4L << 20));
        }

        private void releaseSources() {
            for (FileChannel ch : sourceChannels) {
                try {
                    if (ch != null) {
                        ch.close();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (arena != null && (w == null || !w.failures.hung())) {
                arena.close();
            }
        }

        private void closeCacheQuietly() {
            if (cache != null) {
                try {
                    cache.close();
                } catch (IOException | RuntimeException e) {
                    err.println("stress: closing the cache failed: " + e);
                }
            }
        }

        private void deleteFiles() {
            for (Path p : created) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    warnings.add("could not delete " + p + ": " + e);
                }
            }
            if (createdDir && dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    warnings.add("could not delete " + dir + ": " + e);
                }
            }
        }
    }

    @FunctionalInterface
    private interface IoTask {
        void run() throws IOException;
    }

    private static void joinUntil(Thread t, long deadlineNanos) {
        while (t.isAlive()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
