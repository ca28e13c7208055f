package org.pagecache.offheap;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.pagecache.offheap.frame.FrameTable;

/**
 * The write strategy the seed's deadlock comes from, kept so tests can show that it deadlocks where
 * {@link CachedFile#write(long, View)} does not: lock the destination page, then read the source through the
 * cache while holding that lock, taking each source page's lock as a page fault would. Installed through the
 * builder's package-private {@code viewWriteStrategy}; its waits give up on interrupt so a test can unwind the
 * deadlock.
 */
final class NaiveViewWriter implements CachedFile.ViewWriteStrategy {

    /** @return {@code builder}, writing from views the naive way */
    static OffHeapPageCache.Builder install(OffHeapPageCache.Builder builder) {
        return builder.viewWriteStrategy(new NaiveViewWriter());
    }

    @Override
    public long write(CachedFile file, long position, View view) throws IOException {
        FrameTable frames = file.cache().frames();
        int pageSize = frames.pageSize();
        int pageShift = Integer.numberOfTrailingZeros(pageSize);
        int pageMask = pageSize - 1;
        CachedFile source = view.file();
        long len = view.length();
        long done = 0;
        while (done < len) {
            long pos = position + done;
            int inPage = (int) (pos & pageMask);
            int n = (int) Math.min(len - done, pageSize - inPage);
            int page = (int) (pos >>> pageShift);
            long stamp = file.lockStructureShared();
            try {
                int f = file.lockPage(page, n != pageSize);
                boolean fresh = !frames.isUptodate(f);
                boolean ok = false;
                try {
                    copyUnderPageLocks(source, view.position() + done, frames.offset(f) + inPage, n);
                    ok = true;
                } finally {
                    if (ok) {
                        file.commit(f, pos + n);
                    } else {
                        file.abandonOrUnlock(f, page, fresh);
                    }
                }
            } finally {
                file.unlockStructureShared(stamp);
            }
            done += n;
        }
        return done;
    }

    /** The source read: every source page locked (interruptibly) while it is copied. */
    private static void copyUnderPageLocks(CachedFile source, long srcPos, long dstOffset, int n) throws IOException {
        FrameTable frames = source.cache().frames();
        int pageSize = frames.pageSize();
        int pageShift = Integer.numberOfTrailingZeros(pageSize);
        int pageMask = pageSize - 1;
        int done = 0;
        while (done < n) {
            long pos = srcPos + done;
            int inPage = (int) (pos & pageMask);
            int k = Math.min(n - done, pageSize - inPage);
            int page = (int) (pos >>> pageShift);
            int f;
            for (; ; ) {
                f = source.table().get(page);
                if (f < 0) {
                    long stamp = source.lockStructureShared();
                    try {
                        f = source.lockPage(page, true);
                    } finally {
                        source.unlockStructureShared(stamp);
                    }
                    break;
                }
                frames.lockInterruptibly(f);
                if (frames.keepLockIfBound(f, source.slot(), page)) {
                    break;
                }
            }
            try {
                MemorySegment.copy(frames.memory(), frames.offset(f) + inPage, frames.memory(), dstOffset + done, k);
            } finally {
                frames.unlock(f, 0, 0);
            }
            done += k;
        }
    }
}
