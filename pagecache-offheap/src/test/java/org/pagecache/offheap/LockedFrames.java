package org.pagecache.offheap;

import org.pagecache.offheap.frame.FrameTable;

/** For tests that check every page lock was released. */
final class LockedFrames {
    private LockedFrames() {}

    /** @return frames of {@code cache} whose page lock is held right now */
    static int count(OffHeapPageCache cache) {
        FrameTable frames = cache.frames();
        int locked = 0;
        for (int f = 0; f < frames.frames(); f++) {
            if (frames.hasAny(f, FrameTable.LOCKED)) {
                locked++;
            }
        }
        return locked;
    }
}
