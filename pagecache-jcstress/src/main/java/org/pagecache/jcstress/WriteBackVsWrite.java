package org.pagecache.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
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
 * The dirty bit cleared by a write-back against a write that lands during the write-back. The frame starts dirty
 * with both longs 0. The write-back actor does what {@code WriteBack#writeBack} does: {@code tryLock},
 * {@code writeBackCheck}, the snapshot of the page under the lock (what the I/O writes), {@code claimWriteBack}
 * (DIRTY traded for WRITEBACK, unlocked unchanged), then, as after the I/O, {@code completeWriteBack}. The writer
 * does {@code lock}, writes both longs as 1, {@code unlock(UPTODATE|DIRTY|REFERENCED, 0)}.
 *
 * <p>Result: (write-back claimed, first long written, last long written, final DIRTY, final LOCKED|WRITEBACK).
 * A lost update is a clean frame whose written bytes do not hold the write.
 */
@JCStressTest
@Description("Write-back clears DIRTY at the claim, so a write landing during the I/O keeps the frame dirty.")
@Outcome(id = "1, 1, 1, 0, 0", expect = ACCEPTABLE, desc = "Write, then write-back of it: clean and on disk.")
@Outcome(
        id = "1, 0, 0, 1, 0",
        expect = ACCEPTABLE,
        desc = "Write-back of the old page, the write after the claim (during the I/O): still dirty.")
@Outcome(
        id = {"1, 0, 1, .*", "1, 1, 0, .*"},
        expect = FORBIDDEN,
        desc = "Torn snapshot: the bytes to write were not copied under the page lock.")
@Outcome(id = "0, -1, -1, 1, 0", expect = ACCEPTABLE, desc = "The writer held the lock: write-back passed over.")
@Outcome(id = "[01], .*, 0, 0", expect = FORBIDDEN, desc = "Lost update: clean, but the write was not written.")
@Outcome(expect = FORBIDDEN, desc = "Anything else (e.g. left locked or under write-back).")
@State
public class WriteBackVsWrite {
    private final FrameTable frames = Frames.bound(FrameTable.DIRTY);

    @Actor
    public void writeBack(IIIII_Result r) {
        byte[] written = Frames.claimWriteBack(frames);
        if (written != null) {
            Frames.completeWriteBack(frames);
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
