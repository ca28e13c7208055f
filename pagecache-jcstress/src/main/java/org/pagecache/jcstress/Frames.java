package org.pagecache.jcstress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;

/**
 * What the tests share: a two-frame {@link FrameTable} whose frame {@link #FRAME} is bound to page {@link #PAGE}
 * of file slot {@link #SLOT}, and the engine's sequences of frame operations (the optimistic read of
 * {@code CachedFile#readPage}, the claim and completion of {@code WriteBack#writeBack}, the eviction of
 * {@code Reclaimer#tryEvict}). Every step is a call of the engine's own {@link FrameTable} method (no state word
 * is masked or compared here), so a change to the protocol in {@code frame/} is what these tests run; a broken
 * twin replaces exactly one of those calls.
 *
 * <p>Every test state owns one table and closes it in its arbiter (the table's arena is shared).
 */
final class Frames {
    /** The frame under test. */
    static final int FRAME = 0;
    /** The file slot the frame is bound to. */
    static final int SLOT = 1;
    /** The page the frame holds. */
    static final int PAGE = 7;
    /** The page an eviction rebinds the frame to. */
    static final int OTHER_PAGE = 9;
    /** Bytes per frame. */
    static final int PAGE_SIZE = 4096;
    /** Offset of the first long a test writes: the page's first bytes. */
    static final long FIRST = 0;
    /** Offset of the second long a test writes: the page's last bytes. */
    static final long LAST = PAGE_SIZE - Long.BYTES;

    /** The optimistic reader met the lock before copying (it would wait and retry). */
    static final int READ_SAW_LOCK = 0;
    /** The optimistic reader copied, but the state changed: the copy is thrown away (it would retry). */
    static final int READ_REJECTED = 1;
    /** The optimistic reader copied and the state was unchanged: the copy is accepted. */
    static final int READ_VALIDATED = 2;

    private Frames() {}

    /** A new table with {@link #FRAME} bound to {@link #PAGE} of {@link #SLOT}, uptodate, unlocked. */
    static FrameTable bound(long extraFlags) {
        return bound(new FrameTable(2, PAGE_SIZE), extraFlags);
    }

    /** {@link #bound(long)} on a given new table. */
    static FrameTable bound(FrameTable frames, long extraFlags) {
        frames.bindLocked(FRAME, SLOT, PAGE);
        frames.unlock(FRAME, FrameTable.UPTODATE | extraFlags, 0);
        return frames;
    }

    /** Reads a long of the frame with a plain access (as a page copy does). */
    static long get(FrameTable frames, long offset) {
        return frames.memory().get(ValueLayout.JAVA_LONG, frames.offset(FRAME) + offset);
    }

    /** Writes a long of the frame with a plain access (as a page write does). */
    static void set(FrameTable frames, long offset, long value) {
        frames.memory().set(ValueLayout.JAVA_LONG, frames.offset(FRAME) + offset, value);
    }

    /** Copies the whole frame out, as a write-back's {@code FileChannel.write} or a page read does. */
    static byte[] copyPage(FrameTable frames) {
        byte[] copy = new byte[PAGE_SIZE];
        MemorySegment.copy(frames.memory(), ValueLayout.JAVA_BYTE, frames.offset(FRAME), copy, 0, PAGE_SIZE);
        return copy;
    }

    /** A long of a copied page. */
    static long longAt(byte[] page, long offset) {
        return MemorySegment.ofArray(page).get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
    }

    /**
     * The optimistic read of {@code CachedFile#readPage}: state (acquire), unlocked and bound to the page, copy,
     * load-load fence, state again; the copy is valid iff version, slot and unlocked are unchanged.
     *
     * @param out where the copied page goes
     * @return {@link #READ_SAW_LOCK}, {@link #READ_REJECTED} or {@link #READ_VALIDATED}
     */
    static int optimisticRead(FrameTable frames, byte[] out) {
        long s = frames.state(FRAME);
        if (FrameState.isLocked(s)) {
            return READ_SAW_LOCK;
        }
        if (!frames.isBoundTo(FRAME, s, SLOT, PAGE)) {
            return READ_REJECTED;
        }
        MemorySegment.copy(frames.memory(), ValueLayout.JAVA_BYTE, frames.offset(FRAME), out, 0, PAGE_SIZE);
        return frames.validate(FRAME, FrameState.stamp(s)) ? READ_VALIDATED : READ_REJECTED;
    }

    /**
     * The claim of {@code WriteBack#writeBack} (without waiting): try the lock; if the frame is a dirty page of
     * this file with no write-back in flight ({@code writeBackCheck}), copy it out under the lock (the snapshot
     * the write-back writes) and claim it ({@code claimWriteBack}).
     *
     * @return the bytes to write if the write-back was claimed (the caller must then complete it), else null
     */
    static byte[] claimWriteBack(FrameTable frames) {
        if (!frames.tryLock(FRAME)) {
            return null;
        }
        if (frames.writeBackCheck(FRAME, SLOT) != FrameTable.WRITEBACK_CLAIMABLE) {
            return null;
        }
        byte[] snapshot = copyPage(frames);
        frames.claimWriteBack(FRAME);
        return snapshot;
    }

    /** The completion of a successful write-back in {@code WriteBack#writeRun}. */
    static void completeWriteBack(FrameTable frames) {
        frames.completeWriteBack(FRAME);
    }

    /** A page write of {@code CachedFile}: lock, write both longs, unlock uptodate, dirty and referenced. */
    static void write(FrameTable frames, long value) {
        frames.lock(FRAME);
        set(frames, FIRST, value);
        set(frames, LAST, value);
        frames.unlock(FRAME, FrameTable.UPTODATE | FrameTable.DIRTY | FrameTable.REFERENCED, 0);
    }

    /**
     * {@code Reclaimer#tryEvict} followed by a fault that reuses the frame ({@code CachedFile#lockPage}): take the
     * frame idle, free it, bind it to {@link #OTHER_PAGE}, fill it and unlock it uptodate.
     *
     * @return whether the frame was evicted and rebound
     */
    static boolean evictAndRebind(FrameTable frames) {
        return frames.tryLockForEviction(FRAME) && freeAndRebind(frames);
    }

    /** The part of {@link #evictAndRebind} after the frame is locked and found evictable. */
    static boolean freeAndRebind(FrameTable frames) {
        frames.unbindAndUnlock(FRAME);
        frames.bindLocked(FRAME, SLOT, OTHER_PAGE);
        set(frames, FIRST, OTHER_PAGE);
        set(frames, LAST, OTHER_PAGE);
        frames.unlock(FRAME, FrameTable.UPTODATE, 0);
        return true;
    }

    /** 1 if any of the bits is set in the frame's state, else 0 (an arbiter's observation). */
    static int bits(FrameTable frames, long bits) {
        return frames.hasAny(FRAME, bits) ? 1 : 0;
    }
}
