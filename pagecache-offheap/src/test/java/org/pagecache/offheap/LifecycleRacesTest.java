package org.pagecache.offheap;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageGuard;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.testing.Threads;

/** Close, sync and guards racing: findings 3, 4 and 5 of the everyday-faults issue. */
class LifecycleRacesTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static OffHeapPageCache cache(int frames, Duration frameWait) {
        return OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity((long) frames * PAGE)
                .frameWaitTimeout(frameWait)
                .build();
    }

    /** Finding 3: once its file is gone, a read guard validates false and its methods fail; nothing corrupts. */
    @Test
    void aReadGuardNeverOutlivesItsFile() throws Exception {
        Path x = dir.resolve("x");
        Files.write(x, new byte[4 * PAGE]);
        OffHeapPageCache cache = cache(16, Duration.ofMillis(200));
        PagedFile fx = cache.open(x, READ);
        PageGuard guard = fx.pinForRead(0);
        long stamp = guard.readStamp();
        assertTrue(guard.validate(stamp));
        assertThrows(IOException.class, fx::close, "a close with a guard open is refused");
        Threads.runAll(Duration.ofSeconds(30), List.of(cache::close));
        assertFalse(guard.validate(stamp), "the guard's file is gone: nothing read through it can be trusted");
        assertThrows(IllegalStateException.class, guard::memory);
        assertThrows(IllegalStateException.class, guard::readStamp);
        guard.close(); // releases nothing of anybody else's, throws nothing
    }

    /** Finding 3: closing a file never frees a frame that a read guard still pins. */
    @Test
    void closeNeverFreesAPinnedFrame() throws Exception {
        Path x = dir.resolve("x");
        Path y = dir.resolve("y");
        Files.write(x, new byte[PAGE]);
        Files.write(y, new byte[64 * PAGE]);
        try (OffHeapPageCache cache = cache(16, Duration.ofMillis(100))) {
            PagedFile fx = cache.open(x, READ);
            PageGuard guard = fx.pinForRead(0);
            int frame = ((Guard) guard).frame();
            CachedFile file = ((FileHandle) fx).file();
            file.close(true); // what the cache's close does to each file, guards or not
            assertTrue(file.isClosed());
            try (PagedFile fy = cache.open(y, READ)) {
                for (int round = 0; round < 4; round++) {
                    for (int p = 0; p < 64; p++) {
                        fy.read((long) p * PAGE, ByteBuffer.allocate(PAGE)); // every free frame is taken in turn
                    }
                }
                assertEquals(
                        file.slot(),
                        org.pagecache.offheap.frame.FrameTable.slot(
                                cache.frames().state(frame)),
                        "the pinned frame still belongs to the closed file");
                guard.close();
                for (int p = 0; p < 64; p++) {
                    assertEquals(PAGE, fy.read((long) p * PAGE, ByteBuffer.allocate(PAGE)));
                }
            }
        }
    }

    /**
     * Finding 4: a write guard past the end of the file always grows it, even when a truncation that changes
     * nothing holds the structural lock exclusively at the moment the guard is released.
     */
    @Test
    void aWriteGuardPastEndOfFileNeverLosesItsData() throws Exception {
        Path a = dir.resolve("a");
        try (OffHeapPageCache cache = cache(256, Duration.ofSeconds(10));
                PagedFile f = cache.open(a, CREATE, WRITE)) {
            AtomicBoolean done = new AtomicBoolean();
            int rounds = 64 * 300;
            Threads.runAll(
                    Duration.ofSeconds(120),
                    List.of(
                            () -> {
                                try {
                                    for (int i = 0; i < rounds; i++) {
                                        int page = i % 64;
                                        if (page == 0) {
                                            f.truncate(0);
                                        }
                                        try (PageGuard g = f.lockForWrite(page)) {
                                            g.memory().set(java.lang.foreign.ValueLayout.JAVA_INT, 0, i);
                                        }
                                        long size = f.size();
                                        if (size < (long) (page + 1) * PAGE) {
                                            throw new AssertionError("round " + i + ": the write guard on page " + page
                                                    + " was released but the file is only " + size + " bytes");
                                        }
                                    }
                                } finally {
                                    done.set(true);
                                }
                            },
                            () -> {
                                while (!done.get()) {
                                    f.truncate(
                                            1L << 40); // larger than the file: changes nothing, holds the lock a moment
                                }
                            }));
            f.flush();
            assertEquals(64L * PAGE, Files.size(a));
        }
    }

    /**
     * Finding 5: the cache's close waits a bounded time for a page held by a write guard, so the guard holder's
     * next lockForWrite (blocked behind close's exclusive locks) returns, and so does close.
     */
    @Test
    void cacheCloseDoesNotWaitUnboundedForAPageHeldByAWriteGuard() throws Exception {
        Path a = dir.resolve("a");
        OffHeapPageCache cache = cache(32, Duration.ofMillis(300));
        PagedFile f = cache.open(a, CREATE, WRITE);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch closing = new CountDownLatch(1);
        Threads.runAll(
                Duration.ofSeconds(30),
                List.of(
                        () -> {
                            PageGuard g = f.lockForWrite(0);
                            held.countDown();
                            closing.await();
                            Thread.sleep(50); // let close take its locks and start waiting for page 0
                            try (PageGuard next = f.lockForWrite(1)) {
                                next.memory().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
                            } catch (ClosedChannelException expected) {
                                // the cache closed first: a clean failure
                            } finally {
                                g.close();
                            }
                        },
                        () -> {
                            assertTrue(held.await(10, TimeUnit.SECONDS));
                            closing.countDown();
                            cache.close();
                        }));
    }

    /**
     * The cache's close waits for an open write guard and keeps what the guard writes: before, it wrote the
     * dirty pages back, gave up on the guard's page and dropped it, so bytes written through the guard after
     * that never reached the file, and the guard's close said nothing.
     */
    @Test
    void cacheCloseWaitsForAnOpenWriteGuardAndKeepsItsBytes() throws Exception {
        for (int round = 0; round < 5; round++) {
            Path a = dir.resolve("guarded-" + round);
            OffHeapPageCache cache = cache(32, Duration.ofSeconds(10));
            PagedFile f = cache.open(a, CREATE, WRITE);
            CountDownLatch held = new CountDownLatch(1);
            AtomicBoolean newGuardRefused = new AtomicBoolean();
            Threads.runAll(
                    Duration.ofSeconds(30),
                    List.of(
                            () -> {
                                try (PageGuard g = f.lockForWrite(0)) {
                                    held.countDown();
                                    Thread.sleep(150); // close is waiting now
                                    try (PageGuard other = f.lockForWrite(1)) {
                                        other.memory().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
                                    } catch (ClosedChannelException expected) {
                                        newGuardRefused.set(true); // no new guard while the cache is closing
                                    }
                                    g.memory().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 42);
                                }
                            },
                            () -> {
                                assertTrue(held.await(10, TimeUnit.SECONDS));
                                cache.close();
                            }));
            assertTrue(newGuardRefused.get(), "a guard opened while the cache was closing");
            byte[] disk = Files.readAllBytes(a);
            assertEquals(PAGE, disk.length, "the guard grew the file to the end of its page");
            assertEquals(42, disk[0], "what the write guard wrote while the cache was closing reached the file");
        }
    }

    /** A write guard still open when the wait ends: the cache's close fails and changes nothing. */
    @Test
    void cacheCloseRefusesWhileAWriteGuardStaysOpen() throws Exception {
        Path a = dir.resolve("a");
        OffHeapPageCache cache = cache(32, Duration.ofMillis(200));
        PagedFile f = cache.open(a, CREATE, READ, WRITE);
        f.write(0, WriteSource.of(new byte[] {5}));
        PageGuard g = f.lockForWrite(1);
        IOException refused = assertThrows(IOException.class, cache::close);
        assertTrue(refused.getMessage().contains("1 write guard(s) still open"), refused.getMessage());
        ByteBuffer one = ByteBuffer.allocate(1);
        assertEquals(1, f.read(0, one), "the cache stayed open");
        assertEquals(5, one.get(0));
        try (PageGuard again = f.pinForRead(0)) {
            assertEquals(5, again.memory().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), "guards open again");
        }
        g.memory().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 9);
        g.close();
        cache.close();
        byte[] disk = Files.readAllBytes(a);
        assertEquals(2L * PAGE, disk.length);
        assertEquals(5, disk[0]);
        assertEquals(9, disk[PAGE]);
    }

    /** Finding 5: sync from a thread that holds a write guard on a clean, unsynced page returns. */
    @Test
    void syncFromTheHolderOfAWriteGuardOnACleanUnsyncedPageReturns() throws Exception {
        Path a = dir.resolve("a");
        try (OffHeapPageCache cache = cache(32, Duration.ofSeconds(10));
                PagedFile f = cache.open(a, CREATE, WRITE)) {
            f.write(0, WriteSource.of(new byte[PAGE]));
            f.flush(); // clean, written back, not yet forced: UNSYNCED
            Threads.runAll(Duration.ofSeconds(30), List.of(() -> {
                try (PageGuard g = f.lockForWrite(0)) {
                    f.sync();
                    g.memory().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 7);
                }
            }));
            f.sync();
            assertEquals(7, Files.readAllBytes(a)[0]);
        }
    }

    /** A write racing with the close of its handle either fails cleanly or reaches the file; none is lost. */
    @Test
    void writesRacingTheLastCloseEitherFailOrReachTheFile() throws Exception {
        for (int round = 0; round < 30; round++) {
            Path a = dir.resolve("race-" + round);
            try (OffHeapPageCache cache = cache(64, Duration.ofSeconds(10))) {
                PagedFile f = cache.open(a, CREATE, WRITE);
                java.util.concurrent.atomic.AtomicInteger acknowledged =
                        new java.util.concurrent.atomic.AtomicInteger(-1);
                CountDownLatch started = new CountDownLatch(1);
                Threads.runAll(
                        Duration.ofSeconds(30),
                        List.of(
                                () -> {
                                    for (int i = 0; i < 4096; i++) {
                                        byte[] page = new byte[PAGE];
                                        java.util.Arrays.fill(page, (byte) (i + 1));
                                        try {
                                            f.write((long) (i % 32) * PAGE, WriteSource.of(page));
                                        } catch (ClosedChannelException closed) {
                                            return;
                                        } finally {
                                            started.countDown();
                                        }
                                        acknowledged.set(i);
                                    }
                                },
                                () -> {
                                    started.await();
                                    f.close();
                                }));
                int last = acknowledged.get();
                if (last >= 0) {
                    byte[] disk = Files.readAllBytes(a);
                    for (int i = Math.max(0, last - 31); i <= last; i++) {
                        int at = (i % 32) * PAGE;
                        assertTrue(
                                disk.length >= at + PAGE,
                                "round " + round + ": write " + i + " was acknowledged," + " the file has "
                                        + disk.length + " bytes");
                        assertEquals(
                                (byte) (i + 1),
                                disk[at],
                                "round " + round + ": acknowledged write " + i
                                        + " is not in the file (the last acknowledged was " + last + ")");
                    }
                }
            }
        }
    }
    /**
     * A write hit locks a cached page without the structural lock and dirties it when it unlocks. The last
     * handle's close must wait for it: listing the dirty pages while the write still holds its page clean would
     * retain the file with an acknowledged write that never reaches it (the cache's close likewise, which would
     * then drop the page).
     */
    @Test
    void theLastCloseWaitsForAWriteHitThatHoldsItsPage() throws Exception {
        for (boolean cacheClose : new boolean[] {false, true}) {
            Path x = dir.resolve("hit-" + cacheClose);
            OffHeapPageCache cache = cache(16, Duration.ofSeconds(30));
            Throwable failed = null;
            try {
                PagedFile fx = cache.open(x, CREATE, READ, WRITE);
                fx.write(0, WriteSource.of(new byte[2 * PAGE]));
                fx.sync(); // page 0 cached and clean: the next write to it is a hit
                CachedFile file = ((FileHandle) fx).file();
                int f = file.writes().lockCachedForWrite(0);
                assertTrue(f >= 0, "a write to a cached page takes the hit path");
                Thread closer = new Thread(
                        () -> {
                            try {
                                if (cacheClose) {
                                    cache.close();
                                } else {
                                    fx.close();
                                }
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        },
                        "closer");
                closer.setDaemon(true);
                closer.start();
                closer.join(500);
                boolean closedWhileLocked = !closer.isAlive();
                byte[] data = new byte[PAGE];
                java.util.Arrays.fill(data, (byte) 7);
                java.lang.foreign.MemorySegment.copy(
                        data,
                        0,
                        cache.frames().memory(),
                        java.lang.foreign.ValueLayout.JAVA_BYTE,
                        cache.frames().offset(f),
                        PAGE);
                file.commit(f, PAGE); // the write completes: acknowledged
                closer.join(TimeUnit.SECONDS.toMillis(30));
                assertFalse(closer.isAlive(), "the close did not end\n" + Threads.dump());
                assertFalse(
                        closedWhileLocked,
                        (cacheClose ? "the cache's close" : "the last handle's close")
                                + " returned while a write hit held its page");
                byte[] disk = Files.readAllBytes(x);
                assertEquals(2 * PAGE, disk.length);
                assertEquals(-1, java.util.Arrays.mismatch(data, 0, PAGE, disk, 0, PAGE), "the write reached the file");
            } catch (Throwable t) {
                failed = t;
                throw t;
            } finally {
                try {
                    cache.close();
                } catch (IOException e) {
                    if (failed == null) {
                        throw e;
                    }
                    failed.addSuppressed(e); // the failure above is the one to report
                }
            }
        }
    }
}
