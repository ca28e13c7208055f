package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * Deterministic reproductions of discrepancies the randomized harness found, each reduced to the fewest steps.
 */
class HarnessFindingsTest {

    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    /**
     * Control case: the file on disk is longer than the truncated size, so the store's truncate sets the size.
     */
    @Test
    void truncateIntoAHoleKeepsTheSizeOnDisk() throws Exception {
        Path file = dir.resolve("a.bin");
        long newSize = 5L * PAGE + 7;
        try (PageCache cache =
                OffHeapPageCache.builder().pageSize(PAGE).capacity(16L * PAGE).build()) {
            try (PagedFile f =
                    cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertEquals(3, f.write(100, WriteSource.of(new byte[] {1, 2, 3})));
                assertEquals(1, f.write(10L * PAGE + 100, WriteSource.of(new byte[] {9})));
                f.flush(); // the file on disk is now 10 pages and 101 bytes, longer than newSize
                assertEquals(1, f.write(12L * PAGE, WriteSource.of(new byte[] {8})));
                f.truncate(newSize);
                assertEquals(newSize, f.size());
                f.sync();
                assertEquals(
                        newSize,
                        Files.size(file),
                        "sync() returned but the file's size on disk is not the " + "size the cache reports");
            }
            assertEquals(newSize, Files.size(file), "after close the file's size is not the truncated size");
            try (PagedFile again = cache.open(file, StandardOpenOption.READ)) {
                assertEquals(newSize, again.size());
            }
        }
    }

    /**
     * A write far past the end makes a dirty page beyond a hole; truncating into the hole drops that page. The file's
     * size is now the truncated size, whose last bytes are a hole that was never on disk, and the file on disk is
     * shorter than that: sync() and close() must still give the file that size (found by the harness as a file
     * 1,656 bytes shorter on disk than the model after a truncate to 84,419).
     */
    @Test
    void truncateIntoAHoleOfAFileNeverWrittenBackKeepsTheSize() throws Exception {
        Path file = dir.resolve("b.bin");
        long newSize = 5L * PAGE + 7;
        try (PageCache cache =
                OffHeapPageCache.builder().pageSize(PAGE).capacity(16L * PAGE).build()) {
            try (PagedFile f =
                    cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertEquals(1, f.write(10L * PAGE + 100, WriteSource.of(new byte[] {9})));
                f.truncate(newSize);
                assertEquals(newSize, f.size());
                ByteBuffer tail = ByteBuffer.allocate(16);
                assertEquals(7, f.read(newSize - 7, tail), "the hole reads as the file's last bytes");
                f.sync();
                assertEquals(
                        newSize,
                        Files.size(file),
                        "sync() returned but the file's size on disk is " + Files.size(file) + ", not the " + newSize
                                + " the cache reports");
            }
            assertArrayEquals(
                    new byte[(int) newSize],
                    Files.readAllBytes(file),
                    "after close the file must be " + newSize + " bytes of zeros");
        }
    }

    /**
     * sync() must not return while a write-back of a page that was dirty when it was called is still in flight.
     * Writers each own a page of one file and sync after every write, while one thread flushes the file in a loop
     * and another streams a second file through a small cache, so that other threads keep writing the writers'
     * pages back; after every acknowledged sync the durable
     * image (the file as of its last successful force) must hold the writer's page. The race: flush() waits for
     * pages already under write-back, then claims the dirty ones; a page claimed by the reclaimer in between is
     * skipped as "under write-back" and the force can run before that write reaches the file (found by the harness
     * as "sync() returned but byte ... is not durable").
     */
    @Test
    void syncWaitsForWritebacksAlreadyInFlight() throws Exception {
        Path a = dir.resolve("a.bin");
        Path b = dir.resolve("b.bin");
        byte[] big = new byte[64 * PAGE];
        new Random(1).nextBytes(big);
        Files.write(b, big);
        FaultInjector injector = new FaultInjector(2);
        long millis = (long) (Double.parseDouble(System.getProperty("pagecache.harness.seconds", "3")) * 1000);
        int writers = 3;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong syncs = new AtomicLong();
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(8L * PAGE)
                        .storeFactory(injector)
                        .frameWaitTimeout(Duration.ofSeconds(10))
                        .build();
                PagedFile fa =
                        cache.open(a, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                PagedFile fb = cache.open(b, StandardOpenOption.READ)) {
            List<Workers.Work> works = new ArrayList<>();
            works.add(() -> {
                while (!stop.get()) {
                    fa.flush(); // another thread's write-back, like the reclaimer's
                }
            });
            works.add(() -> {
                Random r = new Random(3);
                ByteBuffer dst = ByteBuffer.allocate(PAGE);
                while (!stop.get()) {
                    dst.clear();
                    fb.read((long) r.nextInt(64) * PAGE, dst);
                }
            });
            for (int w = 0; w < writers; w++) {
                int page = 2 * w + 1;
                works.add(() -> {
                    try {
                        Random r = new Random(page);
                        byte[] data = new byte[PAGE];
                        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
                        while (!stop.get() && System.nanoTime() < end) {
                            r.nextBytes(data);
                            assertEquals(PAGE, fa.write((long) page * PAGE, WriteSource.of(data)));
                            fa.sync();
                            syncs.incrementAndGet();
                            byte[] image = injector.durableImage(a);
                            byte[] durable = image.length >= (page + 1) * PAGE
                                    ? Arrays.copyOfRange(image, page * PAGE, (page + 1) * PAGE)
                                    : new byte[0];
                            if (!Arrays.equals(data, durable)) {
                                throw new AssertionError("sync() #" + syncs.get() + " returned, but page " + page
                                        + " is not in the durable image (stats " + cache.stats() + ")");
                            }
                        }
                    } finally {
                        stop.set(true);
                    }
                });
            }
            Workers.runAll(
                    "sync-race",
                    works,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis + 60_000),
                    () -> "syncs so far " + syncs.get());
            Figures.report(
                    "findings.syncRace",
                    syncs.get() + " acknowledged syncs racing eviction write-backs, " + "every one durable; cache "
                            + cache.stats());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
