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
import org.pagecache.offheap.frame.FrameTable;

/**
 * Exclusive lock against optimistic read validation. A writer locks the frame, writes the page's first and last
 * longs (0 to 1) and unlocks (bumping the version); a reader runs the optimistic read of {@code CachedFile#readPage}
 * over the whole page. Result: (read outcome, first long, last long) where the outcome is 0 = met the lock,
 * 1 = copied but rejected by revalidation, 2 = copy accepted. An accepted copy must be all-before or all-after.
 */
@JCStressTest
@Description("Exclusive page lock against the optimistic read: an accepted copy is never torn.")
@Outcome(id = "2, 0, 0", expect = ACCEPTABLE, desc = "Copy accepted: the page before the write.")
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "Copy accepted: the page after the write.")
@Outcome(id = "2, 0, 1", expect = FORBIDDEN, desc = "Torn copy accepted: first long old, last long new.")
@Outcome(id = "2, 1, 0", expect = FORBIDDEN, desc = "Torn copy accepted: first long new, last long old.")
@Outcome(
        id = "1, [01], [01]",
        expect = ACCEPTABLE_INTERESTING,
        desc = "Copy rejected by revalidation (reader retries).")
@Outcome(id = "0, -1, -1", expect = ACCEPTABLE, desc = "Reader met the lock before copying (it waits and retries).")
@Outcome(expect = FORBIDDEN, desc = "Anything else.")
@State
public class OptimisticReadVsLockedWrite {
    private final FrameTable frames = Frames.bound(0);

    @Actor
    public void writer() {
        Frames.write(frames, 1);
    }

    @Actor
    public void reader(III_Result r) {
        byte[] copy = new byte[Frames.PAGE_SIZE];
        int outcome = Frames.optimisticRead(frames, copy);
        r.r1 = outcome;
        if (outcome == Frames.READ_SAW_LOCK) {
            r.r2 = -1;
            r.r3 = -1;
        } else {
            r.r2 = (int) Frames.longAt(copy, Frames.FIRST);
            r.r3 = (int) Frames.longAt(copy, Frames.LAST);
        }
    }

    @Arbiter
    public void close(III_Result r) {
        frames.close();
    }
}
