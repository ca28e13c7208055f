package org.pagecache.lucene;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.util.BitUtil;
import org.pagecache.api.PagedFile;

/**
 * An {@link IndexOutput} into a {@link PagedFile}: bytes gather in a heap buffer, which is copied into the cache's
 * pages when full. The checksum (CRC32, as Lucene's codecs expect) is computed over those heap bytes, never over
 * the cache's memory. Closing writes the last bytes and closes the cache handle (the cache writes the pages back).
 */
final class PageCacheIndexOutput extends IndexOutput {
    static final int BUFFER_SIZE = 32 * 1024;

    private final PagedFile file;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private final CRC32 crc = new CRC32();
    private long flushed;
    private int count;
    /** Bytes of {@code buffer} already in {@code crc}. */
    private int checksummed;

    private boolean closed;

    PageCacheIndexOutput(String description, String name, PagedFile file) {
        super(description, name);
        this.file = file;
    }

    private void updateChecksum() {
        if (checksummed < count) {
            crc.update(buffer, checksummed, count - checksummed);
            checksummed = count;
        }
    }

    private void flushBuffer() throws IOException {
        if (count == 0) {
            return;
        }
        updateChecksum();
        writeFully(ByteBuffer.wrap(buffer, 0, count));
        count = 0;
        checksummed = 0;
    }

    private void writeFully(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            flushed += file.write(flushed, src);
        }
    }

    @Override
    public void writeByte(byte b) throws IOException {
        if (count == BUFFER_SIZE) {
            flushBuffer();
        }
        buffer[count++] = b;
    }

    @Override
    public void writeBytes(byte[] b, int offset, int length) throws IOException {
        if (length <= BUFFER_SIZE - count) {
            System.arraycopy(b, offset, buffer, count, length);
            count += length;
            return;
        }
        flushBuffer();
        if (length >= BUFFER_SIZE) {
            crc.update(b, offset, length);
            writeFully(ByteBuffer.wrap(b, offset, length));
            return;
        }
        System.arraycopy(b, offset, buffer, 0, length);
        count = length;
    }

    @Override
    public void writeShort(short i) throws IOException {
        if (BUFFER_SIZE - count < Short.BYTES) {
            flushBuffer();
        }
        BitUtil.VH_LE_SHORT.set(buffer, count, i);
        count += Short.BYTES;
    }

    @Override
    public void writeInt(int i) throws IOException {
        if (BUFFER_SIZE - count < Integer.BYTES) {
            flushBuffer();
        }
        BitUtil.VH_LE_INT.set(buffer, count, i);
        count += Integer.BYTES;
    }

    @Override
    public void writeLong(long i) throws IOException {
        if (BUFFER_SIZE - count < Long.BYTES) {
            flushBuffer();
        }
        BitUtil.VH_LE_LONG.set(buffer, count, i);
        count += Long.BYTES;
    }

    @Override
    public long getFilePointer() {
        return flushed + count;
    }

    @Override
    public long getChecksum() {
        updateChecksum();
        return crc.getValue();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (file) {
            flushBuffer();
        }
    }
}
