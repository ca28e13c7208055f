package org.pagecache.jmh;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageGuard;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * Zero-copy page access against the copying read, on resident pages: {@code recordBytes} at a random offset of
 * a random page of a {@code workingSetMiB} file held in the cache.
 * <ul>
 *   <li>{@code copyingRead}: {@link PagedFile#read} into a reused heap buffer (an optimistic read and a copy);</li>
 *   <li>{@code guardPerRecord}: {@link PagedFile#pinForRead} the page, read the record in place with
 *       {@code readStamp}/{@code validate}, close the guard: pin and unpin per record;</li>
 *   <li>{@code guardHeldPerPage}: one guard per page, {@code recordsPerPin} records read in place under it, the
 *       way an engine scans a node (reported per record).</li>
 * </ul>
 * Each benchmark sums the longs of the record so the reads cannot be eliminated.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GuardReadBenchmark {
    private static final int PAGE = 4096;
    private static final int RECORDS_PER_PIN = 16;

    /** Bytes per record. */
    @Param({"64"})
    public int recordBytes;

    /** The file, all resident. */
    @Param({"16"})
    public int workingSetMiB;

    private Path dir;
    private PageCache cache;
    private PagedFile file;
    private int pages;
    private ByteBuffer buffer;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("pagecache-guard-bench");
        pages = (workingSetMiB << 20) / PAGE;
        cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(2L * workingSetMiB << 20)
                .build();
        file = cache.open(dir.resolve("data"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        byte[] page = new byte[PAGE];
        for (int p = 0; p < pages; p++) {
            ThreadLocalRandom.current().nextBytes(page);
            file.write((long) p * PAGE, WriteSource.of(page));
        }
        buffer = ByteBuffer.allocate(recordBytes).order(java.nio.ByteOrder.nativeOrder());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (cache.stats().faults() != 0) {
            throw new IllegalStateException("page-ins during a hit benchmark: " + cache.stats());
        }
        cache.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private int offset(ThreadLocalRandom r) {
        return r.nextInt(PAGE / recordBytes) * recordBytes;
    }

    @Benchmark
    public long copyingRead() throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        buffer.clear();
        file.read((long) r.nextInt(pages) * PAGE + offset(r), buffer);
        long sum = 0;
        for (int i = 0; i < recordBytes; i += Long.BYTES) {
            sum += buffer.getLong(i);
        }
        return sum;
    }

    @Benchmark
    public long guardPerRecord() throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        try (PageGuard g = file.pinForRead(r.nextInt(pages))) {
            return readRecord(g, offset(r));
        }
    }

    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(RECORDS_PER_PIN)
    public long guardHeldPerPage() throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long sum = 0;
        try (PageGuard g = file.pinForRead(r.nextInt(pages))) {
            for (int i = 0; i < RECORDS_PER_PIN; i++) {
                sum += readRecord(g, offset(r));
            }
        }
        return sum;
    }

    private long readRecord(PageGuard g, int offset) {
        MemorySegment m = g.memory();
        long sum;
        long stamp;
        do {
            stamp = g.readStamp();
            sum = 0;
            for (int i = 0; i < recordBytes; i += Long.BYTES) {
                sum += m.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + i);
            }
        } while (!g.validate(stamp));
        return sum;
    }
}
