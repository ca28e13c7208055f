package org.pagecache.offheap.reclaim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.store.BackingStore;

/**
 * The reclaimer on its own, with a frame table, one file of slot {@link #SLOT} faked by {@link Owner} and a store
 * that records every write: the write-back (runs, snapshots, clipping, failure and retry, what it passes over) and
 * the sweep and direct reclaim (what they evict, what they never touch).
 */
class ReclaimerTest {
    private static final int PAGE = 4096;
    private static final int SLOT = 1;
    private static final long WAIT = TimeUnit.MILLISECONDS.toNanos(200);

    private final FrameTable frames = new FrameTable(8, PAGE);
    private final Owner owner = new Owner();
    private Reclaimer reclaimer;

    @AfterEach
    void close() {
        if (reclaimer != null) {
            reclaimer.close();
        }
        frames.close();
    }

    /** One write call the store saw: its position and the bytes of each buffer. */
    private record Write(long position, List<byte[]> buffers) {}

    private static final class Store implements BackingStore {
        final List<Write> writes = new ArrayList<>();
        IOException failWith;
        /** Runs at the start of each write (the I/O of a write-back, after its claim). */
        Runnable beforeWrite = () -> {};

        @Override
        public int read(ByteBuffer dst, long position) {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized long write(ByteBuffer[] srcs, long position) throws IOException {
            beforeWrite.run();
            if (failWith != null) {
                throw failWith;
            }
            List<byte[]> bytes = new ArrayList<>();
            long n = 0;
            for (ByteBuffer b : srcs) {
                byte[] copy = new byte[b.remaining()];
                b.get(copy);
                bytes.add(copy);
                n += copy.length;
            }
            writes.add(new Write(position, bytes));
            return n;
        }

        @Override
        public long size() {
            return 0;
        }

        @Override
        public void truncate(long size) {}

        @Override
        public void force(boolean metadata) {}

        @Override
        public void close() {}
    }

    private static final class Owner implements PageOwner {
        final Store store = new Store();
        final Map<Integer, Integer> pages = new HashMap<>(); // page -> frame
        final List<IOException> failures = new ArrayList<>();
        long size = 64L * PAGE;
        int evictedUnsynced;

        @Override
        public int slot() {
            return SLOT;
        }

        @Override
        public String name() {
            return "test-file";
        }

        @Override
        public BackingStore store() {
            return store;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public synchronized void unmap(int pageIndex, int frame) {
            pages.remove(pageIndex, frame);
        }

        @Override
        public synchronized void writebackFailed(IOException error) {
            failures.add(error);
        }

        @Override
        public synchronized void evictedUnsynced() {
            evictedUnsynced++;
        }
    }

    private Reclaimer reclaimer(int low, int high) {
        reclaimer = new Reclaimer(frames, s -> s == SLOT ? owner : null, low, high, WAIT);
        return reclaimer;
    }

    /** Caches page {@code page} the way a page-in does, filled with {@code fill}, dirty if asked; returns its frame. */
    private int cache(int page, int fill, boolean dirty) throws IOException {
        int f = reclaimer.allocate();
        frames.bindLocked(f, SLOT, page);
        owner.pages.put(page, f);
        reclaimer.admitted(f, SLOT, page);
        frames.frame(f).fill((byte) fill);
        frames.unlock(f, FrameTable.UPTODATE | (dirty ? FrameTable.DIRTY : 0), 0);
        return f;
    }

    private static byte[] page(int fill, int length) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test
    void fileAdjacentDirtyPagesGoOutInOneWriteOfOneBufferEach() throws IOException {
        reclaimer(1, 2);
        int f0 = cache(0, 10, true);
        int f1 = cache(1, 11, true);
        int f2 = cache(2, 12, true);
        int f5 = cache(5, 15, true);
        assertTrue(reclaimer.writer().writeBack(owner, new int[] {f0, f1, f2, f5}, 4, false));
        assertEquals(2, owner.store.writes.size(), "pages 0-2 in one write, page 5 in another");
        Write run = owner.store.writes.get(0);
        assertEquals(0, run.position());
        assertEquals(1, run.buffers().size(), "the run's snapshots are adjacent: one buffer");
        assertEquals(3 * PAGE, run.buffers().get(0).length);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(
                    page(10 + i, PAGE),
                    java.util.Arrays.copyOfRange(run.buffers().get(0), i * PAGE, (i + 1) * PAGE));
        }
        Write single = owner.store.writes.get(1);
        assertEquals(5L * PAGE, single.position());
        assertArrayEquals(page(15, PAGE), single.buffers().get(0));
        for (int f : new int[] {f0, f1, f2, f5}) {
            long s = frames.state(f);
            assertFalse(
                    FrameState.isDirty(s) || FrameState.isUnderWriteBack(s) || FrameState.isLocked(s),
                    FrameState.describe(s));
            assertTrue(FrameState.isUnsynced(s), "written back, not yet forced");
        }
        assertEquals(4, reclaimer.writebacks());
        assertEquals(2, reclaimer.writebackBatches());
    }

    @Test
    void writeBackNeverWritesPastTheFileSize() throws IOException {
        reclaimer(1, 2);
        owner.size = PAGE + 100;
        int f0 = cache(0, 1, true);
        int f1 = cache(1, 2, true);
        int f2 = cache(2, 3, true);
        assertTrue(reclaimer.writer().writeBack(owner, new int[] {f0, f1, f2}, 3, false));
        Write w = owner.store.writes.get(0);
        assertEquals(2, w.buffers().size(), "page 2 lies wholly past the end");
        assertArrayEquals(page(1, PAGE), w.buffers().get(0));
        assertArrayEquals(page(2, 100), w.buffers().get(1));
    }

    @Test
    void aFailedWriteBackKeepsThePagesDirtyWithErrorAndTellsTheFile() throws IOException {
        reclaimer(1, 2);
        int f0 = cache(0, 1, true);
        int f1 = cache(1, 2, true);
        IOException boom = new IOException("device gone");
        owner.store.failWith = boom;
        assertFalse(reclaimer.writer().writeBack(owner, new int[] {f0, f1}, 2, false));
        assertEquals(1, owner.failures.size());
        assertSame(boom, owner.failures.get(0));
        for (int f : new int[] {f0, f1}) {
            long s = frames.state(f);
            assertTrue(
                    FrameState.isDirty(s) && FrameState.hasFailedWriteBack(s) && !FrameState.isUnderWriteBack(s),
                    FrameState.describe(s));
        }
        owner.store.failWith = null;
        assertTrue(
                reclaimer.writer().writeBack(owner, new int[] {f0, f1}, 2, false),
                "written again once the store works");
        for (int f : new int[] {f0, f1}) {
            long s = frames.state(f);
            assertFalse(FrameState.isDirty(s) || FrameState.hasAny(s, FrameTable.ERROR), FrameState.describe(s));
        }
        assertEquals(1, owner.store.writes.size());
    }

    @Test
    void writeBackPassesOverCleanForeignAndLockedFrames() throws IOException {
        reclaimer(1, 2);
        int clean = cache(0, 1, false);
        int locked = cache(1, 2, true);
        int foreign = reclaimer.allocate();
        frames.bindLocked(foreign, SLOT + 1, 2);
        frames.unlock(foreign, FrameTable.UPTODATE | FrameTable.DIRTY, 0);
        frames.lock(locked);
        try {
            assertTrue(reclaimer.writer().writeBack(owner, new int[] {clean, locked, foreign}, 3, false));
        } finally {
            frames.unlockUnchanged(locked, 0, 0);
        }
        assertTrue(owner.store.writes.isEmpty(), "nothing to write without waiting: " + owner.store.writes);
        assertTrue(FrameState.isDirty(frames.state(locked)), "the locked page stays dirty");
        assertTrue(FrameState.isDirty(frames.state(foreign)), "another file's page is not this file's to write");
    }

    /** With {@code wait} (flush, sync) a page lock held for a moment is waited for, and the page written. */
    @Test
    void aWaitingWriteBackWaitsForAPageLockHeldForAMoment() throws Exception {
        reclaimer(1, 2);
        int f = cache(3, 7, true);
        frames.lock(f);
        CompletableFuture<Boolean> flush =
                CompletableFuture.supplyAsync(() -> reclaimer.writer().writeBack(owner, new int[] {f}, 1, true));
        Thread.sleep(30);
        frames.unlock(f, FrameTable.DIRTY, 0);
        assertTrue(flush.get(30, TimeUnit.SECONDS));
        assertEquals(1, owner.store.writes.size());
        assertEquals(3L * PAGE, owner.store.writes.get(0).position());
        assertFalse(FrameState.isDirty(frames.state(f)));
    }

    /** The bytes written are those of the claim: a write after it dirties the page again and is not lost. */
    @Test
    void aWriteAfterTheClaimKeepsThePageDirty() throws IOException {
        reclaimer(1, 2);
        int f = cache(0, 1, true);
        // the store's write runs after the claim, with the page lock released: a writer rewrites the page then
        owner.store.beforeWrite = () -> {
            frames.lock(f);
            frames.frame(f).fill((byte) 2);
            frames.unlock(f, FrameTable.UPTODATE | FrameTable.DIRTY, 0);
        };
        assertTrue(reclaimer.writer().writeBack(owner, new int[] {f}, 1, false));
        assertArrayEquals(page(1, PAGE), owner.store.writes.get(0).buffers().get(0), "the snapshot of the claim");
        long s = frames.state(f);
        assertTrue(FrameState.isDirty(s) && !FrameState.isUnderWriteBack(s), FrameState.describe(s));
        assertEquals(2, frames.frame(f).get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void theSweepEvictsToTheHighWatermarkAndNeverTouchesPinnedOrLosesDirtyPages() throws IOException {
        reclaimer(3, 5);
        int[] f = new int[8];
        for (int p = 0; p < 8; p++) {
            f[p] = cache(p, 20 + p, p % 3 == 1);
        }
        assertTrue(frames.tryPin(f[0], SLOT, 0));
        assertTrue(frames.tryPin(f[4], SLOT, 4));
        assertEquals(0, reclaimer.freeFrames());
        assertTrue(reclaimer.doWork() > 0);
        assertTrue(reclaimer.freeFrames() >= 5, "free frames: " + reclaimer.freeFrames());
        for (int p : new int[] {0, 4}) {
            assertTrue(frames.isBoundTo(f[p], SLOT, p), "pinned page " + p + " kept: " + frames.describe(f[p]));
            assertEquals(20 + p, frames.frame(f[p]).get(ValueLayout.JAVA_BYTE, 0));
        }
        int evicted = 0;
        for (int p = 0; p < 8; p++) {
            if (frames.isBoundTo(f[p], SLOT, p)) {
                assertEquals(f[p], owner.pages.get(p), "a cached page keeps its translation entry");
                continue;
            }
            evicted++;
            assertFalse(owner.pages.containsKey(p), "evicted page " + p + " was unmapped");
            if (p % 3 == 1) {
                long at = (long) p * PAGE;
                boolean written = owner.store.writes.stream()
                        .anyMatch(w -> w.position() <= at
                                && at
                                        < w.position()
                                                + w.buffers().stream()
                                                        .mapToLong(b -> b.length)
                                                        .sum());
                assertTrue(written, "dirty page " + p + " evicted without being written back");
            }
        }
        assertEquals(reclaimer.freeFrames(), evicted);
        assertEquals(evicted, reclaimer.evictions());
    }

    @Test
    void theSweepRestsWhileEnoughFramesAreFree() throws IOException {
        reclaimer(2, 4);
        for (int p = 0; p < 6; p++) {
            cache(p, p, false);
        }
        assertEquals(2, reclaimer.freeFrames());
        assertEquals(0, reclaimer.doWork(), "at the low watermark: nothing to do");
        assertEquals(0, reclaimer.evictions());
    }

    @Test
    void directReclaimEvictsACleanPageForTheFaultingThread() throws IOException {
        reclaimer(1, 2);
        for (int p = 0; p < 8; p++) {
            cache(p, p, false);
        }
        assertEquals(0, reclaimer.freeFrames());
        int got = reclaimer.allocate();
        long s = frames.state(got);
        assertEquals(0, FrameTable.slot(s), "the frame handed out is free: " + FrameState.describe(s));
        assertFalse(FrameState.isLocked(s));
        assertEquals(7, owner.pages.size(), "its page was unmapped");
        assertEquals(1, reclaimer.evictions());
    }

    @Test
    void withEveryFramePinnedAllocateFailsInTimeSayingWhy() throws IOException {
        reclaimer(1, 2);
        for (int p = 0; p < 8; p++) {
            int f = cache(p, p, false);
            assertTrue(frames.tryPin(f, SLOT, p));
        }
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, reclaimer::allocate);
        long took = System.nanoTime() - start;
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains("8 are pinned"), e.getMessage());
        assertTrue(took >= WAIT && took < WAIT + Duration.ofSeconds(20).toNanos(), "waited " + took + " ns");
        assertEquals(8, owner.pages.size(), "no pinned page was evicted");
    }
}
