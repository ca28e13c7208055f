package org.pagecache.offheap;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.Objects;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageGuard;
import org.pagecache.api.PagedFile;
import org.pagecache.api.PagedReader;
import org.pagecache.api.WriteSource;

/**
 * A {@link PagedFile}: one handle on a {@link CachedFile}. Validates arguments (so bad input changes nothing)
 * and delegates.
 */
final class FileHandle implements PagedFile {
    private final CachedFile file;
    private final boolean writable;
    private volatile boolean closed;

    FileHandle(CachedFile file, boolean writable) {
        this.file = file;
        this.writable = writable;
    }

    CachedFile file() {
        return file;
    }

    void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
        file.ensureOpen();
    }

    private void ensureWritable() {
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    static void checkPosition(String name, long position) {
        if (position < 0) {
            throw new IllegalArgumentException(name + " " + position + " is negative");
        }
    }

    private void checkRange(long position, long length) {
        checkPosition("position", position);
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " is negative");
        }
        long max = file.cache().maxFileSize();
        if (position > max - length) {
            throw new IllegalArgumentException("position " + position + " + length " + length
                    + " is past the largest file size the cache can address (" + max + " bytes)");
        }
    }

    static void checkDestination(ByteBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst is a read-only buffer");
        }
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return file.checkedSize();
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        checkPosition("position", position);
        checkDestination(dst);
        ensureOpen();
        try {
            return file.read(position, dst);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public long write(long position, WriteSource src) throws IOException {
        Objects.requireNonNull(src, "src");
        if (src instanceof View view) {
            long length = view.length();
            checkRange(position, length);
            ensureOpen();
            view.ensureReadable();
            ensureWritable();
            try {
                return file.write(position, view);
            } catch (IllegalStateException e) {
                throw file.cache().closedOr(e);
            }
        }
        MemorySegment segment = src.asSegment();
        if (segment == null) {
            throw new IllegalArgumentException("src: " + src.getClass().getName()
                    + " is not a source this cache can copy (implement WriteSource.asSegment())");
        }
        return write(position, segment, src.mayFault());
    }

    private long write(long position, MemorySegment segment, boolean mayFault) throws IOException {
        checkRange(position, segment.byteSize());
        ensureOpen();
        ensureWritable();
        try {
            return file.write(position, segment, mayFault);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public long write(long position, ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        MemorySegment segment = MemorySegment.ofBuffer(src);
        long written = write(position, segment, segment.isMapped());
        src.position(src.position() + (int) written);
        return written;
    }

    @Override
    public MappedView map(long position, long length) throws IOException {
        checkRange(position, length);
        ensureOpen();
        return new View(this, position, length);
    }

    private int checkPage(long pageIndex) {
        if (pageIndex < 0) {
            throw new IllegalArgumentException("pageIndex " + pageIndex + " is negative");
        }
        if (pageIndex >= file.cache().maxFileSize() / file.cache().pageSize()) {
            throw new IllegalArgumentException(
                    "pageIndex " + pageIndex + " is past the largest file the cache can address");
        }
        return (int) pageIndex;
    }

    @Override
    public PageGuard pinForRead(long pageIndex) throws IOException {
        int page = checkPage(pageIndex);
        ensureOpen();
        try {
            return file.pinForRead(page);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public PageGuard lockForWrite(long pageIndex) throws IOException {
        int page = checkPage(pageIndex);
        ensureOpen();
        ensureWritable();
        try {
            return file.lockForWrite(page);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
        // also from a read-only handle: the file's dirty pages may come from any handle (PagedFile#sync)
        try {
            file.flush();
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public void sync() throws IOException {
        ensureOpen();
        // also from a read-only handle: the file's dirty pages may come from any handle (PagedFile#sync)
        try {
            file.sync();
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public void truncate(long size) throws IOException {
        checkPosition("size", size);
        ensureOpen();
        ensureWritable();
        try {
            file.truncate(size);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public PagedReader reader() {
        return new PageReader(this);
    }

    @Override
    public void prefetch(long position, long length) throws IOException {
        checkRange(position, length);
        ensureOpen();
        file.prefetch(position, position + length);
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            file.cache().closeHandle(this);
            closed = true;
        } catch (IOException e) {
            // a declared data loss is reported by a close that did close the file; other failures keep it open
            closed = file.isClosed();
            throw e;
        }
    }

    @Override
    public String toString() {
        return "PagedFile[" + file.path() + (closed ? ", closed" : "") + "]";
    }
}
