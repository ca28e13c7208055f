package org.pagecache.offheap.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.testing.Threads;

/** The free list threaded through the frame records, and the buffer views of the frame memory. */
class FreeListTest {

    @Test
    void everyFrameComesOffTheListOnceAndTheCountFollows() {
        try (FrameTable frames = new FrameTable(5, 4096)) {
            assertEquals(0, frames.freeCount(), "a new table's frames are not on the list");
            assertEquals(-1, frames.popFree());
            frames.freeAll();
            assertEquals(5, frames.freeCount());
            BitSet seen = new BitSet();
            for (int i = 0; i < 5; i++) {
                int f = frames.popFree();
                assertTrue(f >= 0 && f < 5 && !seen.get(f), "frame " + f);
                seen.set(f);
            }
            assertEquals(-1, frames.popFree());
            assertEquals(0, frames.freeCount());
            frames.pushFree(3);
            frames.pushFree(1);
            assertEquals(2, frames.freeCount());
            assertEquals(1, frames.popFree(), "last freed, first taken");
            assertEquals(3, frames.popFree());
        }
    }

    @Test
    void bindingAFrameTakenOffTheListOverwritesItsLink() {
        try (FrameTable frames = new FrameTable(3, 4096)) {
            frames.freeAll();
            int f = frames.popFree();
            frames.bindLocked(f, 7, 1234);
            assertTrue(frames.isBoundTo(f, 7, 1234));
            frames.unbindAndUnlock(f);
            frames.pushFree(f);
            assertEquals(f, frames.popFree());
            assertEquals(2, frames.freeCount(), "the others stay free");
        }
    }

    @Test
    void concurrentTakesAndFreesNeitherLoseNorDuplicateAFrame() {
        int n = 64;
        try (FrameTable frames = new FrameTable(n, 4096)) {
            frames.freeAll();
            AtomicInteger[] owners = new AtomicInteger[n];
            for (int i = 0; i < n; i++) {
                owners[i] = new AtomicInteger();
            }
            AtomicInteger duplicates = new AtomicInteger();
            List<Threads.Task> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tasks.add(() -> {
                    int[] mine = new int[8];
                    for (int round = 0; round < 50_000; round++) {
                        int got = 0;
                        for (int i = 0; i < mine.length; i++) {
                            int f = frames.popFree();
                            if (f < 0) {
                                break;
                            }
                            if (owners[f].getAndIncrement() != 0) {
                                duplicates.incrementAndGet(); // two threads own one frame: the ABA the tag prevents
                            }
                            mine[got++] = f;
                        }
                        for (int i = 0; i < got; i++) {
                            owners[mine[i]].decrementAndGet();
                            frames.pushFree(mine[i]);
                        }
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(60), tasks);
            assertEquals(0, duplicates.get(), "frames owned by two threads at once");
            assertEquals(n, frames.freeCount());
            BitSet seen = new BitSet();
            for (int f; (f = frames.popFree()) >= 0; ) {
                assertTrue(!seen.get(f), "frame " + f + " twice on the list");
                seen.set(f);
            }
            assertEquals(n, seen.cardinality(), "every frame is back on the list");
        }
    }

    @Test
    void copyOutAndFillViewAddressTheFrameWithoutMovingTheDestination() {
        try (FrameTable frames = new FrameTable(4, 4096)) {
            frames.frame(2).fill((byte) 9);
            frames.frame(2).set(java.lang.foreign.ValueLayout.JAVA_BYTE, 100, (byte) 42);
            ByteBuffer dst = ByteBuffer.allocateDirect(16).position(3);
            frames.copyOut(2, 100, dst, 5, 2);
            assertEquals(3, dst.position(), "the destination's position is left alone");
            assertEquals(42, dst.get(5));
            assertEquals(9, dst.get(6));
            ByteBuffer fill = frames.fillView(3);
            assertEquals(4096, fill.remaining());
            fill.put((byte) 77);
            assertEquals(77, frames.frame(3).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
            assertTrue(frames.fillView(1) == fill, "one reused view per thread");
            assertEquals(4096, frames.fillView(1).remaining());
        }
    }
}
