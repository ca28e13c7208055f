package org.pagecache.offheap.reclaim;

import java.io.IOException;
import org.pagecache.offheap.store.BackingStore;

/** What the reclaimer needs of the file a frame belongs to (found through the frame's file slot). */
public interface PageOwner {

    /** @return the file's slot, as stored in its frames' state words */
    int slot();

    /** @return a name for the file in events and messages */
    String name();

    /** @return the file's backing store */
    BackingStore store();

    /** @return the file's logical size: write-back never writes past it */
    long size();

    /** Removes the file's translation entry of {@code pageIndex} if it maps to {@code frame}. */
    void unmap(int pageIndex, int frame);

    /** A write-back of pages of this file failed; the pages stay dirty. */
    void writebackFailed(IOException error);

    /** A page written back but not yet forced to stable storage was evicted. */
    void evictedUnsynced();
}
