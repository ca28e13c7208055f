package org.pagecache.jmh;

import static org.pagecache.jmh.BenchSupport.PAGE;
import static org.pagecache.jmh.BenchSupport.POSITION_MASK;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;

/**
 * One thread against two on the same cache: whole-page and 64-byte hit reads into a direct buffer, whole-page
 * writes from a heap array (all at random positions of resident pages, each thread with its own positions), and
 * the raw copies of the hit reads as the machine's own scaling limit (two cores share one memory system). JMH sums the
 * throughput of the threads, so the ratio of the two-thread score to the one-thread score is the speed-up.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ScalingBenchmark {

    /** Bytes of the small reads: a record inside a page. */
    static final int SMALL = 64;

    /** The cache, file and raw pool, shared by the threads. */
    @State(Scope.Benchmark)
    public static class Shared {

        /** The data every thread reads and writes. */
        @Param({"64"})
        public int workingSetMiB;

        Path dir;
        PageCache cache;
        PagedFile file;
        Arena arena;
        MemorySegment pool;
        long pages;
        PageCacheStats before;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            long size = (long) workingSetMiB << 20;
            pages = size / PAGE;
            dir = BenchSupport.scratchDir();
            Path path = BenchSupport.randomFile(dir.resolve("data"), size, 42);
            cache = BenchSupport.cache(2 * size);
            file = cache.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            BenchSupport.touchAll(file);
            arena = Arena.ofShared();
            pool = arena.allocate(size, PAGE);
            before = cache.stats();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            try {
                PageCacheStats d = BenchSupport.delta(before, cache.stats());
                BenchSupport.check(d.faults() == 0, "hit reads and writes of resident pages caused page-ins", d);
                BenchSupport.check(
                        d.tempPageCopies() == 0 && d.fastPathHits() == 0, "writes from an array must copy directly", d);
            } finally {
                file.close();
                cache.close();
                arena.close();
                BenchSupport.deleteTree(dir);
            }
        }
    }

    /** Each thread's own buffers and positions. */
    @State(Scope.Thread)
    public static class PerThread {
        ByteBuffer buffer;
        MemorySegment segment;
        WriteSource source;
        long[] positions;
        ByteBuffer small;
        MemorySegment smallSegment;
        long[] smallPositions;
        int cursor;

        @Setup(Level.Trial)
        public void setUp(Shared shared, ThreadParams thread) {
            buffer = ByteBuffer.allocateDirect(PAGE);
            segment = MemorySegment.ofBuffer(buffer);
            source = WriteSource.of(BenchSupport.randomBytes(PAGE, 100 + thread.getThreadIndex()));
            positions = BenchSupport.randomPositions(shared.pages, PAGE, 17 + thread.getThreadIndex());
            small = ByteBuffer.allocateDirect(SMALL);
            smallSegment = MemorySegment.ofBuffer(small);
            smallPositions = BenchSupport.randomPositions(shared.pages, SMALL, 23 + thread.getThreadIndex());
        }

        long nextSmall() {
            return smallPositions[cursor++ & POSITION_MASK];
        }

        long next() {
            return positions[cursor++ & POSITION_MASK];
        }
    }

    @Benchmark
    @Threads(1)
    public int read1T(Shared shared, PerThread thread) throws IOException {
        return shared.file.read(thread.next(), thread.buffer.clear());
    }

    @Benchmark
    @Threads(2)
    public int read2T(Shared shared, PerThread thread) throws IOException {
        return shared.file.read(thread.next(), thread.buffer.clear());
    }

    @Benchmark
    @Threads(1)
    public long write1T(Shared shared, PerThread thread) throws IOException {
        return shared.file.write(thread.next(), thread.source);
    }

    @Benchmark
    @Threads(2)
    public long write2T(Shared shared, PerThread thread) throws IOException {
        return shared.file.write(thread.next(), thread.source);
    }

    @Benchmark
    @Threads(1)
    public int smallRead1T(Shared shared, PerThread thread) throws IOException {
        return shared.file.read(thread.nextSmall(), thread.small.clear());
    }

    @Benchmark
    @Threads(2)
    public int smallRead2T(Shared shared, PerThread thread) throws IOException {
        return shared.file.read(thread.nextSmall(), thread.small.clear());
    }

    @Benchmark
    @Threads(1)
    public void rawSmall1T(Shared shared, PerThread thread) {
        MemorySegment.copy(shared.pool, thread.nextSmall(), thread.smallSegment, 0, SMALL);
    }

    @Benchmark
    @Threads(2)
    public void rawSmall2T(Shared shared, PerThread thread) {
        MemorySegment.copy(shared.pool, thread.nextSmall(), thread.smallSegment, 0, SMALL);
    }

    @Benchmark
    @Threads(1)
    public void rawRead1T(Shared shared, PerThread thread) {
        MemorySegment.copy(shared.pool, thread.next(), thread.segment, 0, PAGE);
    }

    @Benchmark
    @Threads(2)
    public void rawRead2T(Shared shared, PerThread thread) {
        MemorySegment.copy(shared.pool, thread.next(), thread.segment, 0, PAGE);
    }
}
