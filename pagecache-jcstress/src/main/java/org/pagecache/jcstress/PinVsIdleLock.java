package org.pagecache.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;

/**
 * Pin against the reclaimer's way in: {@code tryPin} and {@code tryLockIdle} on an unlocked, uptodate, unpinned
 * frame. Exactly one wins. Result: (pinned, idle-locked, pins in the final state, locked in the final state).
 */
@JCStressTest
@Description("tryPin against tryLockIdle: exactly one succeeds, and the final state says which.")
@Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "The pin won: one pin, not locked.")
@Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "The reclaimer won: locked, no pin.")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "Both succeeded: a pinned frame is locked for eviction.")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "Neither succeeded.")
@Outcome(expect = FORBIDDEN, desc = "Anything else (final state disagrees with winner).")
@State
public class PinVsIdleLock {
    private final FrameTable frames = Frames.bound(0);

    @Actor
    public void pinner(IIII_Result r) {
        r.r1 = frames.tryPin(Frames.FRAME, Frames.SLOT, Frames.PAGE) ? 1 : 0;
    }

    @Actor
    public void reclaimer(IIII_Result r) {
        r.r2 = frames.tryLockIdle(Frames.FRAME) ? 1 : 0;
    }

    @Arbiter
    public void close(IIII_Result r) {
        long s = frames.state(Frames.FRAME);
        r.r3 = FrameTable.pins(s);
        r.r4 = FrameState.isLocked(s) ? 1 : 0;
        frames.close();
    }
}
