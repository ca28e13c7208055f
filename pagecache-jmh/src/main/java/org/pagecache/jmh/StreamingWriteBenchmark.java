package org.pagecache.jmh;

import static org.pagecache.jmh.BenchSupport.PAGE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
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
import org.pagecache.api.WriteSource;

/**
 * Streaming writes: one operation writes a whole file four times the cache in 4 KiB chunks, front to back,
 * then makes it durable. Through the cache that is {@link PagedFile#write} per chunk (eviction and write-back
 * of dirty pages on the way) and {@link PagedFile#sync()}; the peer is {@link FileChannel#write(ByteBuffer, long)}
 * per chunk and {@link FileChannel#force(boolean)}. Both write the same bytes from a reused direct buffer into
 * a file that already has its full size (so neither grows a file), on the same file system.
 * The score is passes per second; the ratio is what matters.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class StreamingWriteBenchmark {

    /** The cache's capacity; the file is four times larger. */
    @Param({"8"})
    public int cacheMiB;

    private Path dir;
    private PageCache cache;
    private PagedFile file;
    private FileChannel channel;
    private WriteSource source;
    private ByteBuffer channelBuffer;
    private long pages;
    private PageCacheStats before;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        long capacity = (long) cacheMiB << 20;
        long size = 4 * capacity;
        pages = size / PAGE;
        dir = BenchSupport.scratchDir();
        Path data = BenchSupport.randomFile(dir.resolve("data"), size, 42);
        Path peer = Files.copy(data, dir.resolve("peer"));
        cache = BenchSupport.cache(capacity);
        file = cache.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel = FileChannel.open(peer, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel.force(true);
        byte[] bytes = BenchSupport.randomBytes(PAGE, 44);
        source = WriteSource.of(ByteBuffer.allocateDirect(PAGE).put(bytes).flip());
        channelBuffer = ByteBuffer.allocateDirect(PAGE).put(bytes).flip();
        before = cache.stats();
    }

    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) throws IOException {
        try {
            if (BenchSupport.method(params.getBenchmark()).startsWith("cache")) {
                PageCacheStats d = BenchSupport.delta(before, cache.stats());
                BenchSupport.check(d.evictions() > 0, "a file four times the cache must evict", d);
                BenchSupport.check(d.directCopies() > 0, "writes from a direct buffer must copy directly", d);
                // Every pass writes each page once and ends with sync(), so each write was written back.
                BenchSupport.check(
                        d.writebacks() >= d.directCopies(),
                        "every page written must have been written back by sync()",
                        d);
            }
        } finally {
            file.close();
            cache.close();
            channel.close();
            BenchSupport.deleteTree(dir);
        }
    }

    @Benchmark
    public long cacheStream() throws IOException {
        long written = 0;
        for (long p = 0; p < pages; p++) {
            written += file.write(p * PAGE, source);
        }
        file.sync();
        return written;
    }

    @Benchmark
    public long channelStream() throws IOException {
        long written = 0;
        for (long p = 0; p < pages; p++) {
            written += channel.write(channelBuffer.rewind(), p * PAGE);
        }
        channel.force(false);
        return written;
    }
}
