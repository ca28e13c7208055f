package org.pagecache.jmh;

import static org.pagecache.jmh.BenchSupport.PAGE;
import static org.pagecache.jmh.BenchSupport.POSITION_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.StoreFactory;

/**
 * What making the store interrupt-proof costs a page-in: a random 4 KiB positional read through the default
 * store ({@code FileChannelStore}: interrupt-flag check, volatile channel read, retry loop) against a bare
 * {@link FileChannel#read(ByteBuffer, long)} of the same pages. The file is held in the OS page cache, so the
 * difference is the wrapper's, not a disk's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class StoreReadBenchmark {
    private static final long SIZE = 64L << 20;

    private Path dir;
    private FileChannel channel;
    private BackingStore store;
    private ByteBuffer buffer;
    private long[] positions;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = BenchSupport.scratchDir();
        Path path = BenchSupport.randomFile(dir.resolve("data"), SIZE, 42);
        channel = FileChannel.open(path, StandardOpenOption.READ);
        BenchSupport.touchAll(channel);
        store = StoreFactory.defaultFactory().open(path, Set.<OpenOption>of(StandardOpenOption.READ));
        buffer = ByteBuffer.allocateDirect(PAGE);
        positions = BenchSupport.randomPositions(SIZE / PAGE, PAGE, 13);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        channel.close();
        BenchSupport.deleteTree(dir);
    }

    private long next() {
        return positions[cursor++ & POSITION_MASK];
    }

    @Benchmark
    public int storeRead() throws IOException {
        return store.read(buffer.clear(), next());
    }

    @Benchmark
    public int channelRead() throws IOException {
        return channel.read(buffer.clear(), next());
    }
}
