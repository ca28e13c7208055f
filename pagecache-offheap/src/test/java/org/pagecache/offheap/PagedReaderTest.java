package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.PagedReader;
import org.pagecache.offheap.testing.Threads;

/** {@link PagedFile#reader()} and {@link PagedFile#prefetch}. */
class PagedReaderTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static ByteBuffer pattern(int pages) {
        ByteBuffer b = ByteBuffer.allocate(pages * PAGE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < pages * PAGE / 8; i++) {
            b.putLong(i * 8, i * 0x9E3779B97F4A7C15L);
        }
        return b;
    }

    @Test
    void readsWhatWasWrittenUnderConstantEvictionAndAcrossPages() throws Exception {
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(8 * PAGE)
                        .build();
                PagedFile file = cache.open(dir.resolve("f"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer data = pattern(64);
            file.write(0, data.duplicate());
            PagedReader reader = file.reader();
            java.util.SplittableRandom random = new java.util.SplittableRandom(3);
            for (int i = 0; i < 20_000; i++) {
                long pos = random.nextLong(64L * PAGE - 8); // unaligned: some reads span two pages
                assertEquals(data.getLong((int) pos), reader.readLong(pos), "long at " + pos);
                assertEquals(data.getInt((int) pos), reader.readInt(pos), "int at " + pos);
                assertEquals(data.getShort((int) pos), reader.readShort(pos), "short at " + pos);
                assertEquals(data.get((int) pos), reader.readByte(pos), "byte at " + pos);
            }
            byte[] bulk = new byte[3 * PAGE + 17];
            reader.read(PAGE - 5, bulk, 0, bulk.length);
            assertEquals(ByteBuffer.wrap(data.array(), PAGE - 5, bulk.length), ByteBuffer.wrap(bulk));
            assertEquals(0, cache.stats().pinnedFrames());
            EOFException eof = assertThrows(EOFException.class, () -> reader.readLong(64L * PAGE - 4));
            assertTrue(eof.getMessage().contains("past the end"), eof.getMessage());
            assertThrows(IllegalArgumentException.class, () -> reader.readInt(-1));
            file.close();
            assertThrows(ClosedChannelException.class, () -> reader.readLong(0));
        }
    }

    /**
     * A reader keeps the counter cell of the thread that counted through it last. Two threads each count hits
     * through a reader of their own and, taking turns under a lock, through one shared reader: every bulk read of
     * another resident page is one hit, and the sum must be exact. A reader that kept the first thread's cell and
     * added to it from the second (plain load, opaque store: one writer per cell) would lose the first thread's
     * concurrent counts.
     */
    @Test
    void aReaderHandedBetweenThreadsCountsEveryHitInTheCountingThreadsCell() throws Exception {
        int rounds = 100_000;
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16 * PAGE)
                        .build();
                PagedFile file = cache.open(dir.resolve("f"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            file.write(0, pattern(2).duplicate());
            PagedReader shared = file.reader();
            Object turn = new Object();
            long before = cache.stats().hits();
            List<Threads.Task> tasks = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                tasks.add(() -> {
                    PagedReader own = file.reader();
                    byte[] eight = new byte[8];
                    for (int i = 0; i < rounds; i++) {
                        own.read((long) (i & 1) * PAGE, eight, 0, 8); // another page each time: one hit
                        synchronized (turn) {
                            shared.read(0, eight, 0, 8); // every turn ends on page 1: two new pages
                            shared.read(PAGE, eight, 0, 8);
                        }
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(60), tasks);
            assertEquals(0, cache.stats().faults());
            // each thread: rounds hits through its own reader, 2 * rounds through the shared one
            assertEquals(6L * rounds, cache.stats().hits() - before);
        }
    }

    @Test
    void neverSeesATornValueWhileAWriterRewritesThePage() throws Exception {
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16 * PAGE)
                        .build();
                PagedFile file = cache.open(dir.resolve("t"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] page = new byte[PAGE];
            file.write(0, ByteBuffer.wrap(page));
            AtomicBoolean stop = new AtomicBoolean();
            long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            Threads.runAll(
                    Duration.ofSeconds(60),
                    List.of(
                            () -> {
                                byte v = 0;
                                while (System.nanoTime() < end) {
                                    java.util.Arrays.fill(page, ++v); // one write: atomic per page
                                    file.write(0, ByteBuffer.wrap(page));
                                }
                                stop.set(true);
                            },
                            () -> {
                                PagedReader reader = file.reader();
                                long reads = 0;
                                while (!stop.get()) {
                                    long x = reader.readLong((reads * 8) % PAGE);
                                    long b = x & 0xFF;
                                    assertEquals(b * 0x0101010101010101L, x, "a torn long: " + Long.toHexString(x));
                                    reads++;
                                }
                                assertTrue(reads > 0);
                            }));
        }
    }

    @Test
    void prefetchPagesInInTheBackgroundAndStopsWithTheCache() throws Exception {
        Path path = dir.resolve("p");
        try (PageCache cache =
                OffHeapPageCache.builder().pageSize(PAGE).capacity(64 * PAGE).build()) {
            // written around the cache: pages written through it would stay cached after the handle closes
            try (java.nio.channels.FileChannel ch =
                    java.nio.channels.FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ByteBuffer data = pattern(32);
                while (data.hasRemaining()) {
                    ch.write(data);
                }
            }
            try (PagedFile file = cache.open(path, StandardOpenOption.READ)) {
                long before = cache.stats().faults();
                assertThrows(IllegalArgumentException.class, () -> file.prefetch(-1, 10));
                assertThrows(IllegalArgumentException.class, () -> file.prefetch(0, -10));
                assertThrows(IllegalArgumentException.class, () -> file.prefetch(Long.MAX_VALUE, 10));
                file.prefetch(0, 1L << 40); // past the end of the file: ignored there
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (cache.stats().faults() - before < 32 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(32, cache.stats().faults() - before, "every page paged in once, without a read");
                PagedReader reader = file.reader();
                for (long p = 0; p < 32L * PAGE; p += 8) {
                    reader.readLong(p);
                }
                assertEquals(32, cache.stats().faults() - before, "reads after the prefetch page nothing in");
            }
        }
        Thread.getAllStackTraces()
                .keySet()
                .forEach(t -> assertTrue(
                        !t.getName().startsWith("pagecache-prefetch") || !t.isAlive(), "left running: " + t));
    }
}
