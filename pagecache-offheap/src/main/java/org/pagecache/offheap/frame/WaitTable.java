package org.pagecache.offheap.frame;

/**
 * Where threads wait for a page lock: a fixed table of monitors, hashed by frame, shared by all frames (like
 * Linux's page wait queues). A waiter sets the frame's {@link FrameTable#WAITERS} bit under the bucket's monitor
 * and waits; an unlock that clears a set {@code WAITERS} bit wakes the bucket. Checking the state and waiting
 * happen under the monitor, and the waking unlock takes the monitor after changing the state, so no wake-up is
 * lost. A frame's waiters only ever wait on one bucket; other frames hashed to it cost a spurious wake-up at most.
 */
final class WaitTable {
    private static final int BUCKETS = 256;
    /** The longest a waiter sleeps before it looks at the state again, whatever it was told. */
    static final long DEFAULT_SLICE_MILLIS = 50;

    private final Object[] monitors = new Object[BUCKETS];
    private final long sliceMillis;

    WaitTable(long sliceMillis) {
        this.sliceMillis = sliceMillis;
        for (int i = 0; i < BUCKETS; i++) {
            monitors[i] = new Object();
        }
    }

    private Object bucket(int frame) {
        return monitors[(frame * 0x9E3779B1 >>> 24) & (BUCKETS - 1)];
    }

    /**
     * Waits while the frame is locked. Returns when it was seen unlocked, or after a wake-up; the caller retries.
     * An interrupt ends the wait early and clears the thread's interrupt status; the caller must restore it
     * (after it has the lock, for the uninterruptible waits) so that later waits do not end at once.
     *
     * @return whether the thread was interrupted
     */
    boolean awaitUnlock(FrameTable frames, int frame) {
        Object monitor = bucket(frame);
        synchronized (monitor) {
            long s = frames.state(frame);
            if ((s & FrameTable.LOCKED) == 0) {
                return false;
            }
            if ((s & FrameTable.WAITERS) == 0 && !frames.casState(frame, s, s | FrameTable.WAITERS)) {
                return false;
            }
            try {
                monitor.wait(sliceMillis);
                return false;
            } catch (InterruptedException e) {
                return true;
            }
        }
    }

    void wakeAll(int frame) {
        Object monitor = bucket(frame);
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }
}
