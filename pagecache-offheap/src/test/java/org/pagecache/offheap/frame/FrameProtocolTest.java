package org.pagecache.offheap.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The operations of the frame protocol, one thread at a time: what each one checks and what it leaves. */
class FrameProtocolTest {
    private static final int SLOT = 3;
    private static final int PAGE = 11;

    /** A table with frame 0 bound to page {@link #PAGE} of {@link #SLOT}, uptodate, unlocked, plus {@code flags}. */
    private static FrameTable bound(long flags) {
        FrameTable frames = new FrameTable(2, 4096);
        frames.bindLocked(0, SLOT, PAGE);
        frames.unlock(0, FrameTable.UPTODATE | flags, 0);
        return frames;
    }

    @Test
    void boundToChecksSlotAndPage() {
        try (FrameTable frames = bound(0)) {
            assertTrue(frames.isBoundTo(0, SLOT, PAGE));
            assertTrue(frames.isBoundTo(0, SLOT));
            assertFalse(frames.isBoundTo(0, SLOT, PAGE + 1), "another page");
            assertFalse(frames.isBoundTo(0, SLOT + 1, PAGE), "another file");
            assertFalse(frames.isBoundTo(1, SLOT), "a free frame");
            assertFalse(frames.isBoundWith(0, SLOT, PAGE, FrameTable.DIRTY), "clean");
            frames.lock(0);
            frames.unlock(0, FrameTable.DIRTY, 0);
            assertTrue(frames.isBoundWith(0, SLOT, PAGE, FrameTable.DIRTY));
            assertTrue(frames.isBoundWith(0, SLOT, FrameTable.DIRTY | FrameTable.WRITEBACK));
            assertFalse(frames.isBoundWith(0, SLOT + 1, FrameTable.DIRTY));
        }
    }

    @Test
    void lockIfBoundLetsGoOfAFrameThatMovedOn() {
        try (FrameTable frames = bound(0)) {
            long before = frames.state(0);
            assertFalse(frames.lockIfBound(0, SLOT, PAGE + 1), "a stale entry's page");
            assertEquals(before, frames.state(0), "released unchanged: same version, no lock");
            assertTrue(frames.lockIfBound(0, SLOT, PAGE));
            assertTrue(FrameState.isLocked(frames.state(0)));
            assertTrue(frames.keepLockIfBound(0, SLOT, PAGE), "still bound: the lock stays");
            assertFalse(frames.keepLockIfBound(0, SLOT + 1, PAGE));
            assertFalse(FrameState.isLocked(frames.state(0)), "not bound to that file: released");
        }
    }

    @Test
    void aStampValidatesUntilAWriteUnlocksAndNotWhileLocked() {
        try (FrameTable frames = bound(0)) {
            long stamp = frames.awaitStamp(0);
            assertEquals(FrameState.stamp(frames.state(0)), stamp);
            assertTrue(frames.hasStamp(0, stamp));
            assertTrue(frames.validate(0, stamp));
            assertTrue(frames.tryPin(0, SLOT, PAGE));
            frames.unpin(0);
            frames.markReferenced(0);
            assertTrue(frames.validate(0, stamp), "pins and the referenced mark do not change the content");
            frames.lock(0);
            assertFalse(frames.hasStamp(0, stamp), "locked");
            assertFalse(frames.validate(0, stamp), "locked");
            frames.unlockUnchanged(0, 0, 0);
            assertTrue(frames.validate(0, stamp), "an unchanged unlock keeps the version");
            frames.lock(0);
            frames.unlock(0, 0, 0);
            assertFalse(frames.validate(0, stamp), "an unlock after a write bumps the version");
            long next = frames.awaitStamp(0);
            frames.lock(0);
            frames.unbindAndUnlock(0);
            frames.bindLocked(0, SLOT, PAGE);
            frames.unlock(0, FrameTable.UPTODATE, 0);
            assertFalse(frames.validate(0, next), "evicted and bound again: a new version");
        }
    }

    @Test
    void writeBackClaimTradesDirtyForWriteBackAndCompletionForUnsynced() {
        try (FrameTable frames = bound(FrameTable.DIRTY | FrameTable.ERROR)) {
            long version = frames.state(0) & FrameTable.VERSION_MASK;
            frames.lock(0);
            assertEquals(FrameTable.WRITEBACK_CLAIMABLE, frames.writeBackCheck(0, SLOT));
            assertTrue(FrameState.isLocked(frames.state(0)), "a claimable frame stays locked");
            frames.claimWriteBack(0);
            long s = frames.state(0);
            assertFalse(FrameState.isLocked(s));
            assertFalse(FrameState.isDirty(s), "a write from now on dirties it again");
            assertTrue(FrameState.isUnderWriteBack(s));
            assertTrue(FrameState.hasFailedWriteBack(s), "ERROR stays until a write-back succeeds");
            assertEquals(version, s & FrameTable.VERSION_MASK, "the claim does not change the content");

            frames.lock(0);
            assertEquals(FrameTable.WRITEBACK_IN_FLIGHT, frames.writeBackCheck(0, SLOT));
            assertFalse(FrameState.isLocked(frames.state(0)), "someone else's write-back: released");

            frames.failWriteBack(0);
            s = frames.state(0);
            assertTrue(
                    FrameState.isDirty(s) && !FrameState.isUnderWriteBack(s) && FrameState.hasFailedWriteBack(s),
                    FrameState.describe(s));

            frames.lock(0);
            assertEquals(FrameTable.WRITEBACK_CLAIMABLE, frames.writeBackCheck(0, SLOT));
            frames.claimWriteBack(0);
            frames.completeWriteBack(0);
            s = frames.state(0);
            assertFalse(
                    FrameState.isDirty(s) || FrameState.isUnderWriteBack(s) || FrameState.hasAny(s, FrameTable.ERROR),
                    FrameState.describe(s));
            assertTrue(FrameState.isUnsynced(s));

            frames.lock(0);
            assertEquals(FrameTable.WRITEBACK_NOTHING, frames.writeBackCheck(0, SLOT), "clean");
            frames.lock(0);
            frames.unlock(0, FrameTable.DIRTY, 0);
            frames.lock(0);
            assertEquals(FrameTable.WRITEBACK_NOTHING, frames.writeBackCheck(0, SLOT + 1), "another file's");
            assertFalse(FrameState.isLocked(frames.state(0)));
        }
    }

    @Test
    void aFailedForceDirtiesOnlyUnsyncedFramesOfItsFile() {
        try (FrameTable frames = bound(FrameTable.UNSYNCED)) {
            frames.lock(0);
            frames.redirtyUnsyncedAndUnlock(0, SLOT + 1);
            assertFalse(FrameState.isDirty(frames.state(0)), "another file's frame is left alone");
            frames.lock(0);
            frames.redirtyUnsyncedAndUnlock(0, SLOT);
            long s = frames.state(0);
            assertTrue(
                    FrameState.isDirty(s) && !FrameState.isUnsynced(s) && !FrameState.isLocked(s),
                    FrameState.describe(s));
        }
    }

    @Test
    void evictionTakesOnlyBoundCleanIdleFrames() {
        try (FrameTable frames = bound(0)) {
            assertFalse(frames.tryLockForEviction(1), "a free frame");
            assertTrue(frames.tryPin(0, SLOT, PAGE));
            assertFalse(frames.tryLockForEviction(0), "pinned");
            frames.unpin(0);
            frames.lock(0);
            assertFalse(frames.tryLockForEviction(0), "locked");
            frames.unlock(0, FrameTable.DIRTY, 0);
            assertFalse(frames.tryLockForEviction(0), "dirty");
            assertFalse(FrameState.isLocked(frames.state(0)));
            frames.lock(0);
            frames.unlockUnchanged(0, 0, FrameTable.DIRTY);
            assertTrue(frames.tryLockForEviction(0));
            assertTrue(FrameState.isLocked(frames.state(0)), "the evictor holds the lock");
            frames.unlockUnchanged(0, FrameTable.DIRTY, 0);
            frames.lock(0);
            assertFalse(frames.keepLockIfEvictable(0), "dirtied before the evictor locked it");
            assertFalse(FrameState.isLocked(frames.state(0)));
        }
    }

    @Test
    void referencedMarksAreSetAndTakenOff() {
        try (FrameTable frames = bound(0)) {
            assertFalse(FrameState.isReferenced(frames.state(0)), "a page-in is not a use");
            frames.lock(0);
            frames.reference(0);
            assertTrue(FrameState.isReferenced(frames.state(0)), "marked under the lock");
            frames.unlockUnchanged(0, 0, 0);
            assertTrue(FrameState.isReferenced(frames.state(0)), "the unlock keeps the mark");
            long seen = frames.state(0);
            frames.clearReferenced(0, seen);
            assertFalse(FrameState.isReferenced(frames.state(0)));
            frames.markReferenced(0);
            assertTrue(FrameState.isReferenced(frames.state(0)));
        }
    }

    @Test
    void describeNamesEveryField() {
        long s = 5 * FrameTable.VERSION_ONE
                | (7L << FrameTable.SLOT_SHIFT)
                | 2 * FrameTable.PIN_ONE
                | FrameTable.LOCKED
                | FrameTable.DIRTY
                | FrameTable.UNSYNCED;
        assertEquals("v=5 slot=7 pins=2 [LOCKED|DIRTY|UNSYNCED]", FrameState.describe(s));
        assertEquals("v=0 slot=0 pins=0 []", FrameState.describe(0));
        try (FrameTable frames = bound(0)) {
            String d = frames.describe(0);
            assertTrue(d.contains("slot=" + SLOT) && d.contains("UPTODATE") && d.contains("page " + PAGE), d);
            assertNotEquals(frames.describe(0), frames.describe(1));
        }
    }
}
