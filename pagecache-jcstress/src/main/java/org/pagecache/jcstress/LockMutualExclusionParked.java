package org.pagecache.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;
import org.pagecache.offheap.frame.FrameTable;

/**
 * Lock mutual exclusion through the slow path: each actor holds the lock for {@value #HOLD_MICROS} µs, far longer
 * than {@code lock}'s spin phase, so the other actor often gives up spinning, sets {@code WAITERS} and waits in the
 * wait table until the holder's unlock wakes it. The holder looks at the state just before it unlocks, so the
 * result shows whether a waiter had set {@code WAITERS}, i.e. was parked on the wait table's monitor. The table's
 * wait slice (how long a waiter sleeps before it looks at the state again even if nobody woke it) is
 * {@value #SLICE_MILLIS} ms instead of the default 50 ms, and each {@code lock()} is timed: a lost wake-up shows as
 * a {@code lock()} of {@value #LOST_WAKEUP_MILLIS} ms or more, which a 200 µs critical section cannot explain.
 *
 * <p>Result: (final count, final LOCKED|WAITERS bits, an actor entered lock()'s slow path, a holder saw WAITERS
 * at its unlock, longest lock(): 0 = under 40 ms, 1 = 40 ms to 5 s, 2 = 5 s or more).
 */
@JCStressTest
@Description("lock/unlock exclude each other when the waiter parks; the unlock clears WAITERS and wakes it.")
@Outcome(id = "2, 0, 0, 0, 0", expect = ACCEPTABLE, desc = "Both increments; no actor left the spin phase.")
@Outcome(id = "2, 0, 1, 0, 0", expect = ACCEPTABLE, desc = "Both increments; a waiter spun out, did not park.")
@Outcome(
        id = "2, 0, 1, 1, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "Both increments; a waiter parked (WAITERS) and was woken.")
@Outcome(
        id = "2, 0, [01], [01], 1",
        expect = ACCEPTABLE_INTERESTING,
        desc = "A lock() took 40 ms..5 s: thread descheduled.")
@Outcome(id = "2, 0, [01], [01], 2", expect = FORBIDDEN, desc = "A lock() took >= 5 s: lost wake-up (slice timeout).")
@Outcome(id = "1, .*", expect = FORBIDDEN, desc = "Lost increment: both actors inside the lock at once.")
@Outcome(expect = FORBIDDEN, desc = "Anything else (LOCKED/WAITERS left set, ...).")
@State
public class LockMutualExclusionParked {
    static final long HOLD_MICROS = 200;
    static final long SLICE_MILLIS = 20_000;
    static final long LOST_WAKEUP_MILLIS = 5_000;
    private static final long SLOW_LOCK_NANOS = TimeUnit.MILLISECONDS.toNanos(40);

    private final FrameTable frames = Frames.bound(new FrameTable(2, Frames.PAGE_SIZE, SLICE_MILLIS), 0);
    /** Per actor: [0] nanoseconds its lock() took, [1] 1 if WAITERS was set when it unlocked. */
    private final long[] first = new long[2];

    private final long[] second = new long[2];

    private void increment(long[] seen) {
        long start = System.nanoTime();
        frames.lock(Frames.FRAME);
        seen[0] = System.nanoTime() - start;
        long v = Frames.get(frames, Frames.FIRST);
        long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(HOLD_MICROS);
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
        Frames.set(frames, Frames.FIRST, v + 1);
        seen[1] = frames.hasAny(Frames.FRAME, FrameTable.WAITERS) ? 1 : 0;
        frames.unlock(Frames.FRAME, FrameTable.DIRTY, 0);
    }

    @Actor
    public void first() {
        increment(first);
    }

    @Actor
    public void second() {
        increment(second);
    }

    @Arbiter
    public void close(IIIII_Result r) {
        r.r1 = (int) Frames.get(frames, Frames.FIRST);
        r.r2 = Frames.bits(frames, FrameTable.LOCKED | FrameTable.WAITERS);
        r.r3 = frames.lockWaits() > 0 ? 1 : 0;
        r.r4 = (int) (first[1] | second[1]);
        long longest = Math.max(first[0], second[0]);
        r.r5 = longest >= TimeUnit.MILLISECONDS.toNanos(LOST_WAKEUP_MILLIS) ? 2 : longest >= SLOW_LOCK_NANOS ? 1 : 0;
        frames.close();
    }
}
