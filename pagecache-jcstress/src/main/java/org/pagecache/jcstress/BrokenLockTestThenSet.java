package org.pagecache.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;

/**
 * A deliberately broken lock, to show that {@link LockMutualExclusion} can fail: it waits until the frame looks
 * unlocked and then sets {@code LOCKED} unconditionally ({@code update}), instead of compare-and-setting it from the
 * unlocked state it saw. Two threads can both pass the test before either sets the bit. The lost increment
 * {@link LockMutualExclusion} forbids is graded ACCEPTABLE_INTERESTING here so that the build does not fail.
 */
@JCStressTest
@Description("BROKEN on purpose: test-then-set locking lets two threads in; an increment is lost.")
@Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "Both increments.")
@Outcome(id = "1, 0", expect = ACCEPTABLE_INTERESTING, desc = "Lost increment: both threads held the broken lock.")
@Outcome(expect = FORBIDDEN, desc = "Anything else.")
@State
public class BrokenLockTestThenSet {
    private final FrameTable frames = Frames.bound(0);

    private void increment() {
        while (FrameState.isLocked(frames.state(Frames.FRAME))) {
            Thread.onSpinWait();
        }
        // BROKEN: the check above and this set are not one atomic step.
        frames.update(Frames.FRAME, FrameTable.LOCKED, 0);
        Frames.set(frames, Frames.FIRST, Frames.get(frames, Frames.FIRST) + 1);
        // (unlockUnchanged: no assertion that the frame is locked, the broken lock may already be released)
        frames.unlockUnchanged(Frames.FRAME, FrameTable.DIRTY, 0);
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
