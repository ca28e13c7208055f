package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.FileChannelStore;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.store.StoreFactory;
import org.pagecache.offheap.testing.Stats;
import org.pagecache.offheap.testing.Threads;

/**
 * Everyday faults of I/O and durability (issue 9: findings 1, 2, 8, 9, 10, 14, 15), each forced through the
 * public API and a store wrapped around the real one ({@link StoreFactory#defaultFactory()}).
 */
class EverydayFaultsTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static byte[] page(int value) {
        byte[] b = new byte[PAGE];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(PagedFile f, long pos, int n) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(n);
        while (dst.hasRemaining()) {
            if (f.read(pos + dst.position(), dst) < 0) {
                break;
            }
        }
        return dst.array();
    }

    /** A store around the default one; subclasses override what they change. */
    private static class Delegating extends ForwardingStore {
        Delegating(BackingStore real) {
            super(real);
        }
    }

    // ------------------------------------------------------------------------------------------ finding 1

    /**
     * Readers and a writer share one file through a small cache (every read is likely a page-in, every write may
     * write back) while one reader is interrupted again and again. The others never see an exception and always
     * read the right bytes; the interrupted one only ever sees its own operation fail with an interrupt exception,
     * or complete; afterwards flush, sync and close work and everything written is on disk.
     */
    @Test
    void interruptOfOneReaderDoesNotBreakTheFileForOthers() throws Exception {
        Path file = dir.resolve("shared.bin");
        int pages = 256;
        byte[] content = random(1, pages * PAGE);
        Files.write(file, content);
        long reopensBefore = FileChannelStore.reopens();
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16L * PAGE)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Thread> victim = new AtomicReference<>();
            AtomicLong interruptedOps = new AtomicLong();
            AtomicLong victimOps = new AtomicLong();
            List<Threads.Task> tasks = new ArrayList<>();
            tasks.add(
                    () -> { // the victim: interrupted all the time
                        victim.set(Thread.currentThread());
                        Random r = new Random(2);
                        for (int i = 0; i < 4000; i++) {
                            int p = r.nextInt(pages / 2);
                            try {
                                byte[] got = read(f, (long) p * PAGE, PAGE);
                                assertArrayEquals(
                                        Arrays.copyOfRange(content, p * PAGE, (p + 1) * PAGE), got, "page " + p);
                                victimOps.incrementAndGet();
                            } catch (ClosedByInterruptException | InterruptedIOException e) {
                                interruptedOps.incrementAndGet();
                            }
                            Thread.interrupted();
                        }
                        stop.set(true);
                    });
            tasks.add(
                    () -> { // the interrupter
                        while (!stop.get()) {
                            Thread t = victim.get();
                            if (t != null) {
                                t.interrupt();
                            }
                            Thread.onSpinWait();
                        }
                    });
            for (int w = 0; w < 2; w++) {
                int seed = 10 + w;
                tasks.add(
                        () -> { // bystanders: read the first half
                            Random r = new Random(seed);
                            while (!stop.get()) {
                                int p = r.nextInt(pages / 2);
                                assertArrayEquals(
                                        Arrays.copyOfRange(content, p * PAGE, (p + 1) * PAGE),
                                        read(f, (long) p * PAGE, PAGE),
                                        "page " + p);
                            }
                        });
            }
            tasks.add(
                    () -> { // a bystander writing the second half, which the victim's reclaim may write back
                        Random r = new Random(20);
                        while (!stop.get()) {
                            int p = pages / 2 + r.nextInt(pages / 2);
                            byte[] data = random(p, PAGE);
                            assertEquals(PAGE, f.write((long) p * PAGE, WriteSource.of(data)));
                            System.arraycopy(data, 0, content, p * PAGE, PAGE);
                        }
                    });
            Threads.runAll(Duration.ofSeconds(60), tasks);
            f.flush();
            f.sync();
            Figures.report(
                    "EverydayFaultsTest",
                    "interrupt storm: victim completed " + victimOps.get() + " reads, " + interruptedOps.get()
                            + " failed with an interrupt exception; channel re-opens "
                            + (FileChannelStore.reopens() - reopensBefore));
        }
        assertArrayEquals(content, Files.readAllBytes(file), "every byte written is on disk");
    }

    /**
     * A thread whose interrupt flag is set (as after an interrupted lock wait) pages in, and by direct reclaim
     * writes back another file's dirty pages: both complete, its flag is still set, and the other file keeps
     * working: its flush and close succeed and its data is on disk.
     */
    @Test
    void interruptedReaderWritingBackAnotherFilesPagesDoesNotBreakThatFile() throws Exception {
        Path x = dir.resolve("x.bin");
        Path y = dir.resolve("y.bin");
        byte[] yContent = random(3, 64 * PAGE);
        Files.write(y, yContent);
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(16L * PAGE)
                .reclaimWatermarks(1, 2)
                .build()) {
            PagedFile fx = cache.open(x, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            PagedFile fy = cache.open(y, StandardOpenOption.READ);
            byte[] xContent = new byte[0];
            for (int round = 0; round < 8; round++) {
                xContent = random(100 + round, 16 * PAGE);
                assertEquals(xContent.length, fx.write(0, WriteSource.of(xContent))); // the cache is all X's, dirty
                int from = (round * 16) % 64;
                Threads.runAll(Duration.ofSeconds(30), List.of(() -> {
                    Thread.currentThread().interrupt();
                    for (int p = from; p < from + 16; p++) {
                        try {
                            assertArrayEquals(
                                    Arrays.copyOfRange(yContent, p * PAGE, (p + 1) * PAGE),
                                    read(fy, (long) p * PAGE, PAGE));
                        } catch (InterruptedIOException e) {
                            // allowed: no frame was free at once (the reclaimer had X's pages in write-back)
                        }
                        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag is kept");
                    }
                }));
                fx.flush();
            }
            fx.sync();
            fx.close();
            fy.close();
            assertArrayEquals(xContent, Files.readAllBytes(x));
        }
    }

    /**
     * Every frame holds a dirty page whose write-back fails, so a page-in must wait for a frame: an interrupted
     * thread gives up at once with {@link InterruptedIOException} and its flag set, instead of spinning through
     * the whole frame wait (parkNanos returns at once while the flag is set).
     */
    @Test
    void interruptedThreadWaitingForAFrameGivesUpAtOnce() throws Exception {
        FaultInjector faults = new FaultInjector(5).rate(FaultInjector.Kind.WRITE_ERROR, 1.0);
        Path x = dir.resolve("dirty.bin");
        Path y = dir.resolve("other.bin");
        Files.write(y, random(6, 4 * PAGE));
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(8L * PAGE)
                .storeFactory(faults)
                .frameWaitTimeout(Duration.ofSeconds(120))
                .build()) {
            faults.target(p -> p.getFileName().toString().equals("dirty.bin"));
            PagedFile fx = cache.open(x, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            PagedFile fy = cache.open(y, StandardOpenOption.READ);
            assertEquals(8L * PAGE, fx.write(0, WriteSource.of(random(7, 8 * PAGE))));
            Threads.runAll(Duration.ofSeconds(20), List.of(() -> {
                Thread.currentThread().interrupt();
                assertThrows(InterruptedIOException.class, () -> read(fy, 0, PAGE));
                assertTrue(Thread.interrupted(), "the interrupt flag is kept");
            }));
            faults.enabled(false);
            fx.flush();
            fx.close();
            fy.close();
        } finally {
            faults.enabled(false);
        }
    }

    // ------------------------------------------------------------------------------------------ finding 2

    /** A store whose writes throw an {@code Error} while {@link #failing} is set. */
    private static final class ErrorStore extends Delegating {
        static final AtomicBoolean failing = new AtomicBoolean();

        ErrorStore(BackingStore real) {
            super(real);
        }

        @Override
        public long write(ByteBuffer[] srcs, long position) throws IOException {
            if (failing.get()) {
                throw new OutOfMemoryError("injected by the test store");
            }
            return super.write(srcs, position);
        }
    }

    private static Set<Thread> reclaimerThreads() {
        Set<Thread> all = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("pagecache-reclaimer") && t.isAlive()) {
                all.add(t);
            }
        }
        return all;
    }

    /**
     * Write-back throws an {@code Error}, from a flush and from the reclaimer's own thread: no page is left in
     * write-back or clean, the reclaimer thread survives and counts the failures in {@code stats()}, and once the
     * store is healthy flush writes everything and close succeeds.
     */
    @Test
    void errorInWritebackLeavesPagesDirtyAndTheReclaimerRunning() throws Exception {
        Path file = dir.resolve("error.bin");
        StoreFactory factory =
                (p, o) -> new ErrorStore(StoreFactory.defaultFactory().open(p, o));
        Set<Thread> before = reclaimerThreads();
        ErrorStore.failing.set(false);
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(32L * PAGE)
                .storeFactory(factory)
                .frameWaitTimeout(Duration.ofSeconds(2))
                .reclaimWatermarks(4, 8)
                .dirtyRatio(1)
                .dirtyBackgroundRatio(1)
                .build()) { // only flush and the reclaimer write back
            Set<Thread> mine = reclaimerThreads();
            mine.removeAll(before);
            assertEquals(1, mine.size(), "one new reclaimer thread");
            Thread reclaimer = mine.iterator().next();
            PagedFile f =
                    cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            byte[] first = random(8, 8 * PAGE);
            assertEquals(first.length, f.write(0, WriteSource.of(first)));
            ErrorStore.failing.set(true);
            assertThrows(OutOfMemoryError.class, f::flush);
            assertEquals(8, cache.stats().dirtyFrames(), "the pages stay dirty (none stuck in write-back)");
            // fill the cache: the reclaimer thread must write back, and meets the Error
            byte[] content = new byte[64 * PAGE];
            System.arraycopy(first, 0, content, 0, first.length);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (int p = 8; p < 31 && cache.stats().reclaimerFailures() == 0; p++) {
                byte[] data = random(p, PAGE);
                try {
                    f.write((long) p * PAGE, WriteSource.of(data));
                    System.arraycopy(data, 0, content, p * PAGE, PAGE);
                } catch (OutOfMemoryError | IOException e) {
                    // direct reclaim met the Error (or no frame in time): the write failed, nothing changed
                }
            }
            while (cache.stats().reclaimerFailures() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(cache.stats().reclaimerFailures() > 0, "the reclaimer's failures are counted");
            assertTrue(reclaimer.isAlive(), "the reclaimer thread survives an Error");
            ErrorStore.failing.set(false);
            f.flush();
            assertEquals(0, cache.stats().dirtyFrames(), "everything written back once the store is healthy");
            long size = f.size();
            f.close();
            assertArrayEquals(Arrays.copyOf(content, (int) size), Files.readAllBytes(file));
            assertTrue(reclaimer.isAlive(), "the reclaimer thread is still running");
        } finally {
            ErrorStore.failing.set(false);
        }
    }

    /**
     * A store that fails every write-back of the cache's own threads, the reclaimer and the background
     * write-back of the dirty limit (so only direct reclaim can free a frame), and throws an {@code Error} once at
     * the first other write after {@link #armed} is set.
     */
    private static final class ForeignErrorStore extends Delegating {
        static final AtomicBoolean armed = new AtomicBoolean();

        ForeignErrorStore(BackingStore real) {
            super(real);
        }

        @Override
        public long write(ByteBuffer[] srcs, long position) throws IOException {
            String thread = Thread.currentThread().getName();
            if (thread.startsWith("pagecache-reclaimer") || thread.startsWith("pagecache-writeback")) {
                throw new IOException("the cache's own write-back threads fail in this test");
            }
            if (armed.compareAndSet(true, false)) {
                throw new StackOverflowError("injected into another file's write-back");
            }
            return super.write(srcs, position);
        }
    }

    /**
     * A read of file Y needs a frame; every frame holds a dirty page of file X, so the reader's direct reclaim
     * writes X back, and X's store throws an {@code Error}. That failure is X's (recorded on it; its pages stay
     * dirty and are written by the next attempt), never the reader's: before, the {@code StackOverflowError}
     * came out of the read of Y.
     */
    @Test
    void anErrorInAnotherFilesWriteBackDuringDirectReclaimIsNotTheReadersFailure() throws Exception {
        Path x = dir.resolve("x.bin");
        Path y = dir.resolve("y.bin");
        byte[] yData = random(5, 2 * PAGE);
        Files.write(y, yData);
        StoreFactory factory = (p, o) -> p.getFileName().toString().equals("x.bin")
                ? new ForeignErrorStore(StoreFactory.defaultFactory().open(p, o))
                : StoreFactory.defaultFactory().open(p, o);
        ForeignErrorStore.armed.set(false);
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(16L * PAGE)
                .storeFactory(factory)
                .frameWaitTimeout(Duration.ofSeconds(10))
                .dirtyRatio(1)
                .dirtyBackgroundRatio(1)
                .build()) { // every frame dirty: no dirty limit
            PagedFile fx = cache.open(x, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            PagedFile fy = cache.open(y, StandardOpenOption.READ);
            byte[] xData = random(6, 16 * PAGE);
            assertEquals(xData.length, fx.write(0, WriteSource.of(xData)));
            // the failing write-backs of the reclaimer and the background write-back claim pages (DIRTY traded
            // for WRITEBACK) for a moment before they put them back: look until no claim is in flight
            PageCacheStats settled = Stats.await(cache, st -> st.dirtyFrames() == 16, Duration.ofSeconds(10));
            assertEquals(16, settled.dirtyFrames(), "every frame holds a dirty page of x");
            ForeignErrorStore.armed.set(true);
            ByteBuffer back = ByteBuffer.allocate(yData.length);
            assertEquals(yData.length, fy.read(0, back), "the read of y gets its frames");
            assertArrayEquals(yData, back.array());
            assertFalse(ForeignErrorStore.armed.get(), "direct reclaim met the Error");
            fx.flush();
            assertEquals(0, cache.stats().dirtyFrames());
            fy.close();
            fx.close();
            assertArrayEquals(xData, Files.readAllBytes(x), "nothing of x was lost");
        } finally {
            ForeignErrorStore.armed.set(false);
        }
    }

    // ------------------------------------------------------------------------------------------ finding 8

    /**
     * Models a device under Linux's write-back error semantics: bytes written since the last successful force
     * are kept in a log; a successful force makes them durable; a failed force loses them (the kernel marks the
     * pages clean, so the next fsync succeeds without writing them).
     */
    private static final class ForgetfulStore extends Delegating {
        final byte[] durable = new byte[64 * PAGE];
        final List<long[]> pendingPositions = new ArrayList<>();
        final List<byte[]> pendingBytes = new ArrayList<>();
        volatile CountDownLatch failNextForce;
        final CountDownLatch forceEntered = new CountDownLatch(1);

        ForgetfulStore(BackingStore real) {
            super(real);
        }

        @Override
        public long write(ByteBuffer[] srcs, long position) throws IOException {
            ByteBuffer[] copies = new ByteBuffer[srcs.length];
            for (int i = 0; i < srcs.length; i++) {
                copies[i] = srcs[i].duplicate();
            }
            long n = super.write(srcs, position);
            byte[] bytes = new byte[(int) n];
            int at = 0;
            for (ByteBuffer c : copies) {
                int k = Math.min(c.remaining(), bytes.length - at);
                c.get(bytes, at, k);
                at += k;
            }
            synchronized (this) {
                pendingPositions.add(new long[] {position});
                pendingBytes.add(bytes);
            }
            return n;
        }

        @Override
        public void force(boolean metadata) throws IOException {
            CountDownLatch fail = failNextForce;
            if (fail != null) {
                failNextForce = null;
                forceEntered.countDown();
                try {
                    assertTrue(fail.await(20, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                synchronized (this) {
                    pendingPositions.clear();
                    pendingBytes.clear();
                }
                throw new IOException("injected: force failed, the device dropped what it was writing");
            }
            super.force(metadata);
            synchronized (this) {
                for (int i = 0; i < pendingBytes.size(); i++) {
                    byte[] b = pendingBytes.get(i);
                    System.arraycopy(b, 0, durable, (int) pendingPositions.get(i)[0], b.length);
                }
                pendingPositions.clear();
                pendingBytes.clear();
            }
        }
    }

    /**
     * fsyncgate: a page written back while a failing force is in flight is lost with it. The next sync must not
     * succeed until that page is durable again: it is written again.
     */
    @Test
    void pagesWrittenBackDuringAFailedForceAreWrittenAgain() throws Exception {
        Path file = dir.resolve("fsyncgate.bin");
        AtomicReference<ForgetfulStore> store = new AtomicReference<>();
        StoreFactory factory = (p, o) -> {
            ForgetfulStore s = new ForgetfulStore(StoreFactory.defaultFactory().open(p, o));
            store.set(s);
            return s;
        };
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(64L * PAGE)
                .storeFactory(factory)
                .build()) {
            PagedFile f =
                    cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            f.write(0, WriteSource.of(page(0xA)));
            f.sync();
            f.write(PAGE, WriteSource.of(page(0xB)));
            CountDownLatch release = new CountDownLatch(1);
            store.get().failNextForce = release;
            AtomicReference<Throwable> syncResult = new AtomicReference<>();
            Thread syncer = new Thread(
                    () -> {
                        try {
                            f.sync();
                            syncResult.set(new AssertionError("the failing sync returned normally"));
                        } catch (IOException expected) {
                            syncResult.set(expected);
                        } catch (Throwable t) {
                            syncResult.set(t);
                        }
                    },
                    "syncer");
            syncer.setDaemon(true);
            syncer.start();
            assertTrue(store.get().forceEntered.await(20, TimeUnit.SECONDS), "the force started");
            f.write(2L * PAGE, WriteSource.of(page(0xC)));
            f.flush(); // page 2 is written back while the force is in flight
            release.countDown();
            syncer.join(20_000);
            assertFalse(syncer.isAlive(), "the failing sync returned");
            assertTrue(syncResult.get() instanceof IOException, "the failed force is reported: " + syncResult.get());
            f.sync(); // the device works again
            byte[] durable = Arrays.copyOf(store.get().durable, 3 * PAGE);
            assertArrayEquals(page(0xA), Arrays.copyOfRange(durable, 0, PAGE));
            assertArrayEquals(page(0xB), Arrays.copyOfRange(durable, PAGE, 2 * PAGE), "re-dirtied by the failed force");
            assertArrayEquals(
                    page(0xC),
                    Arrays.copyOfRange(durable, 2 * PAGE, 3 * PAGE),
                    "written back during the failed force, so written again before the next sync succeeded");
            f.close();
        }
    }

    // ------------------------------------------------------------------------------------------ finding 9

    /** A file larger than 2^31-1 pages is refused at open with the limit named, instead of wrapping to page 0. */
    @Test
    void filesLargerThanTheCacheCanAddressAreRefusedNotWrapped() throws Exception {
        Path file = dir.resolve("huge.bin");
        Files.write(file, page(0x5A));
        long huge = (1L << 31) * PAGE + PAGE; // page 2^31 exists: its index does not fit an int
        StoreFactory factory =
                (p, o) -> new Delegating(StoreFactory.defaultFactory().open(p, o)) {
                    @Override
                    public long size() {
                        return huge;
                    }
                };
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(16L * PAGE)
                .storeFactory(factory)
                .build()) {
            IOException e = assertThrows(IOException.class, () -> cache.open(file, StandardOpenOption.READ));
            assertTrue(
                    e.getMessage().contains(String.valueOf(Integer.MAX_VALUE))
                            && e.getMessage().contains("pages"),
                    e.getMessage());
        }
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16L * PAGE)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            assertEquals(-1, f.read(1L << 44, ByteBuffer.allocate(16)), "a read far past the end reads nothing");
        }
    }

    /** A capacity of more than 2^30 frames is refused by the builder, before any memory is allocated. */
    @Test
    void capacitiesBeyondWhatTheFreeQueueHoldsAreRefusedUpFront() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(((1L << 30) + 1) * PAGE)
                        .build());
        assertTrue(e.getMessage().contains("2^30"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------ finding 10

    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }

    /**
     * A build that fails after the arena was allocated (here: a temporary-page reserve too large for its queue)
     * frees the arena: four failed builds of a 128 MiB cache leave far less than one arena resident.
     */
    @Test
    void failedBuildFreesTheArena() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")));
        long capacity = 128L << 20;
        System.gc();
        long before = residentBytes();
        for (int i = 0; i < 4; i++) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> OffHeapPageCache.builder()
                            .pageSize(PAGE)
                            .capacity(capacity)
                            .tempPages(Integer.MAX_VALUE)
                            .build());
        }
        long grown = residentBytes() - before;
        assertTrue(
                grown < capacity,
                "resident memory grew by " + grown + " bytes after 4 failed builds of " + capacity + " bytes");
    }

    // ------------------------------------------------------------------------------------------ finding 14

    /**
     * A writer rewrites whole pages with one byte value at a time while flushes write them back; the store looks
     * at each page it is given, waits a little, and looks again: every page that reaches it is one instant of the
     * page (all bytes equal) and does not change under it.
     */
    @Test
    void writebackNeverWritesATornPage() throws Exception {
        Path file = dir.resolve("torn.bin");
        AtomicLong checked = new AtomicLong();
        AtomicLong torn = new AtomicLong();
        StoreFactory factory =
                (p, o) -> new Delegating(StoreFactory.defaultFactory().open(p, o)) {
                    @Override
                    public long write(ByteBuffer[] srcs, long position) throws IOException {
                        for (ByteBuffer b : srcs) {
                            for (int at = b.position(); at + PAGE <= b.limit(); at += PAGE) {
                                byte first = b.get(at);
                                for (int spin = 0; spin < 2000; spin++) {
                                    Thread.onSpinWait();
                                }
                                for (int i = 1; i < PAGE; i++) {
                                    if (b.get(at + i) != first) {
                                        torn.incrementAndGet();
                                        break;
                                    }
                                }
                                checked.incrementAndGet();
                            }
                        }
                        return super.write(srcs, position);
                    }
                };
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(64L * PAGE)
                        .storeFactory(factory)
                        .build();
                PagedFile f = cache.open(
                        file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            AtomicBoolean stop = new AtomicBoolean();
            Threads.runAll(
                    Duration.ofSeconds(60),
                    List.of(
                            () -> {
                                byte[] data = new byte[PAGE];
                                // 200,000 writes (fewer once 5,000 write-backs were looked at); on a loaded machine,
                                // where the
                                // flushes fall behind, more until over 100 were, for at most 30 s more
                                long until = System.nanoTime()
                                        + Duration.ofSeconds(30).toNanos();
                                for (int i = 0;
                                        (i < 200_000 || checked.get() <= 100)
                                                && checked.get() < 5_000
                                                && (i < 200_000 || System.nanoTime() - until < 0);
                                        i++) {
                                    Arrays.fill(data, (byte) i);
                                    f.write((long) (i & 3) * PAGE, WriteSource.of(data));
                                }
                                stop.set(true);
                            },
                            () -> {
                                while (!stop.get()) {
                                    f.flush();
                                }
                            }));
            f.flush();
        }
        assertTrue(checked.get() > 100, "write-backs were checked: " + checked.get());
        assertEquals(0, torn.get(), "torn pages among " + checked.get() + " written back");
    }

    // ------------------------------------------------------------------------------------------ finding 15

    /**
     * The frames run out because every page is dirty and its write-back fails: the error says so (dirty pages,
     * failed write-backs, with the write-back error as its cause), rather than blaming pins.
     */
    @Test
    void runningOutOfFramesBecauseOfDirtyPagesSaysSo() throws Exception {
        FaultInjector faults = new FaultInjector(9).rate(FaultInjector.Kind.WRITE_ERROR, 1.0);
        Path file = dir.resolve("full.bin");
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(16L * PAGE)
                .storeFactory(faults)
                .frameWaitTimeout(Duration.ofMillis(300))
                .build()) {
            PagedFile f =
                    cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            IOException failure = null;
            for (int p = 0; p < 64 && failure == null; p++) {
                try {
                    f.write((long) p * PAGE, WriteSource.of(page(p)));
                } catch (IOException e) {
                    failure = e;
                }
            }
            assertNotNull(failure, "the writes ran out of frames");
            String m = failure.getMessage();
            assertTrue(m.contains("dirty") && m.contains("write-back fails"), m);
            assertFalse(m.contains("release pins"), m);
            assertNotNull(failure.getCause(), "the write-back error is the cause");
            faults.enabled(false);
            f.flush();
            f.close();
        } finally {
            faults.enabled(false);
        }
        if (Files.size(file) == 0) {
            fail("nothing reached the file once the store was healthy");
        }
    }
}
