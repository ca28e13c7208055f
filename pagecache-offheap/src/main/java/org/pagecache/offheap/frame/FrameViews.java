package org.pagecache.offheap.frame;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Byte-buffer views of the frame memory, made once, so that copies into buffers and page-in reads allocate
 * nothing per call: shared read-only views of at most 1 GiB each (sources of absolute bulk copies, which change
 * no buffer's position, so any thread may use them), and each thread's own duplicates of them (positioned and
 * limited to one frame for a page-in read).
 */
final class FrameViews {
    private static final int VIEW_BYTES_SHIFT = 30;

    private final int pageSize;
    private final int pageShift;
    /** log2 of frames per view. */
    private final int viewShift;

    private final int frameMask;
    private final ByteBuffer[] views;
    private final ThreadLocal<ByteBuffer[]> fillViews;

    FrameViews(MemorySegment memory, int frames, int pageSize) {
        this.pageSize = pageSize;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.viewShift = Math.max(0, VIEW_BYTES_SHIFT - pageShift);
        this.frameMask = (1 << viewShift) - 1;
        int viewCount = (int) (((long) frames + (1L << viewShift) - 1) >>> viewShift);
        this.views = new ByteBuffer[viewCount];
        for (int v = 0; v < viewCount; v++) {
            long start = (long) v << (viewShift + pageShift);
            long bytes = Math.min(memory.byteSize() - start, 1L << (viewShift + pageShift));
            views[v] = memory.asSlice(start, bytes).asByteBuffer();
        }
        this.fillViews = ThreadLocal.withInitial(() -> new ByteBuffer[views.length]);
    }

    private int at(int frame) {
        return (frame & frameMask) << pageShift;
    }

    /** See {@link FrameTable#copyOut}. */
    void copyOut(int frame, int inPage, ByteBuffer dst, int dstIndex, int n) {
        dst.put(dstIndex, views[frame >>> viewShift], at(frame) + inPage, n);
    }

    /** See {@link FrameTable#fillView}. */
    ByteBuffer fillView(int frame) {
        ByteBuffer[] mine = fillViews.get();
        int v = frame >>> viewShift;
        ByteBuffer b = mine[v];
        if (b == null) {
            b = views[v].duplicate();
            mine[v] = b;
        }
        int at = at(frame);
        return b.limit(at + pageSize).position(at);
    }
}
