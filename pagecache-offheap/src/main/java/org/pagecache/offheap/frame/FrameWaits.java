package org.pagecache.offheap.frame;

import static org.pagecache.offheap.frame.FrameLayout.LOCKED;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The waiting side of {@link FrameTable}'s page lock: spinning, then parking in the {@link WaitTable}, with the
 * counts of waits behind {@code stats()}; and the bounded polls for pins and write-backs to go away.
 */
final class FrameWaits {
    private static final int SPINS = 100;
    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final WaitTable table;
    private final LongAdder lockWaits = new LongAdder();
    private final LongAdder lockWaitNanos = new LongAdder();

    FrameWaits(long sliceMillis) {
        this.table = new WaitTable(sliceMillis);
    }

    /** Wakes every thread waiting for the frame's lock. */
    void wakeAll(int frame) {
        table.wakeAll(frame);
    }

    /** See {@link FrameTable#lock}: the part after a first try failed. */
    void lockSlow(FrameTable frames, int frame) {
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if (frames.tryLock(frame)) {
                return;
            }
        }
        long start = System.nanoTime();
        lockWaits.increment();
        boolean interrupted = false;
        while (!frames.tryLock(frame)) {
            interrupted |= table.awaitUnlock(frames, frame);
        }
        lockWaitNanos.add(System.nanoTime() - start);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** See {@link FrameTable#tryLock(int, long)}. */
    boolean tryLock(FrameTable frames, int frame, long timeoutNanos) {
        if (frames.tryLock(frame)) {
            return true;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        lockWaits.increment();
        long start = System.nanoTime();
        boolean interrupted = false;
        try {
            while (!frames.tryLock(frame)) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                interrupted |= table.awaitUnlock(frames, frame);
            }
            return true;
        } finally {
            lockWaitNanos.add(System.nanoTime() - start);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** See {@link FrameTable#lockInterruptibly}. */
    void lockInterruptibly(FrameTable frames, int frame) throws java.io.InterruptedIOException {
        while (!frames.tryLock(frame)) {
            if (Thread.interrupted() || table.awaitUnlock(frames, frame)) {
                throw new java.io.InterruptedIOException("interrupted waiting for the lock of frame " + frame);
            }
        }
    }

    /** See {@link FrameTable#awaitUnlocked}. */
    void awaitUnlocked(FrameTable frames, int frame) {
        for (int i = 0; i < SPINS; i++) {
            if ((frames.state(frame) & LOCKED) == 0) {
                return;
            }
            Thread.onSpinWait();
        }
        long start = System.nanoTime();
        lockWaits.increment();
        boolean interrupted = false;
        while ((frames.state(frame) & LOCKED) != 0) {
            interrupted |= table.awaitUnlock(frames, frame);
        }
        lockWaitNanos.add(System.nanoTime() - start);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** See {@link FrameTable#awaitClear}. */
    boolean awaitClear(FrameTable frames, int frame, long bits, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean interrupted = false;
        try {
            while ((frames.state(frame) & bits) != 0) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                LockSupport.parkNanos(POLL_NANOS);
                interrupted |= Thread.interrupted(); // else every later park would return at once
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    long lockWaits() {
        return lockWaits.sum();
    }

    long lockWaitNanos() {
        return lockWaitNanos.sum();
    }
}
