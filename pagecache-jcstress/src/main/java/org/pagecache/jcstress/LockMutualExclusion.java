package org.pagecache.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.pagecache.offheap.frame.FrameTable;

/**
 * Lock mutual exclusion: two actors each {@code lock}, increment a plain counter in the page, {@code unlock}.
 * Result: (final count, final LOCKED|WAITERS bits).
 */
@JCStressTest
@Description("lock/unlock exclude each other: two plain increments under the lock give 2.")
@Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "Both increments, lock free, no waiter bit left.")
@Outcome(id = "1, .*", expect = FORBIDDEN, desc = "Lost increment: both actors were inside the lock at once.")
@Outcome(expect = FORBIDDEN, desc = "Anything else (e.g. LOCKED or WAITERS left set).")
@State
public class LockMutualExclusion {
    private final FrameTable frames = Frames.bound(0);

    private void increment() {
        frames.lock(Frames.FRAME);
        Frames.set(frames, Frames.FIRST, Frames.get(frames, Frames.FIRST) + 1);
        frames.unlock(Frames.FRAME, FrameTable.DIRTY, 0);
    }

    @Actor
    public void first() {
        increment();
    }

    @Actor
    public void second() {
        increment();
    }

    @Arbiter
    public void close(II_Result r) {
        r.r1 = (int) Frames.get(frames, Frames.FIRST);
        r.r2 = Frames.bits(frames, FrameTable.LOCKED | FrameTable.WAITERS);
        frames.close();
    }
}
