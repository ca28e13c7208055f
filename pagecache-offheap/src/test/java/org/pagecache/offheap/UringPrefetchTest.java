package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.store.StoreFactory;
import org.pagecache.offheap.testing.Threads;

/**
 * Prefetch through io_uring (the module's tests run with native access enabled, so the ring is available
 * here): pages arrive through the ring with the file's bytes, buffered and direct, the tail page too; a store
 * that must see every read still sees every prefetched page-in; and a file closed or truncated with reads in
 * flight leaves no frame locked and no stale byte.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UringPrefetchTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what + "\n" + Threads.dump());
            }
            Thread.sleep(1);
        }
    }

    private Path file(String name, int bytes, long seed) throws IOException {
        byte[] content = new byte[bytes];
        new Random(seed).nextBytes(content);
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    private void prefetchedPagesArriveThroughTheRing(boolean direct) throws Exception {
        assumeTrue(Uring.available(), () -> "io_uring unavailable: " + Uring.unavailableReason());
        int pages = 200;
        int bytes = pages * PAGE - 1000; // the tail page is short
        Path p = file(direct ? "direct.bin" : "buffered.bin", bytes, 11);
        byte[] expected = Files.readAllBytes(p);
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(1024L * PAGE)
                .readAhead(0)
                .build()) {
            PagedFile f;
            try {
                f = direct
                        ? cache.open(p, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)
                        : cache.open(p, StandardOpenOption.READ);
            } catch (IOException e) {
                assumeTrue(false, "direct I/O refused here: " + e.getMessage());
                return;
            }
            try (f) {
                assertEquals("io_uring", cache.prefetchMechanism());
                // one page per call, in a scattered order, as an engine prefetches the pages a query needs
                Random r = new Random(3);
                int[] order = new int[pages];
                for (int i = 0; i < pages; i++) {
                    order[i] = i;
                }
                for (int i = pages - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                for (int page : order) {
                    f.prefetch((long) page * PAGE, PAGE);
                }
                await("every page is paged in", () -> cache.stats().faults() == pages);
                await("no frame is locked", () -> LockedFrames.count(cache) == 0);
                ByteBuffer all = ByteBuffer.allocate(bytes);
                while (all.hasRemaining()) {
                    assertTrue(f.read(all.position(), all) > 0);
                }
                assertArrayEquals(expected, all.array(), "the pages read through the ring");
                assertEquals(pages, cache.stats().faults(), "the reads found every page cached");
                assertEquals(pages, cache.prefetcher().uringReads(), "page-ins through the ring");
            }
        }
    }

    @Test
    void prefetchedPagesArriveThroughTheRingBuffered() throws Exception {
        prefetchedPagesArriveThroughTheRing(false);
    }

    @Test
    void prefetchedPagesArriveThroughTheRingDirect() throws Exception {
        prefetchedPagesArriveThroughTheRing(true);
    }

    /** A store that counts its reads and keeps the default, null bypass path. */
    private static final class CountingStore extends ForwardingStore {
        final AtomicLong reads;

        CountingStore(BackingStore real, AtomicLong reads) {
            super(real);
            this.reads = reads;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            reads.incrementAndGet();
            return super.read(dst, position);
        }
    }

    @Test
    void aStoreThatMustSeeEveryReadSeesThePrefetchedPageIns() throws Exception {
        int pages = 64;
        Path p = file("wrapped.bin", pages * PAGE, 5);
        byte[] expected = Files.readAllBytes(p);
        AtomicLong reads = new AtomicLong();
        StoreFactory real = StoreFactory.defaultFactory();
        StoreFactory counting = (path, options) -> new CountingStore(real.open(path, options), reads);
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(256L * PAGE)
                        .readAhead(0)
                        .storeFactory(counting)
                        .build();
                PagedFile f = cache.open(p, StandardOpenOption.READ)) {
            f.prefetch(0, (long) pages * PAGE);
            await("every page is paged in", () -> cache.stats().faults() == pages);
            assertTrue(reads.get() >= pages, "the store saw " + reads.get() + " reads for " + pages + " page-ins");
            assertEquals(0, cache.prefetcher().uringReads(), "no page-in bypassed the store");
            ByteBuffer all = ByteBuffer.allocate(pages * PAGE);
            while (all.hasRemaining()) {
                f.read(all.position(), all);
            }
            assertArrayEquals(expected, all.array());
        }
    }

    @Test
    void closesAndTruncationsRacingReadsInFlightLeaveNothingLockedOrStale() throws Exception {
        assumeTrue(Uring.available(), () -> "io_uring unavailable: " + Uring.unavailableReason());
        int pages = 256;
        Path p = file("race.bin", pages * PAGE, 9);
        byte[] expected = Files.readAllBytes(p);
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(128L * PAGE) // half the file: prefetches evict each other
                .readAhead(0)
                .build()) {
            for (int round = 0; round < 40; round++) {
                Files.write(p, expected);
                try (PagedFile f = cache.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    for (int page = 0; page < pages; page += 2) {
                        f.prefetch((long) page * PAGE, PAGE);
                    }
                    if (round % 2 == 0) {
                        // a truncation with reads in flight: what is read after it is zeros past the end
                        long cut = (long) (pages / 2) * PAGE + 123;
                        f.truncate(cut);
                        f.write(cut + PAGE, ByteBuffer.wrap(new byte[] {1}));
                        ByteBuffer b = ByteBuffer.allocate(PAGE);
                        f.read(cut, b);
                        for (int i = 0; i < PAGE; i++) {
                            assertEquals(0, b.get(i), "round " + round + ": byte " + (cut + i) + " after truncation");
                        }
                        ByteBuffer head = ByteBuffer.allocate(PAGE);
                        f.read(0, head);
                        for (int i = 0; i < PAGE; i++) {
                            assertEquals(expected[i], head.get(i), "round " + round + ": byte " + i);
                        }
                    }
                    // odd rounds: closed with reads in flight
                }
                await("no frame is locked after round", () -> LockedFrames.count(cache) == 0);
            }
        }
    }
}
