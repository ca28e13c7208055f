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
import org.openjdk.jcstress.infra.results.III_Result;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;

/**
 * A deliberately broken optimistic read: it revalidates, but against a stamp taken <em>after</em> the copy
 * instead of the one taken before it, so it only checks that the frame is unlocked after the copy, not that the
 * version is unchanged. A whole write (lock, write, unlock) that starts and ends during the copy goes unnoticed.
 * This is why every exclusive unlock bumps the version. Every other step is the engine's own. Torn outcomes are graded
 * ACCEPTABLE_INTERESTING so that the build does not fail; their counts are the evidence.
 */
@JCStressTest
@Description("BROKEN on purpose: revalidation that ignores the version misses a write done during the copy.")
@Outcome(id = "2, 0, 0", expect = ACCEPTABLE, desc = "Copy accepted: the page before the write.")
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "Copy accepted: the page after the write.")
@Outcome(
        id = {"2, 0, 1", "2, 1, 0"},
        expect = ACCEPTABLE_INTERESTING,
        desc = "Torn copy accepted: a whole write ran during the copy.")
@Outcome(id = "1, [01], [01]", expect = ACCEPTABLE, desc = "Copy rejected: the frame was locked after the copy.")
@Outcome(id = "0, -1, -1", expect = ACCEPTABLE, desc = "Reader met the lock before copying.")
@Outcome(expect = FORBIDDEN, desc = "Anything else.")
@State
public class BrokenOptimisticReadIgnoringVersion {
    private final FrameTable frames = Frames.bound(0);

    @Actor
    public void writer() {
        Frames.write(frames, 1);
    }

    @Actor
    public void reader(III_Result r) {
        long s = frames.state(Frames.FRAME);
        if (FrameState.isLocked(s)) {
            r.r1 = Frames.READ_SAW_LOCK;
            r.r2 = -1;
            r.r3 = -1;
            return;
        }
        byte[] copy = Frames.copyPage(frames);
        // BROKEN: validated against the state after the copy, so the version seen before it is not compared.
        long after = frames.state(Frames.FRAME);
        boolean valid = !FrameState.isLocked(after) && frames.validate(Frames.FRAME, FrameState.stamp(after));
        r.r1 = valid ? Frames.READ_VALIDATED : Frames.READ_REJECTED;
        r.r2 = (int) Frames.longAt(copy, Frames.FIRST);
        r.r3 = (int) Frames.longAt(copy, Frames.LAST);
    }

    @Arbiter
    public void close(III_Result r) {
        frames.close();
    }
}
