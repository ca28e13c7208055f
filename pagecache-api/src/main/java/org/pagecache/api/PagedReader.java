package org.pagecache.api;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Small positional reads of one {@link PagedFile}, made by {@link PagedFile#reader()}: what an index reads
 * constantly (a byte, an int, a long at some position). Values are little-endian, as Lucene writes them.
 *
 * <p>A reader remembers the page it read last (its frame, the frame's binding and its version) and reads
 * optimistically, with no pin and no lock, validating after the copy that the version is unchanged and the frame
 * still bound to the page: a hit on the remembered page costs two loads of the frame's state word and the copy,
 * a hit on another resident page adds the look-up in the file's page table. A miss, or a frame changed under
 * the copy, falls back to the locked read path. A hit allocates nothing. A reader holds nothing between calls,
 * so dropping it leaks nothing; it has no {@code close}.
 *
 * <p><b>Statistics.</b> A page found counts as one hit in {@link PageCache#stats()}; reads within the page found
 * last do not count again. The offheap reader adds the hits of its single-value reads in batches (and at every
 * bulk read and page-in), so a reader dropped right after a few such reads may leave those hits uncounted.
 *
 * <p><b>Concurrency.</b> A reader is for one thread at a time (it is cheap: make one per thread). A value that
 * lies within one page is read from one instant of that page (no torn values); one that spans two pages is
 * atomic per page.
 *
 * <p><b>Errors.</b> A read that would end past {@link PagedFile#size()} gets {@link EOFException} naming the
 * position and the size; a negative position gets {@link IllegalArgumentException}; a closed handle or cache gets
 * {@link java.nio.channels.ClosedChannelException}; a failed page-in its {@link IOException} (a retry reads again).
 */
public interface PagedReader {

    /**
     * {@return the byte at {@code position}}
     *
     * @param position the file position of the first byte; not negative
     * @throws IOException if the read ends past the file's size ({@link EOFException}), the file or cache is
     *                     closed, or a page-in fails
     */
    byte readByte(long position) throws IOException;

    /**
     * {@return the little-endian short at {@code position}}
     *
     * @param position the file position of the first byte; not negative
     * @throws IOException if the read ends past the file's size ({@link EOFException}), the file or cache is
     *                     closed, or a page-in fails
     */
    short readShort(long position) throws IOException;

    /**
     * {@return the little-endian int at {@code position}}
     *
     * @param position the file position of the first byte; not negative
     * @throws IOException if the read ends past the file's size ({@link EOFException}), the file or cache is
     *                     closed, or a page-in fails
     */
    int readInt(long position) throws IOException;

    /**
     * {@return the little-endian long at {@code position}}
     *
     * @param position the file position of the first byte; not negative
     * @throws IOException if the read ends past the file's size ({@link EOFException}), the file or cache is
     *                     closed, or a page-in fails
     */
    long readLong(long position) throws IOException;

    /**
     * Reads exactly {@code length} bytes at {@code position} into {@code dst[offset, offset + length)}.
     *
     * @param dst    the array to fill
     * @param offset where in {@code dst} the first byte goes
     * @param length the number of bytes
     * @param position the file position of the first byte; not negative
     * @throws IOException if the read ends past the file's size ({@link EOFException}), the file or cache is
     *                     closed, or a page-in fails
     */
    void read(long position, byte[] dst, int offset, int length) throws IOException;

    /**
     * Reads exactly {@code dst.byteSize()} bytes at {@code position} into {@code dst}.
     *
     * @param dst the segment to fill
     * @param position the file position of the first byte; not negative
     * @throws IOException if the read ends past the file's size ({@link EOFException}), the file or cache is
     *                     closed, or a page-in fails
     */
    void read(long position, MemorySegment dst) throws IOException;

    /**
     * The reader every {@link PagedFile} has by default: each call is one {@link PagedFile#read(long, ByteBuffer)}.
     */
    final class Simple implements PagedReader {
        private final PagedFile file;
        private final ByteBuffer scratch = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);

        /**
         * A reader of {@code file}.
         *
         * @param file the file to read
         */
        public Simple(PagedFile file) {
            this.file = Objects.requireNonNull(file, "file");
        }

        private ByteBuffer fill(long position, int n) throws IOException {
            scratch.clear().limit(n);
            readFully(position, scratch);
            return scratch.flip();
        }

        private void readFully(long position, ByteBuffer dst) throws IOException {
            if (position < 0) {
                throw new IllegalArgumentException("position " + position + " is negative");
            }
            long p = position;
            while (dst.hasRemaining()) {
                int n = file.read(p, dst);
                if (n < 0) {
                    throw new EOFException("read of " + dst.remaining() + " bytes at " + p + " is past the end of "
                            + file + " (size " + file.size() + ")");
                }
                p += n;
            }
        }

        @Override
        public byte readByte(long position) throws IOException {
            return fill(position, 1).get(0);
        }

        @Override
        public short readShort(long position) throws IOException {
            return fill(position, 2).getShort(0);
        }

        @Override
        public int readInt(long position) throws IOException {
            return fill(position, 4).getInt(0);
        }

        @Override
        public long readLong(long position) throws IOException {
            return fill(position, 8).getLong(0);
        }

        @Override
        public void read(long position, byte[] dst, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, dst.length);
            readFully(position, ByteBuffer.wrap(dst, offset, length));
        }

        @Override
        public void read(long position, MemorySegment dst) throws IOException {
            readFully(position, dst.asByteBuffer());
        }
    }
}
