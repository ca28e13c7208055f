package org.pagecache.jmh.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;
import org.pagecache.offheap.store.DirectIo;

/**
 * The disk harness: the cache's miss and write-back paths against the device, cold, with the peers of the same
 * run. Every cold trial first drops the file from the OS cache ({@code dd if=F iflag=nocache count=0}, which is
 * {@code posix_fadvise(DONTNEED)}) and prints what {@code fincore} then reports resident.
 *
 * <pre>
 *   java -cp pagecache-jmh/target/benchmarks.jar org.pagecache.jmh.disk.DiskBench [seconds per trial] [file MiB] [cases]
 * </pre>
 *
 * {@code cases} is a comma-separated subset of {@code random,prefetch,sequential,write,p99} (default: all).
 *
 * Cases (4 KiB pages throughout; the cache holds 64 MiB, far less than the file):
 * <ul>
 *   <li>cold random reads with 1 and 4 threads: the cache with direct I/O against bare {@code pread}s of the same
 *       positions through a {@code FileChannel} opened with {@code DIRECT} into aligned buffers;</li>
 *   <li>one thread reading batches of 32 random pages, each batch first {@code prefetch}ed page by page and then
 *       read, against the same reads without prefetch (cold, direct);</li>
 *   <li>cold sequential 4 KiB reads: the cache (direct) against the device's sequential bandwidth (128 KiB direct
 *       reads) and against buffered {@code FileChannel} 4 KiB reads with the kernel's read-ahead;</li>
 *   <li>streaming 4 KiB writes over a file 4 times the cache, then {@code sync()}: the cache (direct) against
 *       128 KiB direct writes and a {@code force};</li>
 *   <li>the p99 latency of one thread's cold random reads with and without another thread streaming writes into
 *       a second file through the same cache.</li>
 * </ul>
 */
public final class DiskBench {
    private static final int PAGE = 4096;
    private static final int BIG = 128 << 10;
    private static final long CACHE_BYTES = 64L << 20;

    private final Path dir;
    private final Path data;
    private final long fileBytes;
    private final long nanos;
    private static final int BATCH = 32;

    private final List<String[]> rows = new ArrayList<>();
    private final Set<String> cases;

    private DiskBench(Path dir, long fileBytes, int seconds, Set<String> cases) {
        this.cases = cases;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.fileBytes = fileBytes;
        this.nanos = TimeUnit.SECONDS.toNanos(seconds);
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        long mib = args.length > 1 ? Long.parseLong(args[1]) : 2048;
        Set<String> all = Set.of("random", "prefetch", "sequential", "write", "p99");
        Set<String> cases = args.length > 2 ? Set.of(args[2].split(",")) : all;
        if (!all.containsAll(cases)) {
            throw new IllegalArgumentException("cases " + cases + ": each one of " + all);
        }
        String env = System.getenv("PAGECACHE_BENCH_DIR");
        Path base = Path.of(env != null && !env.isEmpty() ? env : System.getProperty("java.io.tmpdir"));
        Path dir = Files.createTempDirectory(base, "pagecache-disk-");
        try {
            new DiskBench(dir, mib << 20, seconds, cases).run();
        } finally {
            try (var paths = Files.list(dir)) {
                for (Path p : paths.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private void run() throws Exception {
        System.out.printf(
                Locale.ROOT,
                "file %d MiB in %s, cache %d MiB, %d s per trial%n",
                fileBytes >> 20,
                dir,
                CACHE_BYTES >> 20,
                nanos / 1_000_000_000L);
        fill(data, fileBytes);
        warmUp();
        if (cases.contains("random")) {
            for (int threads : new int[] {1, 4}) {
                double bare = randomBare(threads);
                double cache = randomCache(threads);
                row(
                        "cold random 4 KiB reads, " + threads + " thread(s), direct",
                        cache,
                        "bare DIRECT pread",
                        bare,
                        0.9);
            }
        }
        if (cases.contains("prefetch")) {
            double plain = batches(false);
            double prefetched = batches(true);
            row(
                    "batches of " + BATCH + " random 4 KiB reads, prefetched, 1 thread",
                    prefetched,
                    "the same reads without prefetch",
                    plain,
                    3.0);
        }
        if (cases.contains("sequential")) {
            double device = sequentialDevice();
            double buffered = sequentialBuffered();
            double seqCache = sequentialCache();
            row("cold sequential 4 KiB reads, direct (MB/s)", seqCache, "128 KiB direct reads (device)", device, 0.9);
            row(
                    "cold sequential 4 KiB reads, direct (MB/s)",
                    seqCache,
                    "FileChannel 4 KiB, kernel read-ahead",
                    buffered,
                    1.0);
        }
        if (cases.contains("write")) {
            Path out = dir.resolve("stream");
            long streamBytes = 4 * CACHE_BYTES;
            // one untimed stream first: the write path's first 65,536 writes in a JVM run mostly before the JIT
            // has compiled it (the read trials warm up the read path only)
            System.out.printf(Locale.ROOT, "  warm-up stream: %.0f MB/s%n", streamCache(out, streamBytes));
            double deviceWrite = streamDevice(out, streamBytes);
            double cacheWrite = streamCache(out, streamBytes);
            row(
                    "streaming 4 KiB writes of 4x the cache + sync (MB/s)",
                    cacheWrite,
                    "128 KiB direct writes + force",
                    deviceWrite,
                    0.8);
        }
        if (cases.contains("p99")) {
            long quiet = readerP99(false);
            long loud = readerP99(true);
            rows.add(new String[] {
                "reader p99 with a streaming writer (us)",
                us(loud),
                "the same without writer",
                us(quiet),
                String.format(Locale.ROOT, "%.1fx", (double) loud / quiet),
                "<= 20x",
                loud <= 20 * quiet ? "met" : "missed"
            });
        }
        System.out.println();
        System.out.println("| case | pagecache | peer | peer result | ratio | target | |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (String[] r : rows) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
    }

    /**
     * The first page-in of a JVM registers the cache's JFR events, which takes most of a second here: done once
     * before any trial, so no trial times it.
     */
    private void warmUp() throws IOException {
        try (PageCache cache = cache();
                PagedFile f = cache.open(data, StandardOpenOption.READ, DirectIo.option())) {
            ByteBuffer buffer = ByteBuffer.allocate(PAGE);
            for (int i = 0; i < 1000; i++) {
                buffer.clear();
                f.read((long) i * PAGE, buffer);
            }
        }
    }

    private static String us(long nanos) {
        return String.format(Locale.ROOT, "%.0f", nanos / 1000.0);
    }

    private void row(String name, double ours, String peer, double theirs, double target) {
        double ratio = ours / theirs;
        rows.add(new String[] {
            name,
            fmt(ours),
            peer,
            fmt(theirs),
            String.format(Locale.ROOT, "%.2fx", ratio),
            ">= " + target + "x",
            ratio >= target ? "met" : "missed"
        });
        System.out.printf(Locale.ROOT, "%-55s %12s   %-38s %12s   %.2fx%n", name, fmt(ours), peer, fmt(theirs), ratio);
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static void fill(Path file, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        SplittableRandom random = new SplittableRandom(42);
        while (chunk.hasRemaining()) {
            chunk.put((byte) random.nextInt());
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < bytes; pos += chunk.capacity()) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    ch.write(chunk, pos + chunk.position());
                }
            }
            ch.force(true);
        }
    }

    /** Drops {@code file} from the OS cache and reports what stays resident. */
    private static void dropFromOsCache(Path file) throws IOException, InterruptedException {
        Process dd = new ProcessBuilder("dd", "if=" + file, "iflag=nocache", "count=0")
                .redirectErrorStream(true)
                .start();
        dd.getInputStream().readAllBytes();
        dd.waitFor();
        String resident = "fincore not available";
        try {
            Process fincore = new ProcessBuilder(
                            "fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                    .redirectErrorStream(true)
                    .start();
            resident = new String(fincore.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim() + " bytes";
            fincore.waitFor();
        } catch (IOException e) {
            // fincore is util-linux; without it the drop is still done
        }
        System.out.printf(Locale.ROOT, "  (dropped %s from the OS cache: %s resident)%n", file.getFileName(), resident);
    }

    private long[] positions(long seed, int n, long bytes) {
        SplittableRandom random = new SplittableRandom(seed);
        long pages = bytes / PAGE;
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = random.nextLong(pages) * PAGE;
        }
        return p;
    }

    private interface Reader {
        void read(int thread, long position, ByteBuffer buffer) throws IOException;
    }

    /** Runs {@code threads} threads over their own random positions for the trial's time; returns reads/s. */
    private double timedRandom(int threads, Reader reader) throws Exception {
        dropFromOsCache(data);
        LongAdder ops = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] ts = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                long[] pos = positions(1000 + id, 1 << 20, fileBytes);
                ByteBuffer buffer = ByteBuffer.allocateDirect(2 * PAGE).alignedSlice(PAGE);
                buffer.limit(PAGE);
                try {
                    for (int i = 0; !stop.get(); i++) {
                        buffer.clear();
                        buffer.limit(PAGE);
                        reader.read(id, pos[i & (pos.length - 1)], buffer);
                        ops.increment();
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
        }
        long start = System.nanoTime();
        for (Thread t : ts) {
            t.start();
        }
        Thread.sleep(nanos / 1_000_000);
        stop.set(true);
        for (Thread t : ts) {
            t.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("reader failed", failure[0]);
        }
        return ops.sum() * 1e9 / (System.nanoTime() - start);
    }

    private double randomBare(int threads) throws Exception {
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ, DirectIo.option())) {
            return timedRandom(threads, (t, pos, buf) -> {
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                    // loop on short reads
                }
            });
        }
    }

    private static PageCache cache() {
        return OffHeapPageCache.builder().pageSize(PAGE).capacity(CACHE_BYTES).build();
    }

    private double randomCache(int threads) throws Exception {
        try (PageCache cache = cache();
                PagedFile f = cache.open(data, StandardOpenOption.READ, DirectIo.option())) {
            double r = timedRandom(threads, (t, pos, buf) -> f.read(pos, buf));
            System.out.println("  " + cache.stats());
            return r;
        }
    }

    /**
     * One thread reading batches of {@link #BATCH} random pages through the cache (direct I/O, cold): with
     * {@code prefetch}, every page of a batch is prefetched before the batch is read, so the batch's reads are in
     * flight at once; without, each read waits for its own. The positions are the same in both trials.
     *
     * @return reads/s
     */
    private double batches(boolean prefetch) throws Exception {
        dropFromOsCache(data);
        long[] pos = positions(2024, 1 << 20, fileBytes);
        ByteBuffer buffer = ByteBuffer.allocate(PAGE);
        long reads = 0;
        try (PageCache cache = cache();
                PagedFile f = cache.open(data, StandardOpenOption.READ, DirectIo.option())) {
            long start = System.nanoTime();
            for (int i = 0; i + BATCH <= pos.length && System.nanoTime() - start < nanos; i += BATCH) {
                if (prefetch) {
                    for (int j = i; j < i + BATCH; j++) {
                        f.prefetch(pos[j], PAGE);
                    }
                }
                for (int j = i; j < i + BATCH; j++) {
                    buffer.clear();
                    f.read(pos[j], buffer);
                }
                reads += BATCH;
            }
            double r = reads * 1e9 / (System.nanoTime() - start);
            System.out.printf(
                    Locale.ROOT, "  %s prefetch: %,.0f reads/s; %s%n", prefetch ? "with" : "without", r, cache.stats());
            return r;
        }
    }

    private double sequential(int block, OpenOption... options) throws Exception {
        dropFromOsCache(data);
        ByteBuffer buffer = ByteBuffer.allocateDirect(block + PAGE).alignedSlice(PAGE);
        buffer.limit(block);
        long read = 0;
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(data, options)) {
            for (long pos = 0; pos < fileBytes && System.nanoTime() - start < nanos; pos += block) {
                buffer.clear();
                buffer.limit(block);
                while (buffer.hasRemaining() && ch.read(buffer, pos + buffer.position()) > 0) {
                    // loop on short reads
                }
                read += block;
            }
        }
        return read / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    private double sequentialDevice() throws Exception {
        return sequential(BIG, StandardOpenOption.READ, DirectIo.option());
    }

    private double sequentialBuffered() throws Exception {
        return sequential(PAGE, StandardOpenOption.READ);
    }

    private double sequentialCache() throws Exception {
        dropFromOsCache(data);
        ByteBuffer buffer = ByteBuffer.allocate(PAGE);
        long read = 0;
        long start = System.nanoTime();
        try (PageCache cache = cache();
                PagedFile f = cache.open(data, StandardOpenOption.READ, DirectIo.option())) {
            for (long pos = 0; pos < fileBytes && System.nanoTime() - start < nanos; pos += PAGE) {
                buffer.clear();
                f.read(pos, buffer);
                read += PAGE;
            }
            System.out.println("  " + cache.stats());
        }
        return read / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    private double streamDevice(Path out, long bytes) throws IOException {
        Files.deleteIfExists(out);
        ByteBuffer buffer = ByteBuffer.allocateDirect(BIG + PAGE).alignedSlice(PAGE);
        buffer.limit(BIG);
        long start = System.nanoTime();
        try (FileChannel ch =
                FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE, DirectIo.option())) {
            for (long pos = 0; pos < bytes; pos += BIG) {
                buffer.clear();
                buffer.limit(BIG);
                while (buffer.hasRemaining()) {
                    ch.write(buffer, pos + buffer.position());
                }
            }
            ch.force(true);
        }
        return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    private double streamCache(Path out, long bytes) throws IOException {
        Files.deleteIfExists(out);
        byte[] page = new byte[PAGE];
        Arrays.fill(page, (byte) 7);
        WriteSource src = WriteSource.of(page);
        long start;
        long synced;
        // timed from the open of the file (as the peer is) to the end of the sync: building and closing the
        // cache (allocating its 64 MiB of frames, joining its threads) is not part of the stream
        try (PageCache cache = cache();
                PagedFile f = open(cache, out)) {
            start = System.nanoTime() - openNanos;
            for (long pos = 0; pos < bytes; pos += PAGE) {
                f.write(pos, src);
            }
            long written = System.nanoTime();
            f.sync();
            synced = System.nanoTime();
            OffHeapPageCache c = (OffHeapPageCache) cache;
            System.out.printf(
                    Locale.ROOT,
                    "  writes %.0f ms, sync %.0f ms; %d writes waited %.0f ms for write-back;"
                            + " %d pages written back in the background%n",
                    (written - start) / 1e6,
                    (synced - written) / 1e6,
                    c.throttledWrites(),
                    c.throttleWaitNanos() / 1e6,
                    c.backgroundWritebacks());
            System.out.println("  " + cache.stats());
        }
        return bytes / 1e6 / ((synced - start) / 1e9);
    }

    private long openNanos;

    /** Opens {@code out} for direct writes through {@code cache}, setting {@link #openNanos} to what that took. */
    private PagedFile open(PageCache cache, Path out) throws IOException {
        long t0 = System.nanoTime();
        PagedFile f = cache.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE, DirectIo.option());
        openNanos = System.nanoTime() - t0;
        return f;
    }

    /** @return the p99 latency, in ns, of one thread's cold random cached reads, with or without a writer */
    private long readerP99(boolean withWriter) throws Exception {
        dropFromOsCache(data);
        Path out = dir.resolve("writer");
        Files.deleteIfExists(out);
        try (PageCache cache = cache();
                PagedFile f = cache.open(data, StandardOpenOption.READ, DirectIo.option());
                PagedFile w = cache.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE, DirectIo.option())) {
            AtomicBoolean stop = new AtomicBoolean();
            Throwable[] failure = new Throwable[1];
            Thread writer = new Thread(() -> {
                byte[] page = new byte[PAGE];
                WriteSource src = WriteSource.of(page);
                long limit = 4 * CACHE_BYTES;
                try {
                    for (long pos = 0; !stop.get(); pos = (pos + PAGE) % limit) {
                        w.write(pos, src);
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            if (withWriter) {
                writer.start();
                Thread.sleep(500);
            }
            long[] pos = positions(77, 1 << 20, fileBytes);
            long[] lat = new long[1 << 20];
            int n = 0;
            ByteBuffer buffer = ByteBuffer.allocate(PAGE);
            long start = System.nanoTime();
            while (n < lat.length && System.nanoTime() - start < nanos) {
                buffer.clear();
                long t0 = System.nanoTime();
                f.read(pos[n], buffer);
                lat[n++] = System.nanoTime() - t0;
            }
            stop.set(true);
            if (withWriter) {
                writer.join();
            }
            if (failure[0] != null) {
                throw new IllegalStateException("writer failed", failure[0]);
            }
            long[] done = Arrays.copyOf(lat, n);
            Arrays.sort(done);
            long p99 = done[(int) Math.min(n - 1, Math.ceil(n * 0.99) - 1)];
            System.out.printf(
                    Locale.ROOT,
                    "  reader %s writer: %d reads, p50 %d us, p99 %d us; %s%n",
                    withWriter ? "with" : "without",
                    n,
                    done[n / 2] / 1000,
                    p99 / 1000,
                    cache.stats());
            return p99;
        }
    }
}
