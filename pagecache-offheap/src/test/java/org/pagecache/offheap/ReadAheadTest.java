package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.store.StoreFactory;

/** Sequential read-ahead: fewer, larger store reads for sequential misses, none for random ones. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadAheadTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    /** Counts the store reads and the bytes each asked for. */
    private static final class Counting implements StoreFactory {
        final AtomicInteger reads = new AtomicInteger();
        final ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();

        @Override
        public BackingStore open(Path file, Set<OpenOption> options) throws IOException {
            BackingStore real = StoreFactory.defaultFactory().open(file, options);
            return new ForwardingStore(real) {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    reads.incrementAndGet();
                    sizes.add(dst.remaining());
                    return real.read(dst, position);
                }
            };
        }
    }

    private Path file(int pages) throws IOException {
        Path file = dir.resolve("data");
        byte[] data = new byte[pages * PAGE];
        new Random(pages).nextBytes(data);
        Files.write(file, data);
        return file;
    }

    private static byte[] readSequentially(PagedFile f, int pages) throws IOException {
        byte[] all = new byte[pages * PAGE];
        ByteBuffer one = ByteBuffer.allocate(PAGE);
        for (int p = 0; p < pages; p++) {
            one.clear();
            assertEquals(PAGE, f.read((long) p * PAGE, one));
            System.arraycopy(one.array(), 0, all, p * PAGE, PAGE);
        }
        return all;
    }

    @Test
    void sequentialReadsTriggerFewerLargerStoreReads() throws IOException {
        int pages = 1024;
        Path file = file(pages);
        Counting counting = new Counting();
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(2048L * PAGE)
                        .storeFactory(counting)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            assertArrayEquals(Files.readAllBytes(file), readSequentially(f, pages));
            assertTrue(
                    counting.reads.get() < pages / 4,
                    counting.reads.get() + " store reads for " + pages + " pages read in order");
            int largest =
                    counting.sizes.stream().mapToInt(Integer::intValue).max().orElse(0);
            assertEquals(OffHeapPageCache.DEFAULT_READ_AHEAD * PAGE, largest, "the window grew to the maximum");
            assertTrue(cache.readAheadPages() > pages / 2, cache.readAheadPages() + " pages read ahead");
            assertEquals(pages, cache.stats().faults(), "every page was read in once, read ahead or not");
        }
    }

    @Test
    void directIoReadsAheadToo() throws IOException {
        int pages = 512;
        Path file = file(pages);
        Counting counting = new Counting();
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(2048L * PAGE)
                        .readAhead(32)
                        .storeFactory(counting)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            assertArrayEquals(Files.readAllBytes(file), readSequentially(f, pages));
            assertTrue(counting.reads.get() < pages / 4, counting.reads.get() + " store reads");
            int largest =
                    counting.sizes.stream().mapToInt(Integer::intValue).max().orElse(0);
            assertEquals(32 * PAGE, largest, "the window grew to the maximum given");
        }
    }

    @Test
    void randomReadsTriggerNone() throws IOException {
        int pages = 1024;
        Path file = file(pages);
        byte[] expected = Files.readAllBytes(file);
        List<Integer> order = new ArrayList<>();
        for (int p = 0; p < pages; p += 2) {
            order.add(p); // even pages only: no read is ever for the page after the previous miss
        }
        Collections.shuffle(order, new Random(7));
        Counting counting = new Counting();
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(2048L * PAGE)
                        .storeFactory(counting)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(PAGE);
            for (int p : order) {
                one.clear();
                assertEquals(PAGE, f.read((long) p * PAGE, one));
                assertArrayEquals(java.util.Arrays.copyOfRange(expected, p * PAGE, (p + 1) * PAGE), one.array());
            }
            assertEquals(order.size(), counting.reads.get(), "one store read per random miss, nothing more");
            assertEquals(0, cache.readAheadPages());
            assertEquals(0, cache.readAhead().windows(), "no window was even queued");
        }
    }

    @Test
    void readAheadZeroTurnsItOff() throws IOException {
        int pages = 256;
        Path file = file(pages);
        Counting counting = new Counting();
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(1024L * PAGE)
                        .readAhead(0)
                        .storeFactory(counting)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            readSequentially(f, pages);
            assertEquals(pages, counting.reads.get());
            assertEquals(0, cache.readAheadPages());
        }
    }

    @Test
    void builderValidatesTheWindow() {
        assertThrows(
                IllegalArgumentException.class, () -> OffHeapPageCache.builder().readAhead(-1));
        assertThrows(
                IllegalArgumentException.class, () -> OffHeapPageCache.builder().readAhead(1025));
    }

    @Test
    void pagesReadAheadAreNotUsesUntilRead() throws Exception {
        int pages = 256;
        Path file = file(pages);
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(1024L * PAGE)
                        .readAhead(16)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(PAGE);
            for (int p = 0; p < 2; p++) {
                one.clear();
                f.read((long) p * PAGE, one);
            }
            // the second miss was sequential: the reader read pages 1..4 at once, the marker is page 3
            assertEquals(ReadAhead.INITIAL, cache.readAheadPages());
            CachedFile cf = ((FileHandle) f).file();
            FrameTable frames = cache.frames();
            for (int p = 2; p <= ReadAhead.INITIAL; p++) {
                int frame = cf.table().get(p);
                assertTrue(frame >= 0, "page " + p + " was read ahead");
                long s = frames.state(frame);
                assertTrue((s & FrameTable.UPTODATE) != 0 && (s & FrameTable.LOCKED) == 0, "page " + p + " is ready");
                assertEquals(0, s & FrameTable.REFERENCED, "page " + p + " read ahead is not referenced");
            }
            one.clear();
            f.read(2L * PAGE, one);
            assertEquals(
                    0,
                    frames.state(cf.table().get(2)) & FrameTable.REFERENCED,
                    "the first read of a page read ahead is its first touch, which is not a use (as a fault is not)");
            one.clear();
            f.read(2L * PAGE, one);
            assertTrue((frames.state(cf.table().get(2)) & FrameTable.REFERENCED) != 0, "the second read is a use");
            assertEquals(ReadAhead.INITIAL, cache.readAheadPages(), "no miss, no marker: nothing more");
            one.clear();
            f.read(3L * PAGE, one); // the marker: the next window, 8 pages from page 5, goes to the background
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (cache.readAheadPages() < 3L * ReadAhead.INITIAL && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(3L * ReadAhead.INITIAL, cache.readAheadPages(), "the second window doubled");
            assertTrue(cf.table().get(4 + 2 * ReadAhead.INITIAL) >= 0, "its last page is cached");
            assertTrue(cf.table().get(5 + 2 * ReadAhead.INITIAL) < 0, "and nothing beyond it");
            int last = cf.table().get(4 + 2 * ReadAhead.INITIAL);
            assertEquals(0, frames.state(last) & FrameTable.REFERENCED, "a background page is not referenced");
        }
    }

    @Test
    void sequentialReadsInASmallCacheStayCorrect() throws IOException {
        // 64 frames for a file of 512 pages: read-ahead runs out of free frames and its pages are evicted
        int pages = 512;
        Path file = file(pages);
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(64L * PAGE)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            assertTrue(cache.readAhead().maxPages() == 8, "the window is at most an eighth of the frames");
            for (int pass = 0; pass < 2; pass++) {
                assertArrayEquals(Files.readAllBytes(file), readSequentially(f, pages), "content under pressure");
            }
            assertTrue(cache.readAheadPages() > 0, "it still read ahead");
        }
    }
}
