package org.pagecache.jmh;

import static org.pagecache.jmh.BenchSupport.PAGE;
import static org.pagecache.jmh.BenchSupport.POSITION_MASK;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;

/**
 * Hit reads: {@code readSize} bytes at random positions of resident pages, each read inside one page, through
 * every peer, from the same {@code workingSetMiB} of data:
 * <ul>
 *   <li>{@code cacheHeap}, {@code cacheDirect}: {@link PagedFile#read} into a reused heap or direct buffer;</li>
 *   <li>{@code rawCopyHeap}, {@code rawCopyDirect}: {@link MemorySegment#copy} of the same bytes from an
 *       off-heap pool of the same size, the physical limit of any cache;</li>
 *   <li>{@code channelDirect}: {@link FileChannel#read(ByteBuffer, long)} of a file held in the OS page cache,
 *       into a direct buffer (its best case: a heap buffer costs it one more copy);</li>
 *   <li>{@code mappedDirect}: a copy from the file mapped with {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)};</li>
 *   <li>{@code caffeineHeap}: an on-heap Caffeine cache of {@code byte[]} pages, copied into a heap buffer
 *       (keys are boxed once in set-up, its best case);</li>
 *   <li>{@code rawCopyCountedDirect}: the raw copy followed by one {@link LongAdder#increment()}, not a peer but
 *       a yardstick: what one atomic read-modify-write per read (a locked instruction, a full fence on x86)
 *       costs the raw copy, because it stops the CPU from overlapping one read's cache misses with the next's.</li>
 * </ul>
 * The tear-down fails the trial if any page-in happened, so every cache read measured was a hit.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HitReadBenchmark {

    /** Bytes per read: a whole page, or a small record inside one. */
    @Param({"4096", "64"})
    public int readSize;

    /** The data every peer reads from. */
    @Param({"64"})
    public int workingSetMiB;

    private Path dir;
    private PageCache cache;
    private PagedFile file;
    private FileChannel channel;
    private Arena arena;
    private MemorySegment pool;
    private MemorySegment mapped;
    private Cache<Long, byte[]> caffeine;
    private Long[] keys;
    private final LongAdder counter = new LongAdder();

    private ByteBuffer heapBuffer;
    private ByteBuffer directBuffer;
    private MemorySegment heapSegment;
    private MemorySegment directSegment;
    private long[] positions;
    private int cursor;
    private PageCacheStats before;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        long size = (long) workingSetMiB << 20;
        long pages = size / PAGE;
        dir = BenchSupport.scratchDir();
        Path path = BenchSupport.randomFile(dir.resolve("data"), size, 42);

        // Twice the working set, so the reclaimer's free-frame watermarks never evict a page of it.
        cache = BenchSupport.cache(2 * size);
        file = cache.open(path, StandardOpenOption.READ);
        BenchSupport.touchAll(file);

        channel = FileChannel.open(path, StandardOpenOption.READ);
        BenchSupport.touchAll(channel);
        arena = Arena.ofShared();
        mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        mapped.load();
        pool = arena.allocate(size, PAGE);
        MemorySegment.copy(mapped, 0, pool, 0, size);

        caffeine = Caffeine.newBuilder().maximumSize(pages).build();
        keys = new Long[(int) pages];
        for (int p = 0; p < pages; p++) {
            keys[p] = (long) p;
            caffeine.put(
                    keys[p], mapped.asSlice((long) p * PAGE, PAGE).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        caffeine.cleanUp();
        if (caffeine.estimatedSize() != pages) {
            throw new IllegalStateException("Caffeine holds " + caffeine.estimatedSize() + " of " + pages + " pages");
        }

        heapBuffer = ByteBuffer.allocate(readSize);
        directBuffer = ByteBuffer.allocateDirect(readSize);
        heapSegment = MemorySegment.ofBuffer(heapBuffer);
        directSegment = MemorySegment.ofBuffer(directBuffer);
        positions = BenchSupport.randomPositions(pages, readSize, 7);

        // Every peer reads the same bytes: check one read of the cache against the pool.
        long probe = positions[1];
        file.read(probe, directBuffer.clear());
        if (MemorySegment.mismatch(directSegment, 0, readSize, pool, probe, probe + readSize) != -1) {
            throw new IllegalStateException("the cache and the pool disagree at " + probe);
        }
        before = cache.stats();
    }

    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) throws IOException {
        try {
            PageCacheStats delta = BenchSupport.delta(before, cache.stats());
            BenchSupport.check(delta.faults() == 0, "hit reads caused page-ins", delta);
            if (BenchSupport.method(params.getBenchmark()).startsWith("cache")) {
                BenchSupport.check(delta.hits() > 0, "no cache hits were counted", delta);
            }
        } finally {
            file.close();
            cache.close();
            channel.close();
            arena.close();
            BenchSupport.deleteTree(dir);
        }
    }

    private long next() {
        return positions[cursor++ & POSITION_MASK];
    }

    @Benchmark
    public int cacheHeap() throws IOException {
        return file.read(next(), heapBuffer.clear());
    }

    @Benchmark
    public int cacheDirect() throws IOException {
        return file.read(next(), directBuffer.clear());
    }

    @Benchmark
    public void rawCopyHeap() {
        MemorySegment.copy(pool, next(), heapSegment, 0, readSize);
    }

    @Benchmark
    public void rawCopyDirect() {
        MemorySegment.copy(pool, next(), directSegment, 0, readSize);
    }

    @Benchmark
    public void rawCopyCountedDirect() {
        MemorySegment.copy(pool, next(), directSegment, 0, readSize);
        counter.increment();
    }

    @Benchmark
    public int channelDirect() throws IOException {
        return channel.read(directBuffer.clear(), next());
    }

    @Benchmark
    public void mappedDirect() {
        MemorySegment.copy(mapped, next(), directSegment, 0, readSize);
    }

    @Benchmark
    public ByteBuffer caffeineHeap() {
        long position = next();
        byte[] page = caffeine.getIfPresent(keys[(int) (position / PAGE)]);
        return heapBuffer.put(0, page, (int) (position % PAGE), readSize);
    }
}
