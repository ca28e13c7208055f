package org.pagecache.offheap.frame;

import static org.pagecache.offheap.frame.FrameTable.DIRTY;
import static org.pagecache.offheap.frame.FrameTable.ERROR;
import static org.pagecache.offheap.frame.FrameTable.LOCKED;
import static org.pagecache.offheap.frame.FrameTable.PIN_MASK;
import static org.pagecache.offheap.frame.FrameTable.REFERENCED;
import static org.pagecache.offheap.frame.FrameTable.SLOT_MASK;
import static org.pagecache.offheap.frame.FrameTable.UNSYNCED;
import static org.pagecache.offheap.frame.FrameTable.VERSION_MASK;
import static org.pagecache.offheap.frame.FrameTable.VERSION_SHIFT;
import static org.pagecache.offheap.frame.FrameTable.WRITEBACK;

/**
 * Reading a frame's state word, once loaded ({@link FrameTable#state(int)}): what its fields and flags say, the
 * stamp of an optimistic read, and a description for messages and assertions. The layout is drawn in
 * {@link FrameTable}; the code outside this package asks these questions instead of masking bits itself.
 */
public final class FrameState {
    private static final String[] FLAGS = {
        "LOCKED", "WAITERS", "UPTODATE", "DIRTY", "WRITEBACK", "ERROR", "REFERENCED", "UNSYNCED"
    };

    private FrameState() {}

    /** @return whether the frame's exclusive lock is held in a state word */
    public static boolean isLocked(long state) {
        return (state & LOCKED) != 0;
    }

    /** @return whether a state word holds writes not yet written back */
    public static boolean isDirty(long state) {
        return (state & DIRTY) != 0;
    }

    /** @return whether a state word has a write-back in flight */
    public static boolean isUnderWriteBack(long state) {
        return (state & WRITEBACK) != 0;
    }

    /** @return whether a state word holds at least one pin */
    public static boolean isPinned(long state) {
        return (state & PIN_MASK) != 0;
    }

    /** @return whether a state word is marked referenced (hit since the policy last looked) */
    public static boolean isReferenced(long state) {
        return (state & REFERENCED) != 0;
    }

    /** @return whether a state word is written back but not yet forced */
    public static boolean isUnsynced(long state) {
        return (state & UNSYNCED) != 0;
    }

    /** @return whether a state word is dirty (or being written again) after a failed write-back */
    public static boolean hasFailedWriteBack(long state) {
        return (state & ERROR) != 0 && (state & (DIRTY | WRITEBACK)) != 0;
    }

    /** @return whether any of {@code bits} (flags or the pin count's mask) is set in a state word */
    public static boolean hasAny(long state, long bits) {
        return (state & bits) != 0;
    }

    /**
     * @return whether a state word is in use: locked, pinned or under write-back (the sweep passes such frames
     *         over)
     */
    public static boolean isBusy(long state) {
        return (state & (LOCKED | WRITEBACK | PIN_MASK)) != 0;
    }

    /**
     * @return whether a state word may be evicted as it is: bound, clean, and neither locked, pinned nor under
     *         write-back
     */
    public static boolean isEvictable(long state) {
        return FrameTable.slot(state) != 0 && (state & (DIRTY | LOCKED | WRITEBACK | PIN_MASK)) == 0;
    }

    /**
     * A state word for messages and assertions: {@code v=3 slot=1 pins=0 [LOCKED|UPTODATE]}.
     *
     * @return the fields and flags of {@code state}
     */
    public static String describe(long state) {
        StringBuilder b = new StringBuilder()
                .append("v=")
                .append(state >>> VERSION_SHIFT)
                .append(" slot=")
                .append(FrameTable.slot(state))
                .append(" pins=")
                .append(FrameTable.pins(state))
                .append(" [");
        boolean first = true;
        for (int i = 0; i < FLAGS.length; i++) {
            if ((state & (1L << i)) != 0) {
                b.append(first ? "" : "|").append(FLAGS[i]);
                first = false;
            }
        }
        return b.append(']').toString();
    }

    /**
     * The stamp of an unlocked state word: version and file slot. An optimistic reader takes it before its copy
     * and {@linkplain FrameTable#validate validates} it after; every exclusive unlock, unbinding and rebinding changes it.
     */
    public static long stamp(long state) {
        assert (state & LOCKED) == 0 : "stamp of a locked state " + describe(state);
        return state & (VERSION_MASK | SLOT_MASK);
    }
}
