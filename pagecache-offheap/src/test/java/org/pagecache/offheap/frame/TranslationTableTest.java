package org.pagecache.offheap.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.testing.Threads;

class TranslationTableTest {
    private static final int LEAF = TranslationTable.LEAF;
    private static final int BLOCK_SPAN = TranslationTable.LEAF * TranslationTable.BLOCK;

    @Test
    void anEmptyTableMapsNothingAndHoldsNoLeaf() {
        TranslationTable table = new TranslationTable();
        assertEquals(-1, table.get(0));
        assertEquals(-1, table.get(Integer.MAX_VALUE));
        assertFalse(table.remove(5, 0), "nothing to remove");
        assertEquals(0, table.leaves());
        table.forEach(0, (p, f) -> {
            throw new AssertionError("visited " + p);
        });
    }

    @Test
    void installGetRemoveIncludingFrameZeroAndTheLastPage() {
        TranslationTable table = new TranslationTable();
        assertTrue(table.install(0, 0), "frame 0 is a frame (entries hold frame + 1)");
        assertTrue(table.install(Integer.MAX_VALUE, 7));
        assertEquals(0, table.get(0));
        assertEquals(7, table.get(Integer.MAX_VALUE));
        assertEquals(-1, table.get(1));
        assertFalse(table.install(0, 3), "a page already mapped keeps its frame");
        assertEquals(0, table.get(0));
        assertFalse(table.remove(0, 3), "removing another frame's mapping does nothing");
        assertEquals(0, table.get(0));
        assertTrue(table.remove(0, 0));
        assertEquals(-1, table.get(0));
        assertFalse(table.remove(0, 0), "removed once");
        assertTrue(table.install(0, 4), "a removed page can be installed again");
        assertEquals(4, table.get(0));
    }

    @Test
    void leavesFollowWhatIsCachedNotTheFileSize() {
        TranslationTable table = new TranslationTable();
        int[] pages = {3, LEAF - 1, LEAF, 5 * BLOCK_SPAN + 17, Integer.MAX_VALUE};
        for (int i = 0; i < pages.length; i++) {
            assertTrue(table.install(pages[i], i));
        }
        assertEquals(4, table.leaves(), "pages 3 and LEAF-1 share a leaf; the others have one each");
        assertTrue(table.remove(3, 0));
        assertEquals(4, table.leaves(), "the leaf still holds page LEAF-1");
        assertTrue(table.remove(LEAF - 1, 1));
        assertEquals(3, table.leaves(), "its last entry gone, the leaf is freed");
        for (int i = 2; i < pages.length; i++) {
            assertTrue(table.remove(pages[i], i));
        }
        assertEquals(0, table.leaves());
        assertTrue(table.install(LEAF - 1, 9), "a freed leaf is made again");
        assertEquals(9, table.get(LEAF - 1));
        assertEquals(1, table.leaves());
    }

    @Test
    void forEachVisitsMappedPagesInPageOrderFromTheFirstAsked() {
        TranslationTable table = new TranslationTable();
        int[] pages = {Integer.MAX_VALUE, 2 * BLOCK_SPAN, LEAF, LEAF - 1, 1, 0};
        for (int i = 0; i < pages.length; i++) {
            table.install(pages[i], 100 + i);
        }
        assertEquals(
                List.of(0, 105, 1, 104, LEAF - 1, 103, LEAF, 102, 2 * BLOCK_SPAN, 101, Integer.MAX_VALUE, 100),
                visit(table, 0));
        assertEquals(List.of(LEAF, 102, 2 * BLOCK_SPAN, 101, Integer.MAX_VALUE, 100), visit(table, LEAF));
        assertEquals(List.of(2 * BLOCK_SPAN, 101, Integer.MAX_VALUE, 100), visit(table, LEAF + 1));
        assertEquals(List.of(Integer.MAX_VALUE, 100), visit(table, 2 * BLOCK_SPAN + 1));
        assertEquals(visit(table, 0), visit(table, -5), "a negative start is the first page");
    }

    private static List<Integer> visit(TranslationTable table, int from) {
        List<Integer> seen = new ArrayList<>();
        table.forEach(from, (p, f) -> {
            seen.add(p);
            seen.add(f);
            return 0;
        });
        return seen;
    }

    @Test
    void racingInstallsOfOnePageAgreeOnOneFrame() throws Exception {
        int threads = 4;
        for (int round = 0; round < 200; round++) {
            TranslationTable table = new TranslationTable();
            int page = round * 37;
            AtomicInteger winners = new AtomicInteger();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Threads.Task> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int frame = t;
                tasks.add(() -> {
                    start.await();
                    if (table.install(page, frame)) {
                        winners.incrementAndGet();
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(30), tasks);
            assertEquals(1, winners.get(), "exactly one install of page " + page + " wins");
            int frame = table.get(page);
            assertTrue(frame >= 0 && frame < threads);
            assertEquals(1, table.leaves());
        }
    }

    /**
     * Threads that install and remove their own pages of one leaf over and over keep retiring the leaf (its count
     * reaches zero) while the others install into it: no install may land in a retired leaf and be lost.
     */
    @Test
    void installsRacingTheRetirementOfTheirLeafAreNeverLost() {
        TranslationTable table = new TranslationTable();
        int threads = 4;
        int rounds = 50_000;
        List<Threads.Task> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int page = 3 * LEAF + t; // all in one leaf
            int frame = 10 + t;
            tasks.add(() -> {
                for (int i = 0; i < rounds; i++) {
                    if (!table.install(page, frame)) {
                        throw new AssertionError("page " + page + " was mapped by someone else");
                    }
                    int got = table.get(page);
                    if (got != frame) {
                        throw new AssertionError("install of page " + page + " lost: get gives " + got);
                    }
                    if (!table.remove(page, frame)) {
                        throw new AssertionError("remove of page " + page + " found nothing");
                    }
                }
            });
        }
        Threads.runAll(Duration.ofSeconds(60), tasks);
        assertEquals(0, table.leaves(), "every entry removed: no leaf left");
        for (int t = 0; t < threads; t++) {
            assertEquals(-1, table.get(3 * LEAF + t));
        }
    }
}
