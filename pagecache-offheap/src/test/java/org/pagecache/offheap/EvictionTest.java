package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PageGuard;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.reclaim.QueuePolicy;
import org.pagecache.offheap.testing.Threads;

/**
 * The replacement policy's use marks (a page-in is not a use; every hit is, guards included) and, replayed
 * through the real cache, its scan and loop resistance.
 */
class EvictionTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private Path sparse(String name, int pages) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength((long) pages * PAGE);
        }
        return p;
    }

    private static OffHeapPageCache cache(int frames) {
        return OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity((long) frames * PAGE)
                .build();
    }

    /** The frame holding {@code page} of the only open file. */
    private static int frameOf(OffHeapPageCache cache, int page) {
        FrameTable frames = cache.frames();
        for (int f = 0; f < frames.frames(); f++) {
            if (FrameTable.slot(frames.state(f)) != 0 && frames.pageIndex(f) == page) {
                return f;
            }
        }
        throw new AssertionError("page " + page + " is not cached");
    }

    private static boolean referenced(OffHeapPageCache cache, int page) {
        return (cache.frames().state(frameOf(cache, page)) & FrameTable.REFERENCED) != 0;
    }

    private static void clearReferenced(OffHeapPageCache cache, int page) {
        int f = frameOf(cache, page);
        cache.frames().update(f, 0, FrameTable.REFERENCED);
    }

    private static void readByte(PagedFile file, int page) throws IOException {
        file.read((long) page * PAGE, ByteBuffer.allocate(1));
    }

    @Test
    void aPageInIsNotAUseAndAHitIs() throws IOException {
        try (OffHeapPageCache cache = cache(64);
                PagedFile file = cache.open(sparse("f", 8), StandardOpenOption.READ)) {
            readByte(file, 3);
            assertEquals(1, cache.stats().faults());
            assertTrue(!referenced(cache, 3), "a page read in by a fault is not referenced until it is used again");
            readByte(file, 3);
            assertEquals(1, cache.stats().hits());
            assertTrue(referenced(cache, 3), "a hit marks the page referenced");
        }
    }

    @Test
    void hitsThroughGuardsAreUses() throws IOException {
        try (OffHeapPageCache cache = cache(64);
                PagedFile file = cache.open(sparse("g", 8), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            readByte(file, 5);
            assertTrue(!referenced(cache, 5));
            long hits = cache.stats().hits();
            try (PageGuard g = file.pinForRead(5)) {
                assertEquals(hits + 1, cache.stats().hits());
                assertTrue(referenced(cache, 5), "a hit through a read guard marks the page referenced");
            }
            clearReferenced(cache, 5);
            try (PageGuard g = file.lockForWrite(5)) {
                assertTrue(referenced(cache, 5), "a hit through a write guard marks the page referenced");
            }
            clearReferenced(cache, 5);
            try (PageGuard g = file.pinForRead(6)) {
                assertTrue(!referenced(cache, 6), "a read guard's page-in is not a use");
            }
        }
    }

    /** A hot set of half the cache, each access to it followed by 4 accesses of a scan over 16x the cache. */
    @Test
    void aHotSetKeepsItsHitsUnderAFourToOneScan() throws IOException {
        int c = 512;
        int hot = c / 2;
        int filePages = 16 * c;
        SplittableRandom r = new SplittableRandom(7);
        try (OffHeapPageCache cache = cache(c);
                PagedFile file = cache.open(sparse("scan", filePages), StandardOpenOption.READ)) {
            int scan = hot;
            int rounds = 40_000;
            for (int i = 0; i < rounds; i++) {
                readByte(file, r.nextInt(hot));
                for (int k = 0; k < 4; k++) {
                    readByte(file, scan);
                    scan = scan + 1 < filePages ? scan + 1 : hot;
                }
            }
            PageCacheStats s = cache.stats();
            // the scan (7,936 pages in a cycle) never hits in 512 frames: every hit is a hot one
            double hotHitRatio = (double) s.hits() / rounds;
            assertTrue(
                    hotHitRatio > 0.8,
                    "the hot set kept only " + Math.round(100 * hotHitRatio)
                            + "% of its hits under the scan (CLOCK keeps about a third)");
        }
    }

    /** A loop over 1.2x the cache: LRU and CLOCK never hit; most of the loop must. */
    @Test
    void aLoopOverMoreThanTheCacheKeepsMoreThanHalf() throws IOException {
        int c = 512;
        int n = c * 6 / 5;
        try (OffHeapPageCache cache = cache(c);
                PagedFile file = cache.open(sparse("loop", n), StandardOpenOption.READ)) {
            for (int i = 0; i < 200 * n; i++) {
                readByte(file, i % n);
            }
            PageCacheStats s = cache.stats();
            double ratio = (double) s.hits() / (s.hits() + s.faults());
            assertTrue(ratio > 0.5, "a loop over 1.2x the cache hit " + Math.round(100 * ratio) + "%");
        }
    }

    /** A pinned or locked frame is never the policy's victim: it goes round again, and is once it is idle. */
    @Test
    void aBusyFrameIsPassedOverAndLookedAtAgain() {
        try (FrameTable frames = new FrameTable(4, PAGE)) {
            QueuePolicy policy = new QueuePolicy(frames);
            frames.bindLocked(0, 1, 0);
            policy.admit(0, 1, 0);
            assertTrue(frames.pinLocked(0));
            frames.unlock(0, FrameTable.UPTODATE, 0);
            for (int i = 0; i < 10; i++) {
                assertEquals(-1, policy.next(), "a pinned frame is not a victim");
            }
            frames.unpin(0);
            assertTrue(frames.tryLock(0));
            assertEquals(-1, policy.next(), "a locked frame is not a victim");
            frames.unlock(0, 0, 0);
            assertEquals(0, policy.next(), "once idle and unreferenced it is");
            assertEquals(1, policy.smallFrames() + policy.mainFrames(), "and stays queued until it is evicted");
        }
    }

    /**
     * A loop a little larger than the cache: the frequency filter refuses most of the pages that come round
     * again in favour of main's incumbents, which are used as often, and the pages it displaces come back, so the
     * policy grows strict. S3-FIFO without the filter admits every returning page and evicts one of main's for
     * it: 61% here.
     */
    @Test
    void aLoopSlightlyLargerThanTheCacheHitsMostOfWhatFits() throws IOException {
        int c = 512;
        int n = c * 6 / 5;
        try (OffHeapPageCache cache = cache(c);
                PagedFile file = cache.open(sparse("stable", n), StandardOpenOption.READ)) {
            for (int i = 0; i < 100 * n; i++) {
                readByte(file, i % n);
            }
            assertTrue(
                    cache.reclaimer().policy().leniency() < 512,
                    "the displaced pages came back, the policy" + " grew strict: leniency "
                            + cache.reclaimer().policy().leniency() + " of 1024");
            PageCacheStats s0 = cache.stats();
            int laps = 20;
            for (int i = 0; i < laps * n; i++) {
                readByte(file, i % n);
            }
            PageCacheStats s1 = cache.stats();
            double ratio = (double) (s1.hits() - s0.hits()) / ((long) laps * n);
            // the free frames the reclaimer keeps (c/32 to c/16) and small (4 to 8%) are not the loop's: at most
            // (512 - 16 - 20) / 614 = 78% can hit
            assertTrue(ratio > 0.68, "the loop hit " + Math.round(100 * ratio) + "% over " + laps + " laps");
        }
    }

    /**
     * After a loop (where the filter must refuse newcomers: the pages it displaced came back), a working set
     * that moves now and then, with noise: the pages the filter displaces now do not come back, so the policy
     * grows lenient again and takes each new set in about as fast as S3-FIFO without the filter. The filter
     * alone keeps refusing the new sets until the sketch's halving ages the old ones.
     */
    @Test
    void aWorkingSetThatMovesAfterALoopIsTakenInQuickly() throws IOException {
        int c = 512;
        int ws = c / 2;
        int filePages = 16 * c;
        SplittableRandom r = new SplittableRandom(11);
        try (OffHeapPageCache cache = cache(c);
                PagedFile file = cache.open(sparse("moving", filePages), StandardOpenOption.READ)) {
            int loop = c * 6 / 5;
            for (int i = 0; i < 50 * loop; i++) {
                readByte(file, i % loop);
            }
            int moves = 8;
            int period = 4 * c; // each set is used 3.6 times per page before it moves
            long hits = 0;
            long setAccesses = 0;
            for (int m = 0; m < moves; m++) {
                int base = r.nextInt(filePages - ws);
                for (int i = 0; i < period; i++) {
                    boolean noise = r.nextInt(10) == 0;
                    int page = noise ? r.nextInt(filePages) : base + r.nextInt(ws);
                    long h0 = cache.stats().hits();
                    readByte(file, page);
                    if (!noise && m >= moves / 2) {
                        setAccesses++;
                        hits += cache.stats().hits() - h0;
                    }
                }
            }
            double ratio = (double) hits / setAccesses;
            // S3-FIFO without the filter: 76%; the filter without the leniency: 57%
            assertTrue(
                    ratio > 0.66,
                    "the moving working set hit " + Math.round(100 * ratio)
                            + "% of its accesses over its last four moves");
        }
    }

    /**
     * Several threads over several files on a small cache: writes (dirty pages, write-back batches), reads and
     * read guards (pins) force eviction all the time. Every page reads back what its owner last wrote, and once
     * quiet every bound frame is in exactly one of the policy's FIFOs.
     */
    @Test
    void manyThreadsManyFilesDirtyAndPinnedPagesUnderEviction() throws Exception {
        int threads = 4;
        int files = 3;
        int pages = 96;
        try (OffHeapPageCache cache = cache(32)) {
            List<PagedFile> open = new ArrayList<>();
            try {
                for (int i = 0; i < files; i++) {
                    open.add(cache.open(
                            dir.resolve("m" + i),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.READ,
                            StandardOpenOption.WRITE));
                }
                long deadline = System.nanoTime() + Duration.ofMillis(1500).toNanos();
                List<Threads.Task> tasks = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int me = t;
                    tasks.add(() -> {
                        SplittableRandom r = new SplittableRandom(me);
                        long[][] last = new long[files][pages];
                        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
                        long v = 0;
                        while (System.nanoTime() < deadline) {
                            int fi = r.nextInt(files);
                            int page = r.nextInt(pages / threads) * threads + me; // my pages only
                            PagedFile f = open.get(fi);
                            int op = r.nextInt(10);
                            if (op < 4) {
                                b.clear().putLong(0, ++v);
                                f.write((long) page * PAGE, b);
                                last[fi][page] = v;
                            } else if (op < 8 || last[fi][page] == 0) {
                                if (last[fi][page] != 0) {
                                    b.clear();
                                    f.read((long) page * PAGE, b);
                                    assertEquals(last[fi][page], b.getLong(0), "file " + fi + " page " + page);
                                }
                            } else {
                                try (PageGuard g = f.pinForRead(page)) {
                                    assertEquals(
                                            last[fi][page], g.memory().get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
                                }
                            }
                        }
                        for (int fi = 0; fi < files; fi++) {
                            for (int page = me; page < pages; page += threads) {
                                if (last[fi][page] != 0) {
                                    b.clear();
                                    open.get(fi).read((long) page * PAGE, b);
                                    assertEquals(
                                            last[fi][page], b.getLong(0), "at the end: file " + fi + " page " + page);
                                }
                            }
                        }
                    });
                }
                Threads.runAll(Duration.ofSeconds(30), tasks);
                PageCacheStats s = cache.stats();
                assertTrue(s.evictions() > 0 && s.writebacks() > 0, "the run evicted and wrote back: " + s);
            } finally {
                for (PagedFile f : open) {
                    f.close();
                }
            }
            FrameTable frames = cache.frames();
            QueuePolicy policy = cache.reclaimer().policy();
            int bound = -1;
            int queued = -2;
            for (int attempt = 0; attempt < 200 && bound != queued; attempt++) { // the agent may still be sweeping
                Thread.sleep(10);
                bound = 0;
                for (int f = 0; f < frames.frames(); f++) {
                    if (FrameTable.slot(frames.state(f)) != 0) {
                        bound++;
                    }
                }
                queued = policy.smallFrames() + policy.mainFrames();
            }
            assertEquals(bound, queued, "every bound frame is in one FIFO of the policy");
        }
    }
}
