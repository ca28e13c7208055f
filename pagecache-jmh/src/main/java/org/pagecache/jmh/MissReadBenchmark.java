package org.pagecache.jmh;

import static org.pagecache.jmh.BenchSupport.PAGE;
import static org.pagecache.jmh.BenchSupport.POSITION_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;

/**
 * The miss path: random page reads over a file {@link #fileFactor} times the cache (4 by default), so about
 * three reads in four are a page-in plus an eviction; against {@link FileChannel#read(ByteBuffer, long)} of the same pages. The file is
 * held in the OS page cache for both, so the ratio is the cost of the cache's bookkeeping around the
 * {@code pread} it wraps, not of a disk. Both read into a reused direct buffer. The tear-down fails the
 * trial unless the cache really faulted and evicted pages.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MissReadBenchmark {

    /** The cache's capacity; the file is {@link #fileFactor} times larger. */
    @Param({"16"})
    public int cacheMiB;

    /** The file's size in caches: with 4, three reads in four miss; with 8, seven in eight. */
    @Param({"4"})
    public int fileFactor;

    private Path dir;
    private PageCache cache;
    private PagedFile file;
    private FileChannel channel;
    private ByteBuffer buffer;
    private long[] positions;
    private int cursor;
    private PageCacheStats before;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        long capacity = (long) cacheMiB << 20;
        long size = fileFactor * capacity;
        dir = BenchSupport.scratchDir();
        Path path = BenchSupport.randomFile(dir.resolve("data"), size, 42);
        channel = FileChannel.open(path, StandardOpenOption.READ);
        BenchSupport.touchAll(channel);
        cache = BenchSupport.cache(capacity);
        file = cache.open(path, StandardOpenOption.READ);
        buffer = ByteBuffer.allocateDirect(PAGE);
        positions = BenchSupport.randomPositions(size / PAGE, PAGE, 13);
        before = cache.stats();
    }

    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) throws IOException {
        try {
            if (BenchSupport.method(params.getBenchmark()).startsWith("cache")) {
                PageCacheStats d = BenchSupport.delta(before, cache.stats());
                BenchSupport.check(d.faults() > d.hits(), "most reads must miss", d);
                BenchSupport.check(d.evictions() > 0, "misses must evict", d);
            }
        } finally {
            file.close();
            cache.close();
            channel.close();
            BenchSupport.deleteTree(dir);
        }
    }

    private long next() {
        return positions[cursor++ & POSITION_MASK];
    }

    @Benchmark
    public int cacheRead() throws IOException {
        return file.read(next(), buffer.clear());
    }

    @Benchmark
    public int channelRead() throws IOException {
        return channel.read(buffer.clear(), next());
    }
}
