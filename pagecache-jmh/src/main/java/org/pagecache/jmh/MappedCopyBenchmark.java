package org.pagecache.jmh;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.pagecache.offheap.write.MappedSourceCopy;

/**
 * Nanoseconds per 4 KiB chunk copied from a healthy OS-mapped file into a private page, for each candidate way of
 * making that copy fault-safe (see docs/write-path.md):
 * <ul>
 *   <li>{@code plainCopy}: {@code MemorySegment.copy} alone: the floor, and unsafe (a fault escapes later);</li>
 *   <li>{@code nativeBarrier}: the copy plus a native call that delivers a pending fault inside the {@code try};</li>
 *   <li>{@code kernelCopy}: the kernel copies through a pipe (write the mapped slice, read it back);</li>
 *   <li>{@code sizeCheck}: check the file's size, copy, check again (needs the file, which a segment does not
 *       tell, and is not safe: see the storm figures);</li>
 *   <li>{@code decided}: {@link MappedSourceCopy#copy}, the mechanism the self-test chose, as the engine calls it.</li>
 * </ul>
 * {@code fileChunks} sets the mapped file's size: 256 chunks (1 MiB, cache-warm) or 16384 (64 MiB, mostly from
 * memory).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MappedCopyBenchmark {

    private static final int CHUNK = 4096;

    /** Chunks in the mapped file: a power of two. */
    @Param({"256", "16384"})
    public int fileChunks;

    private Path file;
    private FileChannel channel;
    private Arena arena;
    private MemorySegment src;
    private MemorySegment dst;
    private int next;

    /**
     * Creates and maps the source file.
     *
     * @throws IOException if the file cannot be written
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (Integer.bitCount(fileChunks) != 1) {
            throw new IllegalArgumentException("fileChunks must be a power of two: " + fileChunks);
        }
        file = Files.createTempFile("pagecache-mapped-copy-bench", ".bin");
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        arena = Arena.ofShared();
        long size = (long) fileChunks * CHUNK;
        MemorySegment pattern = arena.allocate(size, CHUNK);
        for (long i = 0; i < size; i++) {
            pattern.set(ValueLayout.JAVA_BYTE, i, (byte) (1 + (i * 31 + (i >>> 12)) % 255));
        }
        var bytes = pattern.asByteBuffer();
        while (bytes.hasRemaining()) {
            channel.write(bytes, bytes.position());
        }
        src = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        dst = arena.allocate(CHUNK, CHUNK);
        if (!MappedSourceCopy.copyThroughKernel(src, 0, dst, 0, CHUNK)
                || MemorySegment.mismatch(dst, 0, CHUNK, pattern, 0, CHUNK) >= 0) {
            throw new IllegalStateException("the kernel copy does not copy exactly");
        }
    }

    /**
     * Unmaps and deletes the source file.
     *
     * @throws IOException if the file cannot be closed or deleted
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        arena.close();
        channel.close();
        Files.deleteIfExists(file);
    }

    private long nextOffset() {
        int chunk = next;
        next = (chunk + 1) & (fileChunks - 1);
        return (long) chunk * CHUNK;
    }

    /** @return the destination (the copy itself: the floor, unsafe on a faulting source) */
    @Benchmark
    public MemorySegment plainCopy() {
        MemorySegment.copy(src, nextOffset(), dst, 0, CHUNK);
        return dst;
    }

    /** @return whether the copy is good (copy, then a native call inside the same try) */
    @Benchmark
    public boolean nativeBarrier() {
        return MappedSourceCopy.copyWithNativeBarrier(src, nextOffset(), dst, 0, CHUNK);
    }

    /**
     * @return whether the copy is good (the kernel copies through a pipe)
     * @throws IOException if the pipe fails
     */
    @Benchmark
    public boolean kernelCopy() throws IOException {
        return MappedSourceCopy.copyThroughKernel(src, nextOffset(), dst, 0, CHUNK);
    }

    /**
     * @return whether the file covered the chunk before and after the copy
     * @throws IOException if the size cannot be read
     */
    @Benchmark
    public boolean sizeCheck() throws IOException {
        long offset = nextOffset();
        if (channel.size() < offset + CHUNK) {
            return false;
        }
        try {
            MemorySegment.copy(src, offset, dst, 0, CHUNK);
        } catch (InternalError fault) {
            return false;
        }
        return channel.size() >= offset + CHUNK;
    }

    /**
     * @return whether the copy is good, through the mechanism chosen at start-up
     * @throws IOException if the kernel copy is in use and its pipe fails
     */
    @Benchmark
    public boolean decided() throws IOException {
        return MappedSourceCopy.copy(src, nextOffset(), dst, 0, CHUNK);
    }
}
