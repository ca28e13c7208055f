package org.pagecache.offheap.frame;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.testing.Threads;

class WaitTableTest {
    private static final long HOUR = Duration.ofHours(1).toMillis();

    @Test
    void anUnlockedFrameIsNotWaitedFor() {
        try (FrameTable frames = new FrameTable(2, 4096, HOUR)) {
            WaitTable waits = new WaitTable(HOUR);
            long start = System.nanoTime();
            assertFalse(waits.awaitUnlock(frames, 0));
            assertFalse(FrameState.isLocked(frames.state(0)));
            assertFalse(frames.hasAny(0, FrameTable.WAITERS), "no waiter bit on a frame nobody waits for");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        }
    }

    /** With a slice of an hour only the unlock's wake-up can end the wait within the test's bound. */
    @Test
    void aWaiterSetsTheWaiterBitAndTheUnlockWakesIt() throws Exception {
        try (FrameTable frames = new FrameTable(2, 4096, HOUR)) {
            WaitTable waits = new WaitTable(HOUR);
            frames.lock(1);
            CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> waits.awaitUnlock(frames, 1));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!frames.hasAny(1, FrameTable.WAITERS)) {
                if (System.nanoTime() - deadline > 0) {
                    fail("the waiter never set WAITERS\n" + Threads.dump());
                }
                Thread.onSpinWait();
            }
            Thread.sleep(20);
            assertFalse(waiter.isDone(), "still waiting while the frame is locked");
            // the wake-up comes from this table: the frame table's own unlock wakes its own table
            frames.unlockUnchanged(1, 0, 0);
            waits.wakeAll(1);
            assertFalse(awaitResult(waiter), "woken, not interrupted");
            assertFalse(frames.hasAny(1, FrameTable.WAITERS), "the unlock cleared the waiter bit");
        }
    }

    @Test
    void theSliceBoundsAWaitNobodyEnds() {
        try (FrameTable frames = new FrameTable(2, 4096, HOUR)) {
            WaitTable waits = new WaitTable(30);
            frames.lock(0);
            long start = System.nanoTime();
            assertFalse(waits.awaitUnlock(frames, 0), "a timed-out slice is not an interrupt");
            long took = System.nanoTime() - start;
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(25), "slept its slice: " + took + " ns");
            assertTrue(FrameState.isLocked(frames.state(0)), "waiting never takes the lock");
            frames.unlock(0, 0, 0);
        }
    }

    @Test
    void anInterruptEndsTheWaitAndIsReportedNotKept() throws Exception {
        try (FrameTable frames = new FrameTable(2, 4096, HOUR)) {
            WaitTable waits = new WaitTable(HOUR);
            frames.lock(0);
            CompletableFuture<boolean[]> result = new CompletableFuture<>();
            Thread t = new Thread(
                    () -> {
                        boolean interrupted = waits.awaitUnlock(frames, 0);
                        result.complete(new boolean[] {
                            interrupted, Thread.currentThread().isInterrupted()
                        });
                    },
                    "wait-table-waiter");
            t.setDaemon(true);
            t.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!frames.hasAny(0, FrameTable.WAITERS)) {
                if (System.nanoTime() - deadline > 0) {
                    fail("the waiter never set WAITERS\n" + Threads.dump());
                }
                Thread.onSpinWait();
            }
            t.interrupt();
            boolean[] r = awaitResult(result);
            assertTrue(r[0], "the interrupt is reported");
            assertFalse(r[1], "and cleared: the caller restores it when it is done waiting");
            frames.unlock(0, 0, 0);
        }
    }

    /** Through the frame table: lock() parks on its wait table and the holder's unlock wakes it. */
    @Test
    void aParkedLockIsHandedOverByTheUnlock() throws Exception {
        try (FrameTable frames = new FrameTable(2, 4096, HOUR)) {
            frames.lock(0);
            CompletableFuture<Void> locker = CompletableFuture.runAsync(() -> {
                frames.lock(0);
                frames.unlock(0, 0, 0);
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!frames.hasAny(0, FrameTable.WAITERS)) {
                if (System.nanoTime() - deadline > 0) {
                    fail("the second locker never parked\n" + Threads.dump());
                }
                Thread.onSpinWait();
            }
            frames.unlock(0, 0, 0);
            awaitResult(locker);
            assertFalse(frames.hasAny(0, FrameTable.LOCKED | FrameTable.WAITERS));
            assertTrue(frames.lockWaits() >= 1);
        }
    }

    private static <T> T awaitResult(CompletableFuture<T> f) throws InterruptedException, ExecutionException {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the waiter did not return (lost wake-up?)\n" + Threads.dump(), e);
        }
    }
}
