package org.pagecache.lucene;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import java.util.Optional;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.RandomAccessInput;
import org.apache.lucene.util.BitUtil;
import org.pagecache.api.PagedFile;
import org.pagecache.api.PagedReader;

/**
 * An {@link IndexInput} over a {@link PagedFile}. Sequential reads go through a small heap buffer refilled by
 * one bulk copy from the cache; positional reads ({@link RandomAccessInput}) through a second, smaller window
 * of the bytes at and after the last position read, filled by one copy up to the end of its page (norms and
 * doc values read one value per document, in ascending order, so most reads land in the window); both copies
 * go through a {@link PagedReader}, which reads resident pages optimistically without a pin. Neither holds
 * anything in the cache between calls, so the clones Lucene never closes leak nothing. Lucene writes a file
 * once and never changes it while it is open for reading, so bytes copied out stay the file's. Closing the input that
 * {@link PageCacheDirectory#openInput} returned closes its cache handle; its clones and slices then fail with
 * {@link AlreadyClosedException}.
 */
final class PageCacheIndexInput extends IndexInput implements RandomAccessInput {
    static final int BUFFER_SIZE = 1024;
    /** A refill reads across a page boundary rather than end this close before it. */
    private static final int MIN_REFILL = 128;

    private static final long READ_AHEAD = 512 * 1024;
    /** Most bytes one positional read copies into the window: a look-up saved for later reads nearby. */
    static final int WINDOW_SIZE = 512;
    /**
     * Bytes a positional read copies when it lands far from the window (more than a window past its end, or
     * before it): a sparse reader (a rare term's norms, a binary search) uses one value of what it copies, so it
     * copies one cache line; a read that then lands near gets the whole window.
     */
    static final int SPARSE_WINDOW_SIZE = 64;

    /** What the input and all its clones share. */
    static final class Shared {
        final PagedFile file;
        final boolean sequential;
        /** The cache's page size: a refill stops at a page's end rather than copy a few bytes of the next. */
        final int pageSize;

        volatile boolean closed;

        Shared(PagedFile file, int pageSize, boolean sequential) {
            this.file = file;
            this.pageSize = pageSize;
            this.sequential = sequential;
        }
    }

    private final Shared shared;
    private final PagedReader reader;
    private final long offset;
    private final long length;
    private final boolean clone;
    private byte[] buffer;
    /** Position (in this slice) of {@code buffer[0]}. */
    private long bufferStart;

    private int bufferLength;
    private int bufferPosition;
    private long nextReadAhead;
    /** The positional reads' window: {@code windowLength} bytes of this slice from {@code windowStart}. */
    private byte[] window;

    private long windowStart;
    private int windowLength;

    PageCacheIndexInput(String description, Shared shared, long offset, long length, boolean clone) {
        super(description);
        this.shared = shared;
        this.reader = shared.file.reader();
        this.offset = offset;
        this.length = length;
        this.clone = clone;
    }

    private AlreadyClosedException closed(Throwable cause) {
        return new AlreadyClosedException("the input " + this + " is closed", cause);
    }

    private void ensureOpen() {
        if (shared.closed) {
            throw closed(null);
        }
    }

    private void refill(int needed) throws IOException {
        ensureOpen();
        long position = bufferStart + bufferPosition;
        long left = length - position;
        if (left < needed) {
            throw new EOFException("read past EOF: " + this + " (position " + position + ", length " + length + ")");
        }
        if (buffer == null) {
            buffer = new byte[BUFFER_SIZE];
        }
        int n = (int) Math.min(BUFFER_SIZE, left);
        long toPageEnd = shared.pageSize - ((offset + position) & (shared.pageSize - 1));
        if (toPageEnd >= MIN_REFILL && toPageEnd < n && toPageEnd >= needed) {
            n = (int) toPageEnd; // one page to look up and copy from, not two
        }
        try {
            reader.read(offset + position, buffer, 0, n);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
        bufferStart = position;
        bufferLength = n;
        bufferPosition = 0;
        if (shared.sequential && position >= nextReadAhead) {
            shared.file.prefetch(offset + position, Math.min(READ_AHEAD, left));
            nextReadAhead = position + READ_AHEAD / 2;
        }
    }

    @Override
    public byte readByte() throws IOException {
        if (bufferPosition >= bufferLength) {
            refill(1);
        }
        return buffer[bufferPosition++];
    }

    @Override
    public void readBytes(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return;
        }
        int available = bufferLength - bufferPosition;
        if (len <= available) {
            System.arraycopy(buffer, bufferPosition, b, off, len);
            bufferPosition += len;
            return;
        }
        if (available > 0) {
            System.arraycopy(buffer, bufferPosition, b, off, available);
            bufferPosition += available;
            off += available;
            len -= available;
        }
        long position = bufferStart + bufferPosition;
        if (len >= BUFFER_SIZE) {
            ensureOpen();
            if (length - position < len) {
                throw new EOFException("read past EOF: " + this + " (position " + position + " + " + len + " > length "
                        + length + ")");
            }
            try {
                reader.read(offset + position, b, off, len);
            } catch (ClosedChannelException e) {
                throw closed(e);
            }
            bufferStart = position + len;
            bufferLength = 0;
            bufferPosition = 0;
            return;
        }
        refill(len);
        System.arraycopy(buffer, 0, b, off, len);
        bufferPosition = len;
    }

    @Override
    public short readShort() throws IOException {
        if (bufferLength - bufferPosition >= Short.BYTES) {
            short v = (short) BitUtil.VH_LE_SHORT.get(buffer, bufferPosition);
            bufferPosition += Short.BYTES;
            return v;
        }
        return super.readShort();
    }

    @Override
    public int readInt() throws IOException {
        if (bufferLength - bufferPosition >= Integer.BYTES) {
            int v = (int) BitUtil.VH_LE_INT.get(buffer, bufferPosition);
            bufferPosition += Integer.BYTES;
            return v;
        }
        return super.readInt();
    }

    @Override
    public long readLong() throws IOException {
        if (bufferLength - bufferPosition >= Long.BYTES) {
            long v = (long) BitUtil.VH_LE_LONG.get(buffer, bufferPosition);
            bufferPosition += Long.BYTES;
            return v;
        }
        return super.readLong();
    }

    /**
     * Makes {@code bytes} bytes available in the buffer if they fit it.
     *
     * @return false if they cannot (larger than the buffer): the caller reads value by value
     */
    private boolean buffered(long bytes) throws IOException {
        if (bufferLength - bufferPosition >= bytes) {
            return true;
        }
        if (bytes > BUFFER_SIZE) {
            return false;
        }
        refill((int) bytes); // at most BUFFER_SIZE here
        return true;
    }

    @Override
    public void readLongs(long[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        if (!buffered((long) len * Long.BYTES)) {
            super.readLongs(dst, off, len);
            return;
        }
        for (int i = 0; i < len; i++, bufferPosition += Long.BYTES) {
            dst[off + i] = (long) BitUtil.VH_LE_LONG.get(buffer, bufferPosition);
        }
    }

    @Override
    public void readInts(int[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        if (!buffered((long) len * Integer.BYTES)) {
            super.readInts(dst, off, len);
            return;
        }
        for (int i = 0; i < len; i++, bufferPosition += Integer.BYTES) {
            dst[off + i] = (int) BitUtil.VH_LE_INT.get(buffer, bufferPosition);
        }
    }

    @Override
    public void readFloats(float[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        if (!buffered((long) len * Float.BYTES)) {
            super.readFloats(dst, off, len);
            return;
        }
        for (int i = 0; i < len; i++, bufferPosition += Float.BYTES) {
            dst[off + i] = (float) BitUtil.VH_LE_FLOAT.get(buffer, bufferPosition);
        }
    }

    @Override
    public long getFilePointer() {
        return bufferStart + bufferPosition;
    }

    @Override
    public void seek(long pos) throws IOException {
        ensureOpen();
        if (pos < 0 || pos > length) {
            throw new EOFException("seek to " + pos + " is outside " + this + " (length " + length + ")");
        }
        if (pos >= bufferStart && pos < bufferStart + bufferLength) {
            bufferPosition = (int) (pos - bufferStart);
        } else {
            bufferStart = pos;
            bufferLength = 0;
            bufferPosition = 0;
        }
    }

    @Override
    public long length() {
        return length;
    }

    // ---------------------------------------------------------------- RandomAccessInput

    private long checkRandom(long pos, int n) throws IOException {
        if (pos < 0 || pos > length - n) {
            throw new EOFException(
                    "read of " + n + " bytes at " + pos + " is outside " + this + " (length " + length + ")");
        }
        ensureOpen();
        return offset + pos;
    }

    /**
     * The window's index of the {@code n} bytes at {@code pos}, filling the window from {@code pos} if they are
     * not all in it: up to {@link #WINDOW_SIZE} bytes ({@link #SPARSE_WINDOW_SIZE} when {@code pos} is far from
     * the window), stopping at the end of the page unless the value crosses it.
     */
    private int windowed(long pos, int n) throws IOException {
        ensureOpen();
        long at = pos - windowStart;
        if (at >= 0 && at <= windowLength - n) {
            return (int) at;
        }
        long from = checkRandom(pos, n);
        if (window == null) {
            window = new byte[WINDOW_SIZE];
        }
        long toPageEnd = shared.pageSize - (from & (shared.pageSize - 1));
        int size = at >= 0 && at <= windowLength + WINDOW_SIZE ? WINDOW_SIZE : SPARSE_WINDOW_SIZE;
        int len = (int) Math.min(Math.min(size, length - pos), Math.max(n, toPageEnd));
        windowLength = 0; // a failed copy leaves no window behind
        try {
            reader.read(from, window, 0, len);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
        windowStart = pos;
        windowLength = len;
        return 0;
    }

    /** @return the bytes in the positional window now (tests) */
    int windowLength() {
        return windowLength;
    }

    @Override
    public byte readByte(long pos) throws IOException {
        int at = windowed(pos, Byte.BYTES); // first: it may allocate the window
        return window[at];
    }

    @Override
    public void readBytes(long pos, byte[] bytes, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, bytes.length);
        ensureOpen();
        long at = pos - windowStart;
        if (window != null && at >= 0 && at <= windowLength - len) { // null: no window yet (an empty read at 0)
            System.arraycopy(window, (int) at, bytes, off, len);
            return;
        }
        try {
            reader.read(checkRandom(pos, len), bytes, off, len);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public short readShort(long pos) throws IOException {
        int at = windowed(pos, Short.BYTES);
        return (short) BitUtil.VH_LE_SHORT.get(window, at);
    }

    @Override
    public int readInt(long pos) throws IOException {
        int at = windowed(pos, Integer.BYTES);
        return (int) BitUtil.VH_LE_INT.get(window, at);
    }

    @Override
    public long readLong(long pos) throws IOException {
        int at = windowed(pos, Long.BYTES);
        return (long) BitUtil.VH_LE_LONG.get(window, at);
    }

    @Override
    public void prefetch(long pos, long len) throws IOException {
        ensureOpen();
        Objects.checkFromIndexSize(pos, len, length);
        try {
            shared.file.prefetch(offset + pos, len);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public Optional<Boolean> isLoaded() {
        return Optional.empty();
    }

    // ---------------------------------------------------------------- clones, slices, close

    @Override
    public PageCacheIndexInput clone() {
        ensureOpen();
        PageCacheIndexInput c = new PageCacheIndexInput(toString(), shared, offset, length, true);
        c.bufferStart = getFilePointer();
        return c;
    }

    @Override
    public IndexInput slice(String sliceDescription, long sliceOffset, long sliceLength) throws IOException {
        ensureOpen();
        if (sliceOffset < 0 || sliceLength < 0 || sliceOffset > length - sliceLength) {
            throw new IllegalArgumentException("slice() " + sliceDescription + " out of bounds: offset=" + sliceOffset
                    + ",length=" + sliceLength + ",fileLength=" + length + ": " + this);
        }
        return new PageCacheIndexInput(
                getFullSliceDescription(sliceDescription), shared, offset + sliceOffset, sliceLength, true);
    }

    @Override
    public RandomAccessInput randomAccessSlice(long sliceOffset, long sliceLength) throws IOException {
        return (RandomAccessInput) slice("randomaccess", sliceOffset, sliceLength);
    }

    @Override
    public void close() throws IOException {
        if (clone || shared.closed) {
            return;
        }
        shared.closed = true;
        shared.file.close();
    }
}
