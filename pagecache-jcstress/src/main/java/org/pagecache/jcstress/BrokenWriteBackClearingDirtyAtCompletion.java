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
import org.openjdk.jcstress.infra.results.IIIII_Result;
import org.pagecache.offheap.frame.FrameTable;

/**
 * A deliberately broken write-back, to show that {@link WriteBackVsWrite} can fail: it leaves {@code DIRTY} set at
 * the claim and clears it when the I/O completes, so a write that lands during the I/O is marked clean without
 * having been written. The check, the snapshot and the completion are the engine's own; only the claim's unlock
 * keeps {@code DIRTY} and the completion clears it. The lost-update outcomes {@link WriteBackVsWrite} forbids are graded ACCEPTABLE_INTERESTING
 * here so that the build does not fail; their counts are the evidence.
 */
@JCStressTest
@Description("BROKEN on purpose: clearing DIRTY at write-back completion loses a write landing during the I/O.")
@Outcome(id = "1, 1, 1, 0, 0", expect = ACCEPTABLE, desc = "Write, then write-back of it: clean and on disk.")
@Outcome(id = "0, -1, -1, 1, 0", expect = ACCEPTABLE, desc = "The writer held the lock: write-back passed over.")
@Outcome(id = "1, [01], [01], 1, 0", expect = ACCEPTABLE, desc = "The write unlocked after the completion: dirty.")
@Outcome(
        id = "1, .*, 0, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "Lost update: clean, but the write was not written.")
@Outcome(expect = FORBIDDEN, desc = "Anything else.")
@State
public class BrokenWriteBackClearingDirtyAtCompletion {
    private final FrameTable frames = Frames.bound(FrameTable.DIRTY);

    @Actor
    public void writeBack(IIIII_Result r) {
        byte[] written = null;
        if (frames.tryLock(Frames.FRAME)
                && frames.writeBackCheck(Frames.FRAME, Frames.SLOT) == FrameTable.WRITEBACK_CLAIMABLE) {
            written = Frames.copyPage(frames);
            // BROKEN: DIRTY stays set at the claim ...
            frames.unlockUnchanged(Frames.FRAME, FrameTable.WRITEBACK, 0);
        }
        if (written != null) {
            frames.completeWriteBack(Frames.FRAME);
            // ... and is cleared when the I/O is done, whatever landed meanwhile.
            frames.update(Frames.FRAME, 0, FrameTable.DIRTY);
            r.r1 = 1;
            r.r2 = (int) Frames.longAt(written, Frames.FIRST);
            r.r3 = (int) Frames.longAt(written, Frames.LAST);
        } else {
            r.r2 = -1;
            r.r3 = -1;
        }
    }

    @Actor
    public void writer() {
        Frames.write(frames, 1);
    }

    @Arbiter
    public void close(IIIII_Result r) {
        r.r4 = Frames.bits(frames, FrameTable.DIRTY);
        r.r5 = Frames.bits(frames, FrameTable.LOCKED | FrameTable.WRITEBACK);
        frames.close();
    }
}
