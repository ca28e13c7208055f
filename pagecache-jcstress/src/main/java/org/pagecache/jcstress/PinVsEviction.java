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
import org.pagecache.offheap.frame.FrameTable;

/**
 * Pin against eviction. One actor pins the frame for page 7 ({@code tryPin}, as the fast path pins a source
 * page) and, while pinned, reads which page the frame holds and its content; the other evicts the frame the
 * reclaimer's way ({@code tryLockIdle}, {@code unbindAndUnlock}) and rebinds it to page 9 the way a fault does
 * ({@code bindLocked}, fill, {@code unlock(UPTODATE)}). The pin is held until the end. Result: (pinned, evicted,
 * page index seen while pinned, content seen while pinned: the first long if it equals the last, else -2).
 */
@JCStressTest
@Description("tryPin against tryLockIdle + unbind + rebind: never both; a pinned frame keeps its page.")
@Outcome(id = "1, 0, 7, 7", expect = ACCEPTABLE, desc = "Pinned first: the eviction backs off, the page stays.")
@Outcome(id = "0, 1, -1, -1", expect = ACCEPTABLE, desc = "Evicted first: the pin fails (locked or rebound).")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "Pinned and evicted: a pinned frame was taken away.")
@Outcome(id = "1, 0, .*", expect = FORBIDDEN, desc = "Pinned, but the frame did not hold page 7's content.")
@Outcome(id = "0, 0, -1, -1", expect = FORBIDDEN, desc = "Neither the pin nor the eviction succeeded.")
@Outcome(expect = FORBIDDEN, desc = "Anything else.")
@State
public class PinVsEviction {
    private final FrameTable frames = Frames.bound(0);

    public PinVsEviction() {
        Frames.set(frames, Frames.FIRST, Frames.PAGE);
        Frames.set(frames, Frames.LAST, Frames.PAGE);
    }

    @Actor
    public void pinner(IIII_Result r) {
        if (frames.tryPin(Frames.FRAME, Frames.SLOT, Frames.PAGE)) {
            r.r1 = 1;
            r.r3 = frames.pageIndex(Frames.FRAME);
            long first = Frames.get(frames, Frames.FIRST);
            long last = Frames.get(frames, Frames.LAST);
            r.r4 = first == last ? (int) first : -2;
        } else {
            r.r3 = -1;
            r.r4 = -1;
        }
    }

    @Actor
    public void evictor(IIII_Result r) {
        r.r2 = Frames.evictAndRebind(frames) ? 1 : 0;
    }

    @Arbiter
    public void close(IIII_Result r) {
        frames.close();
    }
}
