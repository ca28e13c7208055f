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
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.pagecache.offheap.frame.FrameTable;

/**
 * A deliberately broken eviction, to show that {@link PinVsEviction} can fail: it takes the frame with
 * {@code tryLock} instead of {@code tryLockForEviction} (whose look before and {@code tryLockIdle} refuse pinned
 * frames), so it ignores pins, and then runs the real rest of the eviction ({@code keepLockIfEvictable},
 * {@code unbindAndUnlock}) and rebinding: it frees and rebinds a pinned frame. The
 * outcomes {@link PinVsEviction} forbids are graded ACCEPTABLE_INTERESTING here so that the build does not fail;
 * their counts are the evidence.
 */
@JCStressTest
@Description("BROKEN on purpose: eviction through tryLock (ignoring pins) takes pinned frames away.")
@Outcome(id = "1, 0, 7, 7", expect = ACCEPTABLE, desc = "Pinned first, the eviction lost the lock race.")
@Outcome(id = "0, 1, -1, -1", expect = ACCEPTABLE, desc = "Evicted first: the pin fails.")
@Outcome(
        id = "1, 1, 7, 7",
        expect = ACCEPTABLE_INTERESTING,
        desc = "Pinned and evicted: pinned frame freed and rebound.")
@Outcome(
        id = "1, 1, .*",
        expect = ACCEPTABLE_INTERESTING,
        desc = "Pinned and evicted; pinner saw page 9 / torn content, or its pin vanished (-3: unpin refused).")
@Outcome(id = "0, 0, -1, -1", expect = ACCEPTABLE, desc = "The pin met the eviction's lock; the eviction backed off.")
@Outcome(expect = FORBIDDEN, desc = "Anything else.")
@State
public class BrokenEvictionIgnoringPins {
    private final FrameTable frames = Frames.bound(0);

    public BrokenEvictionIgnoringPins() {
        Frames.set(frames, Frames.FIRST, Frames.PAGE);
        Frames.set(frames, Frames.LAST, Frames.PAGE);
    }

    @Actor
    public void pinner(IIII_Result r) {
        boolean pinned;
        try {
            pinned = frames.tryPin(Frames.FRAME, Frames.SLOT, Frames.PAGE);
        } catch (IllegalStateException lost) {
            // the pin was taken away between its CAS and its page check, and unpin refused to underflow
            r.r1 = 1;
            r.r3 = -3;
            r.r4 = -3;
            return;
        }
        if (pinned) {
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
        // BROKEN: tryLock does not look at the pin count.
        r.r2 = frames.tryLock(Frames.FRAME) && frames.keepLockIfEvictable(Frames.FRAME) && Frames.freeAndRebind(frames)
                ? 1
                : 0;
    }

    @Arbiter
    public void close(IIII_Result r) {
        frames.close();
    }
}
