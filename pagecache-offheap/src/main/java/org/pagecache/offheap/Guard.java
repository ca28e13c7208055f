package org.pagecache.offheap;

import java.lang.foreign.MemorySegment;
import org.pagecache.api.PageGuard;
import org.pagecache.offheap.frame.FrameTable;

/**
 * A {@link PageGuard}: a pinned frame (read) or a locked frame (write). Owned by one thread at a time.
 */
final class Guard implements PageGuard {
    private final CachedFile file;
    private final FrameTable frames;
    private final int frame;
    private final int page;
    private final boolean write;
    private final long epoch;
    private final MemorySegment memory;
    private boolean closed;

    Guard(CachedFile file, FrameTable frames, int frame, int page, boolean write, long epoch) {
        this.file = file;
        this.frames = frames;
        this.frame = frame;
        this.page = page;
        this.write = write;
        this.epoch = epoch;
        MemorySegment m = frames.frame(frame);
        this.memory = write ? m : m.asReadOnly();
    }

    int frame() {
        return frame;
    }

    int page() {
        return page;
    }

    boolean write() {
        return write;
    }

    long epoch() {
        return epoch;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the page guard is closed");
        }
        if (file.isClosed()) {
            throw new IllegalStateException("the file of this page guard (" + file.path() + ") was closed");
        }
    }

    @Override
    public long pageIndex() {
        return page;
    }

    @Override
    public MemorySegment memory() {
        ensureOpen();
        return memory;
    }

    @Override
    public long readStamp() {
        ensureOpen();
        if (write) {
            return 0;
        }
        return frames.awaitStamp(frame);
    }

    @Override
    public boolean validate(long stamp) {
        if (closed) {
            throw new IllegalStateException("the page guard is closed");
        }
        if (file.isClosed()) {
            return false; // the file is gone: nothing read through this guard can be trusted
        }
        if (write) {
            return true;
        }
        return frames.validate(frame, stamp);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        file.release(this);
    }

    @Override
    public String toString() {
        return (write ? "write" : "read") + " guard of page " + page + " of " + file.path()
                + (closed ? ", closed" : "");
    }
}
