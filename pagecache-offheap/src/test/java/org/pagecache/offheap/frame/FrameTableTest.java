package org.pagecache.offheap.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.testing.Threads;

class FrameTableTest {

    @Test
    void stateWordFieldsDoNotOverlap() {
        long[] fields = {
            FrameTable.LOCKED,
            FrameTable.WAITERS,
            FrameTable.UPTODATE,
            FrameTable.DIRTY,
            FrameTable.WRITEBACK,
            FrameTable.ERROR,
            FrameTable.REFERENCED,
            FrameTable.UNSYNCED,
            FrameTable.PIN_MASK,
            FrameTable.SLOT_MASK,
            FrameTable.VERSION_MASK
        };
        long all = 0;
        for (long f : fields) {
            assertEquals(0, all & f, "field " + Long.toHexString(f) + " overlaps");
            all |= f;
        }
        assertEquals(-1L, all, "every bit of the word has a meaning");
    }

    @Test
    void lockIsExclusiveAndNoWakeUpIsLostUnderContention() {
        // a waiter that missed its wake-up would sleep for the whole (huge) slice: the run would hang and fail
        try (FrameTable frames = new FrameTable(2, 4096, Duration.ofHours(1).toMillis())) {
            int threads = 4;
            int rounds = 20_000;
            long[] counter = new long[1];
            List<Threads.Task> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < rounds; i++) {
                        frames.lock(0);
                        try {
                            long c = counter[0];
                            if ((i & 63) == 0) {
                                Thread.yield(); // hold it a while now and then, so others park
                            }
                            counter[0] = c + 1;
                        } finally {
                            frames.unlock(0, 0, 0);
                        }
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(60), tasks);
            assertEquals((long) threads * rounds, counter[0], "increments under the lock");
            assertTrue(frames.lockWaits() > 0, "the test made threads park: " + frames.lockWaits());
            assertEquals(0, frames.state(0) & (FrameTable.LOCKED | FrameTable.WAITERS));
            long version = (frames.state(0) & FrameTable.VERSION_MASK) >>> FrameTable.VERSION_SHIFT;
            assertEquals(((long) threads * rounds) & ((1L << 28) - 1), version, "every unlock bumped the version");
        }
    }

    @Test
    void pinsKeepTheReclaimerOutAndLocksKeepPinsOut() {
        try (FrameTable frames = new FrameTable(2, 4096)) {
            frames.bindLocked(1, 7, 42);
            frames.unlock(1, FrameTable.UPTODATE, 0);
            assertFalse(frames.tryPin(1, 7, 41), "wrong page");
            assertFalse(frames.tryPin(1, 8, 42), "wrong file");
            assertTrue(frames.tryPin(1, 7, 42));
            assertFalse(frames.tryLockIdle(1), "a pinned frame cannot be taken for eviction");
            frames.unpin(1);
            assertTrue(frames.tryLockIdle(1));
            assertFalse(frames.tryPin(1, 7, 42), "a locked frame cannot be pinned");
            frames.unbindAndUnlock(1);
            assertEquals(0, FrameTable.slot(frames.state(1)));
            assertFalse(frames.tryPin(1, 7, 42), "a free frame cannot be pinned");
        }
    }
}
