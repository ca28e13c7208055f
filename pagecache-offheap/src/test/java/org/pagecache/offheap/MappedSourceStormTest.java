package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.SourceFaultException;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.testing.Threads;

/**
 * The truncation storm through the cache (W3): a thread truncates and re-extends memory-mapped source files
 * while two JIT-warm writers write from them (as {@link MappedByteBuffer}s and mapped {@link MemorySegment}s)
 * into cached files. Every write is checked at once against a model: the bytes it reports written hold the
 * source's bytes, which contain no zero (so a zero read from a faulting page is caught), and every other byte
 * of the range, including the chunk that faulted, is unchanged. No {@link InternalError} may escape, no page
 * lock may stay held, and the cache must keep working. Runs {@code pagecache.storm.seconds} seconds (default 4).
 */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class MappedSourceStormTest {
    private static final int PAGE = 4096;
    private static final int SOURCE_PAGES = 16;
    private static final int SOURCE_BYTES = SOURCE_PAGES * PAGE;
    private static final int DEST_BYTES = 64 * PAGE;

    @TempDir
    Path dir;

    static byte sourceByte(int source, int offset) {
        return (byte) (1 + Math.floorMod(source * 131 + offset * 7 + offset / 251, 255));
    }

    /**
     * The mapped sources live on tmpfs: on ext4 a page being truncated can read as zeros with no fault at all
     * (see docs/write-path.md), which no copy routine can tell from content, and the checker would report it.
     */
    private static Path tmpfs() throws IOException {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(
                Files.isDirectory(shm)
                        && Files.isWritable(shm)
                        && "tmpfs".equals(Files.getFileStore(shm).type()),
                "no writable tmpfs at /dev/shm for the mapped sources");
        return Files.createTempDirectory(shm, "pagecache-cache-storm");
    }

    @Test
    void truncationStormNeverCorruptsLeaksLocksOrEscapes() throws Exception {
        long seconds = Long.getLong("pagecache.storm.seconds", 4);
        Path sourceDir = tmpfs();
        int sources = 4;
        List<FileChannel> channels = new ArrayList<>();
        List<MappedByteBuffer> buffers = new ArrayList<>();
        List<MemorySegment> segments = new ArrayList<>();
        byte[][] content = new byte[sources][SOURCE_BYTES];
        AtomicLong escaped = new AtomicLong();
        AtomicLong faults = new AtomicLong();
        AtomicLong shortWrites = new AtomicLong();
        AtomicLong truncations = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        AtomicLong verifiedBytes = new AtomicLong();
        try (Arena arena = Arena.ofShared();
                OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(48 * PAGE)
                        .build()) {
            for (int s = 0; s < sources; s++) {
                for (int i = 0; i < SOURCE_BYTES; i++) {
                    content[s][i] = sourceByte(s, i);
                }
                FileChannel ch = FileChannel.open(
                        sourceDir.resolve("source-" + s),
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                ch.write(ByteBuffer.wrap(content[s]), 0);
                channels.add(ch);
                buffers.add(ch.map(FileChannel.MapMode.READ_ONLY, 0, SOURCE_BYTES));
                segments.add(ch.map(FileChannel.MapMode.READ_ONLY, 0, SOURCE_BYTES, arena));
            }
            PagedFile[] dests = new PagedFile[2];
            byte[][] models = new byte[2][DEST_BYTES];
            for (int w = 0; w < 2; w++) {
                dests[w] = cache.open(dir.resolve("dest-" + w), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                byte[] init = models[w];
                for (int i = 0; i < DEST_BYTES; i++) {
                    init[i] = (byte) (0x80 | (i & 0x7F)); // distinct from every source byte at the same offset
                }
                dests[w].write(0, WriteSource.of(init));
            }
            AtomicBoolean stop = new AtomicBoolean();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<Threads.Task> tasks = new ArrayList<>();
            tasks.add(() -> {
                Random r = new Random(99);
                try {
                    while (System.nanoTime() < end) {
                        int s = r.nextInt(sources);
                        FileChannel ch = channels.get(s);
                        // truncate the whole file: a cut inside a large folio leaves its tail readable as
                        // zeros with no fault at all, which no copy mechanism could tell from content
                        ch.truncate(0);
                        Thread.onSpinWait();
                        ch.write(ByteBuffer.wrap(content[s]), 0); // re-extend with the content, never with zeros
                        truncations.incrementAndGet();
                    }
                } finally {
                    stop.set(true);
                }
            });
            for (int w = 0; w < 2; w++) {
                int writer = w;
                tasks.add(() -> {
                    Thread.currentThread().setUncaughtExceptionHandler((t, e) -> escaped.incrementAndGet());
                    Random r = new Random(writer);
                    PagedFile dest = dests[writer];
                    byte[] model = models[writer];
                    ByteBuffer back = ByteBuffer.allocate(3 * PAGE);
                    while (!stop.get()) {
                        try {
                            int s = r.nextInt(sources);
                            int len = 1 + r.nextInt(2 * PAGE);
                            int from = r.nextInt(SOURCE_BYTES - len);
                            int pos = r.nextInt(DEST_BYTES - len);
                            long written;
                            try {
                                if (r.nextBoolean()) {
                                    written = dest.write(
                                            pos, WriteSource.of(buffers.get(s).slice(from, len)));
                                } else {
                                    written = dest.write(
                                            pos, WriteSource.of(segments.get(s).asSlice(from, len)));
                                }
                            } catch (SourceFaultException e) {
                                assertEquals(0, e.bytesWritten());
                                written = 0;
                                faults.incrementAndGet();
                            }
                            writes.incrementAndGet();
                            if (written < len) {
                                shortWrites.incrementAndGet();
                                long stop2 = pos + written;
                                assertTrue(
                                        written == 0 || stop2 % PAGE == 0,
                                        "a short write stops at a destination page boundary: " + pos + "+" + written);
                            }
                            System.arraycopy(content[s], from, model, pos, (int) written);
                            back.clear().limit(len);
                            assertEquals(len, dest.read(pos, back));
                            for (int i = 0; i < len; i++) {
                                if (back.get(i) != model[pos + i]) {
                                    throw new AssertionError("writer " + writer + ": byte " + (pos + i) + " is "
                                            + back.get(i) + ", expected " + model[pos + i] + " (write of " + len
                                            + " from source " + s + " at " + from + " reported " + written + ")");
                                }
                            }
                            verifiedBytes.addAndGet(len);
                        } catch (InternalError e) {
                            escaped.incrementAndGet();
                        }
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(seconds + 120), tasks);
            assertEquals(0, escaped.get(), "InternalErrors escaped");
            assertEquals(0, LockedFrames.count(cache), "page locks still held after the storm");
            // the cache still works: whole files read back as modelled, and a new write lands
            for (int w = 0; w < 2; w++) {
                ByteBuffer all = ByteBuffer.allocate(DEST_BYTES);
                assertEquals(DEST_BYTES, dests[w].read(0, all));
                assertArrayEquals(models[w], all.array(), "destination " + w);
                dests[w].write(0, WriteSource.of(new byte[] {1, 2, 3}));
                dests[w].close();
            }
            PageCacheStats stats = cache.stats();
            System.out.printf(
                    "truncation storm: %d s, %d truncations, %d writes (%d short, %d faulted), %d bytes verified,"
                            + " source faults %d, temp-page copies %d, escaped %d%n",
                    seconds,
                    truncations.get(),
                    writes.get(),
                    shortWrites.get(),
                    faults.get(),
                    verifiedBytes.get(),
                    stats.sourceFaults(),
                    stats.tempPageCopies(),
                    escaped.get());
            assertTrue(truncations.get() > 100, "truncations " + truncations.get());
            assertTrue(stats.sourceFaults() > 0, "the storm made sources fault: " + stats);
            assertTrue(writes.get() > 1000, "writes " + writes.get());
        } finally {
            for (FileChannel ch : channels) {
                ch.close();
            }
            try (var files = Files.list(sourceDir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(sourceDir);
        }
    }
}
