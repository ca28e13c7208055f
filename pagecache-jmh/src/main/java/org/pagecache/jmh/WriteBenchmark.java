package org.pagecache.jmh;

import static org.pagecache.jmh.BenchSupport.PAGE;
import static org.pagecache.jmh.BenchSupport.POSITION_MASK;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.write.MappedSourceCopy;

/**
 * Writes of one 4 KiB page at random page-aligned positions of resident pages, from each kind of source and
 * so through each write path, against the peers:
 * <table>
 *   <caption>benchmarks</caption>
 *   <tr><th>method</th><th>source</th><th>path (checked on the cache's counters)</th></tr>
 *   <tr><td>{@code writeHeap}</td><td>{@code byte[]}</td><td>direct copy under the page lock</td></tr>
 *   <tr><td>{@code writeDirect}</td><td>direct {@link ByteBuffer}</td><td>direct copy under the page lock</td></tr>
 *   <tr><td>{@code writeMappedSegment}</td><td>a mapped source file ({@link MemorySegment})</td>
 *       <td>temporary page with its fault barrier, then the page; the set-up prints which mechanism
 *       ({@link MappedSourceCopy#mechanism()}) the JVM chose</td></tr>
 *   <tr><td>{@code writeNativeDeclared}</td><td>the direct {@link ByteBuffer}'s native segment declared as
 *       faulting ({@link WriteSource#of(MemorySegment, boolean) WriteSource.of(segment, true)}), as a file
 *       mapping made through the FFM {@code Linker} must be</td>
 *       <td>temporary page with its fault barrier, then the page: what treating every native segment as
 *       faulting would cost {@code writeDirect}</td></tr>
 *   <tr><td>{@code writeMappedView}</td><td>a {@link MappedView} of a resident page of another file</td>
 *       <td>the atomic fast path: a direct copy from the pinned source page</td></tr>
 *   <tr><td>{@code channelWrite}</td><td>direct {@link ByteBuffer}</td><td>{@link FileChannel#write(ByteBuffer, long)}
 *       into a file held in the OS page cache</td></tr>
 *   <tr><td>{@code rawCopy}, {@code rawCopyMapped}</td><td>{@code byte[]}, the mapped source file</td>
 *       <td>{@link MemorySegment#copy} into an off-heap pool of the working set's size: the physical limit</td></tr>
 * </table>
 * Every source is one page, made once in set-up and reused, so the harness allocates nothing. The tear-down
 * fails the trial unless every write chunk took the intended path (the counter of the intended path grew, the
 * counters of the others did not) and no page-in happened.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WriteBenchmark {

    /** The data written over: the destination file, the FileChannel peer's file, and the raw pool. */
    @Param({"64"})
    public int workingSetMiB;

    /** The cache's dirty limit: 0.2 is the default; 1 turns the limit and background write-back off. */
    @Param({"0.2", "1"})
    public double dirtyRatio;

    private Path dir;
    private PageCache cache;
    private PagedFile file;
    private PagedFile sourceFile;
    private FileChannel channel;
    private FileChannel sourceChannel;
    private Arena arena;
    private MemorySegment pool;
    private MemorySegment sourceMapped;
    private MemorySegment sourceHeap;

    private WriteSource heapSource;
    private WriteSource directSource;
    private WriteSource mappedSource;
    private WriteSource nativeDeclaredSource;
    private MappedView viewSource;
    private ByteBuffer channelBuffer;

    private long[] positions;
    private int cursor;
    private PageCacheStats before;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        long size = (long) workingSetMiB << 20;
        long pages = size / PAGE;
        dir = BenchSupport.scratchDir();
        Path data = BenchSupport.randomFile(dir.resolve("data"), size, 42);
        Path peer = Files.copy(data, dir.resolve("peer"));
        Path source = BenchSupport.randomFile(dir.resolve("source"), PAGE, 43);

        cache = BenchSupport.cache(2 * size, dirtyRatio);
        file = cache.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE);
        BenchSupport.touchAll(file);
        sourceFile = cache.open(source, StandardOpenOption.READ);
        BenchSupport.touchAll(sourceFile);

        channel = FileChannel.open(peer, StandardOpenOption.READ, StandardOpenOption.WRITE);
        BenchSupport.touchAll(channel);
        sourceChannel = FileChannel.open(source, StandardOpenOption.READ);
        arena = Arena.ofShared();
        pool = arena.allocate(size, PAGE);
        sourceMapped = sourceChannel.map(FileChannel.MapMode.READ_ONLY, 0, PAGE, arena);
        sourceMapped.load();

        byte[] bytes = BenchSupport.randomBytes(PAGE, 43);
        sourceHeap = MemorySegment.ofArray(bytes);
        ByteBuffer direct = ByteBuffer.allocateDirect(PAGE).put(bytes).flip();
        heapSource = WriteSource.of(bytes);
        directSource = WriteSource.of(direct);
        mappedSource = WriteSource.of(sourceMapped);
        nativeDeclaredSource = WriteSource.of(MemorySegment.ofBuffer(direct), true);
        viewSource = sourceFile.map(0, PAGE);
        channelBuffer = ByteBuffer.allocateDirect(PAGE).put(bytes).flip();

        positions = BenchSupport.randomPositions(pages, PAGE, 11);
        // How a write from a mapped source is made fault-safe is decided once per JVM (a self-test on the first
        // copy); decide it here, outside the measurement, and say which one this trial measures.
        System.out.println(
                "mapped-source copy: " + MappedSourceCopy.mechanism() + " (" + MappedSourceCopy.decisionReason() + ")");
        before = cache.stats();
    }

    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) throws IOException {
        try {
            PageCacheStats d = BenchSupport.delta(before, cache.stats());
            BenchSupport.check(d.faults() == 0, "writes to resident pages caused page-ins", d);
            BenchSupport.check(d.sourceFaults() == 0, "a source faulted", d);
            String method = BenchSupport.method(params.getBenchmark());
            switch (method) {
                case "writeHeap", "writeDirect" ->
                    BenchSupport.check(
                            d.directCopies() > 0
                                    && d.tempPageCopies() == 0
                                    && d.fastPathHits() == 0
                                    && d.fastPathFallbacks() == 0,
                            method + " must copy directly under the page lock, every chunk",
                            d);
                case "writeMappedSegment", "writeNativeDeclared" ->
                    BenchSupport.check(
                            d.tempPageCopies() > 0
                                    && d.directCopies() == 0
                                    && d.fastPathHits() == 0
                                    && d.fastPathFallbacks() == 0,
                            method + " must copy through a temporary page, every chunk",
                            d);
                case "writeMappedView" ->
                    BenchSupport.check(
                            d.fastPathHits() > 0
                                    && d.fastPathFallbacks() == 0
                                    && d.tempPageCopies() == 0
                                    && d.directCopies() == 0,
                            method + " must take the atomic fast path, every chunk",
                            d);
                default ->
                    BenchSupport.check(
                            d.directCopies() == 0 && d.tempPageCopies() == 0 && d.fastPathHits() == 0,
                            method + " is a peer and must not write through the cache",
                            d);
            }
        } finally {
            viewSource.close();
            sourceFile.close();
            file.close();
            cache.close();
            channel.close();
            sourceChannel.close();
            arena.close();
            BenchSupport.deleteTree(dir);
        }
    }

    private long next() {
        return positions[cursor++ & POSITION_MASK];
    }

    @Benchmark
    public long writeHeap() throws IOException {
        return file.write(next(), heapSource);
    }

    @Benchmark
    public long writeDirect() throws IOException {
        return file.write(next(), directSource);
    }

    @Benchmark
    public long writeMappedSegment() throws IOException {
        return file.write(next(), mappedSource);
    }

    @Benchmark
    public long writeNativeDeclared() throws IOException {
        return file.write(next(), nativeDeclaredSource);
    }

    @Benchmark
    public long writeMappedView() throws IOException {
        return file.write(next(), viewSource);
    }

    @Benchmark
    public int channelWrite() throws IOException {
        return channel.write(channelBuffer.rewind(), next());
    }

    @Benchmark
    public void rawCopy() {
        MemorySegment.copy(sourceHeap, 0, pool, next(), PAGE);
    }

    @Benchmark
    public void rawCopyMapped() {
        MemorySegment.copy(sourceMapped, 0, pool, next(), PAGE);
    }
}
