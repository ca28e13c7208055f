package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.PagedReader;
import org.pagecache.offheap.testing.Threads;

/**
 * The reader's optimistic path: a remembered frame that was evicted, rebound to another page or another file, or
 * rewritten is never read as if it still held the remembered page; hits are counted; a hit allocates nothing.
 */
class PageReaderOptimisticTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    /**
     * Every long of a page written at generation {@code gen} of page {@code page} of file {@code tag}: the
     * generation in the high half, a hash of all three in the low half, so a value torn between two generations
     * or read from another page or file does not check.
     */
    static long word(int tag, long page, long gen) {
        return (gen << 32) | (hash(tag, page, gen) & 0xFFFF_FFFFL);
    }

    private static long hash(int tag, long page, long gen) {
        long h = tag * 0x9E3779B97F4A7C15L ^ page * 0xC2B2AE3D27D4EB4FL ^ gen * 0x165667B19E3779F9L;
        return h ^ (h >>> 29);
    }

    private static String check(int tag, long page, long v) {
        long gen = v >>> 32;
        return (v & 0xFFFF_FFFFL) == (hash(tag, page, gen) & 0xFFFF_FFFFL)
                ? null
                : "not a value of file " + tag + " page " + page + ": " + Long.toHexString(v);
    }

    private static ByteBuffer page(int tag, long page, long gen) {
        ByteBuffer b = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        long w = word(tag, page, gen);
        for (int i = 0; i < PAGE; i += Long.BYTES) {
            b.putLong(i, w);
        }
        return b;
    }

    private static void fill(PagedFile file, int tag, int pages) throws Exception {
        for (int p = 0; p < pages; p++) {
            file.write((long) p * PAGE, page(tag, p, 0));
        }
    }

    @Test
    void aRememberedFrameEvictedAndReboundIsNotReadAsThePageItHeld() throws Exception {
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(8 * PAGE)
                        .build();
                PagedFile a = cache.open(dir.resolve("a"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                PagedFile b = cache.open(dir.resolve("b"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            fill(a, 1, 32);
            fill(b, 2, 32);
            PagedReader reader = a.reader();
            int pagedInAgain = 0;
            for (int round = 0; round < 200; round++) {
                long pos = (round % 32) * (long) PAGE + 8 * (round % 512);
                assertEquals(word(1, round % 32, 0), reader.readLong(pos), "first read at " + pos);
                long evictions = cache.stats().evictions();
                // the remembered frame goes to another page: of the same file on even rounds, of the other on odd
                PagedFile churn = round % 2 == 0 ? a : b;
                ByteBuffer one = ByteBuffer.allocate(8);
                for (int p = 0; p < 32; p++) {
                    if (churn == a && p == round % 32) {
                        continue;
                    }
                    churn.read((long) p * PAGE, one.clear());
                }
                assertTrue(cache.stats().evictions() > evictions, "the 8-page cache evicted");
                long faults = cache.stats().faults();
                for (int i = 0; i < 4; i++) {
                    long at = pos + 8L * i - (pos % PAGE < 32 ? 0 : 16);
                    assertEquals(word(1, at / PAGE, 0), reader.readLong(at), "after eviction, at " + at);
                }
                if (cache.stats().faults() > faults) {
                    pagedInAgain++; // the remembered page had been evicted (S3-FIFO keeps it in some rounds)
                }
            }
            assertTrue(pagedInAgain >= 20, "rounds whose remembered page was evicted: " + pagedInAgain);
            assertEquals(0, cache.stats().pinnedFrames());
        }
    }

    @Test
    void aWriterAndEvictionNeverShowReadersATornOrForeignValue() throws Exception {
        int pages = 24;
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(8 * PAGE)
                        .build();
                PagedFile a = cache.open(dir.resolve("a"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                PagedFile b = cache.open(dir.resolve("b"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            fill(a, 1, pages);
            fill(b, 2, pages);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            Threads.Task readA = () -> {
                PagedReader r = a.reader();
                SplittableRandom random =
                        new SplittableRandom(Thread.currentThread().threadId());
                long n = 0;
                while (!stop.get()) {
                    // mostly the same page again (the remembered frame), sometimes another
                    long pg = random.nextInt(4) == 0 ? random.nextInt(pages) : (n / 64) % pages;
                    long pos = pg * PAGE + random.nextInt(PAGE / 8) * 8L;
                    String bad = check(1, pg, r.readLong(pos));
                    if (bad != null) {
                        throw new AssertionError(bad + " at " + pos);
                    }
                    n++;
                }
                reads.addAndGet(n);
            };
            Threads.runAll(
                    Duration.ofSeconds(60),
                    List.of(
                            () -> {
                                SplittableRandom random = new SplittableRandom(5);
                                long gen = 0;
                                while (System.nanoTime() < end) {
                                    int pg = random.nextInt(pages);
                                    a.write((long) pg * PAGE, page(1, pg, ++gen)); // one write: atomic per page
                                }
                                stop.set(true);
                            },
                            () -> {
                                ByteBuffer one = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                                SplittableRandom random = new SplittableRandom(6);
                                while (!stop.get()) { // the other file's pages push a's out of the 8-page cache
                                    int pg = random.nextInt(pages);
                                    b.read((long) pg * PAGE, one.clear());
                                    String bad = check(2, pg, one.getLong(0));
                                    if (bad != null) {
                                        throw new AssertionError(bad);
                                    }
                                }
                            },
                            readA,
                            readA));
            assertTrue(reads.get() > 1000, "reads: " + reads.get());
            assertTrue(
                    cache.stats().evictions() > 0, "evictions: " + cache.stats().evictions());
            assertEquals(0, cache.stats().pinnedFrames());
            assertEquals(0, LockedFrames.count((OffHeapPageCache) cache));
        }
    }

    @Test
    void smallReadHitsAreCountedInBatchesAndBulkReadsAtOnce() throws Exception {
        int batch = PageReader.HIT_BATCH;
        int pages = batch + 16;
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(2L * pages * PAGE)
                        .build();
                PagedFile a = cache.open(dir.resolve("a"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            fill(a, 1, pages);
            PagedReader reader = a.reader();
            long before = cache.stats().hits();
            for (int p = 0; p < batch - 1; p++) {
                assertEquals(word(1, p, 0), reader.readLong((long) p * PAGE));
                assertEquals((int) word(1, p, 0), reader.readInt((long) p * PAGE + 8)); // the remembered page
            }
            assertEquals(0, cache.stats().hits() - before, "hits of small reads not yet added");
            reader.readLong((long) (batch - 1) * PAGE);
            assertEquals(batch, cache.stats().hits() - before, "one hit per page found, added as a batch");
            reader.readLong((long) batch * PAGE);
            byte[] bulk = new byte[4 * PAGE];
            reader.read((long) (batch + 4) * PAGE, bulk, 0, bulk.length);
            assertEquals(batch + 1 + 4, cache.stats().hits() - before, "a bulk read adds its hits and those pending");
        }
    }

    @Test
    void aHitAllocatesNothing() throws Exception {
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(64 * PAGE)
                        .build();
                PagedFile a = cache.open(dir.resolve("a"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            fill(a, 1, 32);
            PagedReader reader = a.reader();
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long sum = 0;
            for (int warm = 0; warm < 3; warm++) {
                sum += readAll(reader, 32);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            int rounds = 50;
            for (int i = 0; i < rounds; i++) {
                sum += readAll(reader, 32);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            long readsDone = rounds * 32L * (PAGE / 8) * 4;
            // one object per read would be at least 16 bytes a read; allow a little for the JIT's own bookkeeping
            assertTrue(allocated < readsDone / 16, allocated + " bytes allocated over " + readsDone + " reads");
            assertTrue(sum != 42);
        }
    }

    private static long readAll(PagedReader reader, int pages) throws Exception {
        long sum = 0;
        for (long pos = 0; pos < (long) pages * PAGE; pos += 8) {
            sum += reader.readLong(pos) + reader.readInt(pos) + reader.readShort(pos + 4) + reader.readByte(pos + 7);
        }
        // and at random pages, so the look-up path runs too
        for (long i = 0; i < pages * 64L; i++) {
            long pos = ((i * 7919) % pages) * PAGE + (i % 512) * 8;
            sum += reader.readLong(pos);
        }
        return sum;
    }
}
