package org.pagecache.jmh;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
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
import org.pagecache.api.PagedFile;
import org.pagecache.api.PagedReader;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * One 8-byte read at a random position of a resident {@code fileMiB} file (what Lucene's {@code RandomAccessInput}
 * does constantly), through:
 * <ul>
 *   <li>{@code readerRandomPage}: {@link PagedReader#readLong} at a random page each time (the reader finds the
 *       page in the translation table, then reads it optimistically);</li>
 *   <li>{@code readerSamePage}: {@link PagedReader#readLong} at random positions of the page it read last (the
 *       remembered frame: two state loads and the copy);</li>
 *   <li>{@code pagedFileRead}: {@link PagedFile#read} of 8 bytes into a heap buffer;</li>
 *   <li>{@code mmapRandomPage} and {@code mmapSamePage}: the same reads from a memory-mapped segment of the file
 *       (the peer, {@code MMapDirectory}'s way).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SmallReadBenchmark {
    private static final int PAGE = 4096;
    private static final ValueLayout.OfLong LE_LONG =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The file, all resident in the cache and in the OS page cache. */
    @Param({"16"})
    public int fileMiB;

    private Path dir;
    private PageCache cache;
    private PagedFile file;
    private PagedReader reader;
    private Arena arena;
    private MemorySegment mapped;
    private long size;
    private long samePage;
    private final ByteBuffer buffer = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("pagecache-small-read-bench");
        size = (long) fileMiB << 20;
        cache = OffHeapPageCache.builder().pageSize(PAGE).capacity(2 * size).build();
        Path path = dir.resolve("data");
        file = cache.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        byte[] page = new byte[PAGE];
        for (long p = 0; p < size / PAGE; p++) {
            random.nextBytes(page);
            file.write(p * PAGE, WriteSource.of(page));
        }
        file.flush();
        reader = file.reader();
        arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
        mapped.load();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (cache.stats().faults() != 0) {
            throw new IllegalStateException("page-ins during a hit benchmark: " + cache.stats());
        }
        arena.close();
        file.close();
        cache.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private long randomPosition() {
        return random.nextLong(size / Long.BYTES) * Long.BYTES; // aligned: never across two pages
    }

    private long samePagePosition() {
        return samePage + random.nextInt(PAGE / Long.BYTES) * Long.BYTES;
    }

    @Setup(Level.Iteration)
    public void pickPage() {
        samePage = random.nextLong(size / PAGE) * PAGE;
    }

    @Benchmark
    public long readerRandomPage() throws IOException {
        return reader.readLong(randomPosition());
    }

    @Benchmark
    public long readerSamePage() throws IOException {
        return reader.readLong(samePagePosition());
    }

    @Benchmark
    public long pagedFileRead() throws IOException {
        buffer.clear();
        file.read(randomPosition(), buffer);
        return buffer.getLong(0);
    }

    @Benchmark
    public long mmapRandomPage() {
        return mapped.get(LE_LONG, randomPosition());
    }

    @Benchmark
    public long mmapSamePage() {
        return mapped.get(LE_LONG, samePagePosition());
    }
}
