package org.pagecache.offheap.write;

import java.lang.foreign.MemorySegment;

/**
 * Copies from an OS-mapped source (a file the caller mapped) into a private temporary page, so that a fault on
 * the source is detected before the temporary page is trusted.
 *
 * <p>HotSpot reports a fault on mapped memory (the file shrank, the disk failed) as an asynchronous
 * {@link InternalError}; in compiled code the faulting load returns garbage and the error is raised at a later
 * safepoint. A real native call inside the same {@code try} delivers it there: {@link Thread#holdsLock} on an
 * object nobody ever locks is such a call.
 */
public final class MappedSourceCopy {

    private static final Object BARRIER = new Object();

    private MappedSourceCopy() {
    }

    /**
     * Copies {@code len} bytes from {@code src} at {@code srcOffset} into {@code dst} at {@code dstOffset}.
     *
     * @return true when {@code dst} holds bytes that were really in the source; false when the source faulted
     *         (or its memory was freed), in which case {@code dst} holds garbage
     */
    public static boolean copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
        try {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, len);
            return !Thread.holdsLock(BARRIER);
        } catch (InternalError | IllegalStateException e) {
            return false;
        }
    }

    /** @return the name of the mechanism in use */
    public static String mechanism() {
        return "native-barrier";
    }
}
