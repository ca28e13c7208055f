package org.pagecache.offheap.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link FileChannel} in front of a real one whose first read or write completes and then ends as the JDK ends
 * the I/O of a thread interrupted while it ran: the channel closes and {@link ClosedByInterruptException} is
 * thrown after the bytes were transferred and the buffer's position moved past them
 * ({@code AbstractInterruptibleChannel.end} throws to the interrupted thread whether or not the I/O completed).
 * A real interrupt lands there only by timing; this makes it land every time.
 */
final class CutOffChannel extends FileChannel {
    private final FileChannel real;
    private boolean cut;

    CutOffChannel(FileChannel real) {
        this.real = real;
    }

    /** @return whether an I/O was cut off */
    boolean cut() {
        return cut;
    }

    private <T> T cutOff(T transferred) throws IOException {
        if (cut) {
            return transferred;
        }
        cut = true;
        close();
        Thread.currentThread().interrupt();
        throw new ClosedByInterruptException();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return cutOff(real.read(dst, position));
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        return cutOff(real.write(src, position));
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return cutOff(real.write(srcs, offset, length));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return cutOff(real.read(dst));
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return cutOff(real.read(dsts, offset, length));
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return cutOff(real.write(src));
    }

    @Override
    public long position() throws IOException {
        return real.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        real.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        real.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        real.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return real.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return real.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return real.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return real.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return real.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        real.close();
    }
}
