package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.testing.Threads;

class ConcurrencyTest {
    private static final int PAGE = 4096;
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void noTornPageReadsWhileWritersWriteWholePagePatterns() throws Exception {
        // 64 pages over a 32-frame cache: reads race with writers and with eviction and page-in
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(32 * PAGE)
                        .build();
                PagedFile f = cache.open(dir.resolve("torn"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            int pages = 64;
            f.write(0, WriteSource.of(new byte[pages * PAGE]));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong checked = new AtomicLong();
            List<Threads.Task> tasks = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int seed = w;
                tasks.add(() -> {
                    byte[] page = new byte[PAGE];
                    WriteSource src = WriteSource.of(page);
                    java.util.Random r = new java.util.Random(seed);
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                    while (System.nanoTime() < end) {
                        Arrays.fill(page, (byte) (1 + r.nextInt(255)));
                        f.write((long) r.nextInt(pages) * PAGE, src);
                    }
                    stop.set(true);
                });
            }
            for (int rd = 0; rd < 2; rd++) {
                int seed = 100 + rd;
                tasks.add(() -> {
                    ByteBuffer whole = ByteBuffer.allocate(PAGE);
                    ByteBuffer part = ByteBuffer.allocateDirect(700);
                    java.util.Random r = new java.util.Random(seed);
                    while (!stop.get()) {
                        int page = r.nextInt(pages);
                        whole.clear();
                        assertEquals(PAGE, f.read((long) page * PAGE, whole));
                        assertUniform(whole.array(), 0, PAGE, page);
                        part.clear();
                        int off = r.nextInt(PAGE - 700);
                        assertEquals(700, f.read((long) page * PAGE + off, part));
                        byte first = part.get(0);
                        for (int i = 1; i < 700; i++) {
                            if (part.get(i) != first) {
                                fail("torn read of page " + page + " at " + (off + i));
                            }
                        }
                        checked.incrementAndGet();
                    }
                });
            }
            Threads.runAll(BOUND, tasks);
            assertTrue(checked.get() > 100, "readers checked " + checked.get() + " pages");
        }
    }

    private static void assertUniform(byte[] a, int from, int to, int page) {
        for (int i = from + 1; i < to; i++) {
            if (a[i] != a[from]) {
                fail("torn read of page " + page + ": byte " + i + " is " + a[i] + ", byte " + from + " is " + a[from]);
            }
        }
    }

    @Test
    void manyThreadsFaultingOnePageCauseOneRead() throws Exception {
        Path file = dir.resolve("one");
        byte[] content = new byte[PAGE];
        Arrays.fill(content, (byte) 42);
        Files.write(file, content);
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        HookedStore.ReadHook hold = (p, pos) -> {
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("test latch never released");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        };
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16 * PAGE)
                        .storeFactory(HookedStore.factory(hold, reads))
                        .build();
                PagedFile f = cache.open(file)) {
            int threads = 8;
            CountDownLatch started = new CountDownLatch(threads);
            List<Threads.Task> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                tasks.add(() -> {
                    started.countDown();
                    ByteBuffer b = ByteBuffer.allocate(PAGE);
                    assertEquals(PAGE, f.read(0, b));
                    for (byte x : b.array()) {
                        assertEquals(42, x);
                    }
                });
            }
            Thread releaser = new Thread(() -> {
                try {
                    started.await();
                    Thread.sleep(200); // let every reader reach the page before its I/O completes
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                release.countDown();
            });
            releaser.start();
            Threads.runAll(BOUND, tasks);
            releaser.join();
            assertEquals(1, reads.get(), "store reads for one page faulted by " + threads + " threads");
            assertEquals(1, cache.stats().faults());
        }
    }

    @Test
    void blockedViewSourceDoesNotBlockTheDestinationPage() throws Exception {
        Path source = dir.resolve("slow-source");
        Path dest = dir.resolve("dest");
        byte[] srcBytes = new byte[PAGE];
        Arrays.fill(srcBytes, (byte) 5);
        Files.write(source, srcBytes);
        CountDownLatch inRead = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HookedStore.ReadHook holdSource = (p, pos) -> {
            if (p.getFileName().toString().equals("slow-source")) {
                inRead.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("test latch never released");
                    }
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        };
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16 * PAGE)
                        .storeFactory(HookedStore.factory(holdSource, new AtomicInteger()))
                        .build();
                PagedFile src = cache.open(source);
                PagedFile dst = cache.open(dest, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] ones = new byte[PAGE];
            Arrays.fill(ones, (byte) 1);
            dst.write(0, WriteSource.of(ones));
            MappedView view = src.map(0, PAGE);
            List<Threads.Task> tasks = new ArrayList<>();
            tasks.add(() -> assertEquals(PAGE, dst.write(0, view)));
            tasks.add(() -> {
                assertTrue(inRead.await(30, TimeUnit.SECONDS), "the view's page-in started");
                // the writer is now stuck reading its source; the destination page must stay usable
                ByteBuffer b = ByteBuffer.allocate(PAGE);
                assertEquals(PAGE, dst.read(0, b));
                assertArrayEquals(ones, b.array());
                byte[] twos = new byte[100];
                Arrays.fill(twos, (byte) 2);
                assertEquals(100, dst.write(10, WriteSource.of(twos)));
                b.clear();
                dst.read(0, b);
                assertEquals(2, b.get(10));
                release.countDown();
            });
            Threads.runAll(BOUND, tasks);
            ByteBuffer after = ByteBuffer.allocate(PAGE);
            dst.read(0, after);
            assertArrayEquals(srcBytes, after.array(), "the view write landed last and whole");
            assertEquals(1, cache.stats().tempPageCopies());
        }
    }

    @Test
    void evictionAndWritebackKeepAFileSixteenTimesTheCacheCorrect() throws Exception {
        int frames = 64;
        int pages = 16 * frames;
        Path file = dir.resolve("big");
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity((long) frames * PAGE)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] page = new byte[PAGE];
            for (int p = 0; p < pages; p++) {
                fillPage(page, p, 0);
                f.write((long) p * PAGE, WriteSource.of(page));
            }
            java.util.Random r = new java.util.Random(3);
            int[] generation = new int[pages];
            for (int i = 0; i < 3 * pages; i++) {
                int p = r.nextInt(pages);
                generation[p]++;
                fillPage(page, p, generation[p]);
                f.write((long) p * PAGE, ByteBuffer.wrap(page));
            }
            ByteBuffer back = ByteBuffer.allocate(PAGE);
            for (int p = 0; p < pages; p++) {
                back.clear();
                assertEquals(PAGE, f.read((long) p * PAGE, back));
                fillPage(page, p, generation[p]);
                assertArrayEquals(page, back.array(), "page " + p);
            }
            assertTrue(
                    cache.stats().evictions() > pages,
                    "evictions " + cache.stats().evictions());
            assertTrue(
                    cache.stats().writebacks() > pages,
                    "writebacks " + cache.stats().writebacks());
            f.close();
            byte[] disk = Files.readAllBytes(file);
            assertEquals((long) pages * PAGE, disk.length);
            for (int p = 0; p < pages; p++) {
                fillPage(page, p, generation[p]);
                assertArrayEquals(page, Arrays.copyOfRange(disk, p * PAGE, (p + 1) * PAGE), "page " + p + " on disk");
            }
        }
    }

    static void fillPage(byte[] page, int p, int generation) {
        for (int i = 0; i < page.length; i++) {
            page[i] = (byte) (p * 31 + generation * 7 + i * 13 + 1);
        }
    }
}
