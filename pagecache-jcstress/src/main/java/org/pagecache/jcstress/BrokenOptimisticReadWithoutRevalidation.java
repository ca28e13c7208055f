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
 * A deliberately broken optimistic read, to show that {@link OptimisticReadVsLockedWrite} can fail: it checks the
 * state before the copy but never re-reads it after, so it accepts a copy a write tore. The torn outcomes that
 * {@link OptimisticReadVsLockedWrite} forbids are graded ACCEPTABLE_INTERESTING here so that the build does not fail;
 * their counts are the evidence.
 */
@JCStressTest
@Description("BROKEN on purpose: optimistic read without revalidation accepts torn copies.")
@Outcome(id = "2, 0, 0", expect = ACCEPTABLE, desc = "Copy accepted: the page before the write.")
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "Copy accepted: the page after the write.")
@Outcome(
        id = {"2, 0, 1", "2, 1, 0"},
        expect = ACCEPTABLE_INTERESTING,
        desc = "Torn copy accepted (forbidden in the real protocol).")
@Outcome(id = "0, -1, -1", expect = ACCEPTABLE, desc = "Reader met the lock before copying.")
@Outcome(expect = FORBIDDEN, desc = "Anything else.")
@State
public class BrokenOptimisticReadWithoutRevalidation {
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
        // BROKEN: no validate(stamp) after the copy: the copy is taken as valid.
        r.r1 = Frames.READ_VALIDATED;
        r.r2 = (int) Frames.longAt(copy, Frames.FIRST);
        r.r3 = (int) Frames.longAt(copy, Frames.LAST);
    }

    @Arbiter
    public void close(III_Result r) {
        frames.close();
    }
}
