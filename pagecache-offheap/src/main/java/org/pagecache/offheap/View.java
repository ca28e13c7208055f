package org.pagecache.offheap;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.pagecache.api.MappedView;

/**
 * A {@link MappedView}: a range of a cached file, read through the cache. Holds nothing pinned. As a write
 * source it is copied by {@link CachedFile#write(long, View)}: from pinned resident pages under the destination
 * lock when that needs no waiting (W5), else through a temporary page (W1).
 */
final class View implements MappedView {
    private final FileHandle handle;
    private final long position;
    private final long length;
    private volatile boolean closed;

    View(FileHandle handle, long position, long length) {
        this.handle = handle;
        this.position = position;
        this.length = length;
    }

    CachedFile file() {
        return handle.file();
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the view is closed");
        }
    }

    /** @return whether the view and the handle it was made from are both open */
    boolean readable() {
        if (closed) {
            return false;
        }
        try {
            handle.ensureOpen();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Checks that the view and the handle it was made from are both open: a write source must be readable. */
    void ensureReadable() throws IOException {
        ensureOpen();
        handle.ensureOpen();
    }

    @Override
    public long position() {
        ensureOpen();
        return position;
    }

    @Override
    public long length() {
        ensureOpen();
        return length;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        ensureOpen();
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
        FileHandle.checkDestination(dst);
        if (offset >= length) {
            return -1;
        }
        long room = length - offset;
        if (dst.remaining() <= room) {
            return handle.read(position + offset, dst);
        }
        int limit = dst.limit();
        dst.limit(dst.position() + (int) room);
        try {
            return handle.read(position + offset, dst);
        } finally {
            dst.limit(limit);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "MappedView[" + file().path() + ", position " + position + ", " + length + " bytes]";
    }
}
