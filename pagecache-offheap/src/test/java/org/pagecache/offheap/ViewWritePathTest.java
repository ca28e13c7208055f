package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InterruptedIOException;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.SourceFaultException;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.testing.Threads;

/**
 * Writes whose source is a view of a cache: W1 (no destination lock held while a source can fault), W4 (no
 * deadlock, memmove semantics, bounded progress) and W5 (the atomic fast path), and the naive strategy that
 * deadlocks where the real one does not.
 */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class ViewWritePathTest {
    private static final int PAGE = 4096;
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static OffHeapPageCache.Builder small(int frames) {
        return OffHeapPageCache.builder().pageSize(PAGE).capacity((long) frames * PAGE);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] readAll(PagedFile f) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) f.size());
        f.read(0, b);
        return b.array();
    }

    @Test
    void selfMappedWriteDoesNotDeadlockAndBehavesLikeMemmove() throws Exception {
        // [srcOffset, dstOffset, length] within one file; forward and backward overlap, within and across pages
        int[][] cases = {
            {0, 100, 3000},
            {100, 0, 3000},
            {10, 11, 4000},
            {11, 10, 4000},
            {1000, 3000, 6000},
            {3000, 1000, 6000},
            {0, 0, PAGE},
            {PAGE - 5, 2, PAGE},
            {2, PAGE - 5, 3 * PAGE},
        };
        for (boolean resident : new boolean[] {true, false}) {
            for (int[] c : cases) {
                byte[] initial = pattern(5 * PAGE, c[0] * 31 + c[1]);
                Path file = dir.resolve("self-" + resident + "-" + c[0] + "-" + c[1]);
                Files.write(file, initial);
                // with 8 frames and a 5-page file read once, a fresh cache holds the pages (resident) or not
                try (PageCache cache = small(16).build();
                        PagedFile f = cache.open(file)) {
                    if (resident) {
                        readAll(f);
                    }
                    byte[] model = initial.clone();
                    System.arraycopy(model, c[0], model, c[1], c[2]);
                    AtomicReference<Long> written = new AtomicReference<>();
                    Threads.runAll(BOUND, List.of(() -> {
                        try (MappedView view = f.map(c[0], c[2])) {
                            written.set(f.write(c[1], view));
                        }
                    }));
                    assertEquals(c[2], written.get());
                    // memmove is exact when the write stays inside one page; across pages each chunk is copied
                    // from a snapshot taken before that chunk, so the model is a chunk-by-chunk copy
                    byte[] chunked = chunkedCopy(initial, c[0], c[1], c[2]);
                    if (c[1] % PAGE + c[2] <= PAGE) {
                        assertArrayEquals(model, chunked, "the model of a one-page write is memmove");
                    }
                    assertArrayEquals(chunked, readAll(f), "case " + Arrays.toString(c) + " resident " + resident);
                    PageCacheStats s = cache.stats();
                    if (resident) {
                        assertTrue(s.fastPathHits() > 0, "resident views take the fast path: " + s);
                    } else {
                        assertTrue(s.tempPageCopies() > 0, "non-resident views take the temporary page: " + s);
                    }
                }
            }
        }
    }

    /** Each destination chunk (page-bounded) copied from the source as it was just before that chunk. */
    private static byte[] chunkedCopy(byte[] initial, int src, int dst, int len) {
        byte[] m = initial.clone();
        int done = 0;
        while (done < len) {
            int n = Math.min(len - done, PAGE - (dst + done) % PAGE);
            System.arraycopy(m, src + done, m, dst + done, n);
            done += n;
        }
        return m;
    }

    @Test
    void crossViewWritesOfTwoFilesOnTheSamePagesDoNotDeadlock() throws Exception {
        int pages = 8;
        Path a = dir.resolve("A");
        Path b = dir.resolve("B");
        Files.write(a, pattern(pages * PAGE, 1));
        Files.write(b, pattern(pages * PAGE, 2));
        try (PageCache cache = small(12).build();
                PagedFile fa = cache.open(a);
                PagedFile fb = cache.open(b)) {
            int rounds = 3000;
            AtomicInteger done = new AtomicInteger();
            Threads.runAll(
                    BOUND,
                    List.of(
                            () -> crossWrites(fa, fb, pages, rounds, 1, done),
                            () -> crossWrites(fb, fa, pages, rounds, 2, done)));
            assertEquals(2 * rounds, done.get());
            PageCacheStats s = cache.stats();
            assertTrue(s.fastPathHits() + s.fastPathFallbacks() >= 2L * rounds, s.toString());
        }
    }

    private static void crossWrites(PagedFile dst, PagedFile src, int pages, int rounds, int seed, AtomicInteger done)
            throws IOException {
        Random r = new Random(seed);
        for (int i = 0; i < rounds; i++) {
            int page = r.nextInt(pages);
            int off = r.nextInt(PAGE / 2);
            int len = 1 + r.nextInt(PAGE + PAGE / 2);
            long pos = (long) page * PAGE + off;
            if (pos + len > (long) pages * PAGE) {
                len = (int) ((long) pages * PAGE - pos);
            }
            try (MappedView view = src.map(pos, len)) {
                assertEquals(len, dst.write(pos, view));
            }
            done.incrementAndGet();
        }
    }

    @Test
    void viewWriteCompletesWhenTheSourcePageInMustEvict() throws Exception {
        int frames = 16;
        Path src = dir.resolve("src");
        byte[] srcBytes = pattern(4 * frames * PAGE, 5);
        Files.write(src, srcBytes);
        try (PageCache cache = small(frames).build();
                PagedFile fs = cache.open(src);
                PagedFile fd = cache.open(dir.resolve("dst"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            // fill every frame with dirty destination pages, then copy source pages that are not cached
            byte[] page = new byte[PAGE];
            for (int p = 0; p < frames; p++) {
                Arrays.fill(page, (byte) p);
                fd.write((long) p * PAGE, WriteSource.of(page));
            }
            Threads.runAll(BOUND, List.of(() -> {
                try (MappedView view = fs.map(0, srcBytes.length)) {
                    assertEquals(srcBytes.length, fd.write(0, view));
                }
            }));
            assertArrayEquals(srcBytes, readAll(fd));
            assertTrue(cache.stats().evictions() > 0, cache.stats().toString());
        }
    }

    @Test
    void aViewPastTheEndOfItsFileFaultsWithoutChangingTheDestination() throws Exception {
        Path src = dir.resolve("short");
        Files.write(src, pattern(PAGE + 10, 9));
        try (PageCache cache = small(16).build();
                PagedFile fs = cache.open(src);
                PagedFile fd = cache.open(dir.resolve("d"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] before = pattern(3 * PAGE, 10);
            fd.write(0, WriteSource.of(before));
            try (MappedView view = fs.map(PAGE + 20, 3 * PAGE)) {
                SourceFaultException e = assertThrows(SourceFaultException.class, () -> fd.write(0, view));
                assertEquals(0, e.bytesWritten());
            }
            // the second chunk starts past the end: a short write of the first chunk
            try (MappedView view = fs.map(0, 3 * PAGE)) {
                assertEquals(PAGE, fd.write(0, view));
            }
            byte[] expected = before.clone();
            System.arraycopy(Files.readAllBytes(src), 0, expected, 0, PAGE);
            assertArrayEquals(expected, readAll(fd));
            assertEquals(2, cache.stats().sourceFaults());
        }
    }

    @Test
    void aViewWhosePageInKeepsFailingFaultsWithoutLivelock() throws Exception {
        Path src = dir.resolve("broken");
        Files.write(src, pattern(2 * PAGE, 11));
        HookedStore.ReadHook fail = (p, pos) -> {
            if (p.getFileName().toString().equals("broken")) {
                throw new IOException("injected read error");
            }
        };
        try (PageCache cache = small(16)
                        .storeFactory(HookedStore.factory(fail, new AtomicInteger()))
                        .build();
                PagedFile fs = cache.open(src);
                PagedFile fd = cache.open(dir.resolve("d"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] before = pattern(PAGE, 12);
            fd.write(0, WriteSource.of(before));
            Threads.runAll(BOUND, List.of(() -> {
                try (MappedView view = fs.map(0, 2 * PAGE)) {
                    SourceFaultException e = assertThrows(SourceFaultException.class, () -> fd.write(0, view));
                    assertTrue(e.getCause() instanceof IOException, "cause: " + e.getCause());
                }
            }));
            assertArrayEquals(before, Arrays.copyOf(readAll(fd), PAGE));
        }
    }

    // ------------------------------------------------------------------ the naive strategy deadlocks

    @Test
    void naiveStrategyDeadlocksOnASelfViewWhereTheRealOneDoesNot() throws Exception {
        assertNaiveDeadlocks(
                1,
                (fa, fb) -> List.of(() -> {
                    try (MappedView view = fa.map(10, 1000)) {
                        fa.write(0, view);
                    }
                }));
    }

    @Test
    void naiveStrategyDeadlocksOnCrossViewsWhereTheRealOneDoesNot() throws Exception {
        assertNaiveDeadlocks(2, (fa, fb) -> {
            AtomicInteger gate = new AtomicInteger();
            return List.of(() -> naiveCross(fa, fb, gate), () -> naiveCross(fb, fa, gate));
        });
    }

    private static void naiveCross(PagedFile dst, PagedFile src, AtomicInteger gate) throws IOException {
        // many rounds on page 0 of both files: with the naive strategy the two threads meet ABBA at some point
        for (int i = 0; i < 1_000_000; i++) {
            if (Thread.currentThread().isInterrupted()) {
                // released from the deadlock by the test, after the other writer unwound
                throw new InterruptedIOException("interrupted after round " + i);
            }
            try (MappedView view = src.map(0, 2000)) {
                dst.write(100, view);
            }
        }
        gate.incrementAndGet();
    }

    private interface Scenario {
        List<Threads.Task> tasks(PagedFile a, PagedFile b) throws IOException;
    }

    private void assertNaiveDeadlocks(int threads, Scenario scenario) throws Exception {
        Path a = dir.resolve("na");
        Path b = dir.resolve("nb");
        Files.write(a, pattern(2 * PAGE, 21));
        Files.write(b, pattern(2 * PAGE, 22));
        try (PageCache cache = NaiveViewWriter.install(small(16)).build();
                PagedFile fa = cache.open(a);
                PagedFile fb = cache.open(b)) {
            fa.read(0, ByteBuffer.allocate(2 * PAGE));
            fb.read(0, ByteBuffer.allocate(2 * PAGE));
            List<Thread> workers = new ArrayList<>();
            List<Throwable> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
            for (Threads.Task t : scenario.tasks(fa, fb)) {
                Thread w = new Thread(
                        () -> {
                            try {
                                t.run();
                                outcomes.add(new AssertionError("completed"));
                            } catch (Throwable e) {
                                outcomes.add(e);
                            }
                        },
                        "naive-writer");
                w.setDaemon(true);
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join(TimeUnit.SECONDS.toMillis(5));
            }
            long stuck = workers.stream().filter(Thread::isAlive).count();
            String dump = Threads.dump();
            if (stuck != threads) {
                fail("expected the naive strategy to deadlock " + threads + " writer(s), " + stuck + " stuck; outcomes "
                        + outcomes + "\n" + dump);
            }
            assertTrue(dump.contains("lockInterruptibly"), "stuck waiting for a page lock:\n" + dump);
            // the expected deadlock: unwind it so every lock is released and the cache closes cleanly
            workers.forEach(Thread::interrupt);
            for (Thread w : workers) {
                w.join(TimeUnit.SECONDS.toMillis(10));
                assertTrue(!w.isAlive(), "writer unwound after interrupt");
            }
            assertEquals(
                    threads,
                    outcomes.stream()
                            .filter(e -> e instanceof InterruptedIOException)
                            .count(),
                    "every writer was stuck in the deadlock: " + outcomes);
            // and nothing stays locked: a normal read of the pages completes
            Threads.runAll(BOUND, List.of(() -> {
                fa.read(0, ByteBuffer.allocate(PAGE));
                fb.read(0, ByteBuffer.allocate(PAGE));
            }));
        }
    }
}
