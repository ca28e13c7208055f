package org.pagecache.api;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A file seen through a {@link PageCache}: positional reads and buffered writes of its pages.
 *
 * <p><b>Concurrency.</b> Every method may be called from any number of threads. Writes to one page are
 * mutually exclusive; a {@link #read} of a range inside one page sees that page as it was at one instant
 * (no torn reads); reads and writes that span pages are atomic per page, not as a whole.
 *
 * <p><b>Durability.</b> {@link #write} changes cached pages only. {@link #flush()} writes dirty pages back to
 * the file; {@link #sync()} also forces them to stable storage: after {@code sync()} returns, every write
 * that completed before the call is on stable storage. A failed write-back never drops data: the page stays
 * dirty and the error is thrown by the next {@code flush()} or {@code sync()} of this file, every time,
 * until a write-back of the page succeeds.
 *
 * <p><b>Errors.</b> A negative or overflowing position or length gets {@link IllegalArgumentException};
 * {@code null} gets {@link NullPointerException}; use after {@link #close()} (of this handle or of its
 * cache) gets {@link java.nio.channels.ClosedChannelException}. None of these changes anything.
 */
public interface PagedFile extends Closeable {

    /**
     * {@return the size of the file in bytes, including buffered writes not yet written back}
     *
     * @throws IOException if the file is closed
     */
    long size() throws IOException;

    /**
     * Reads bytes at {@code position} into {@code dst}, with {@link java.nio.channels.FileChannel#read(ByteBuffer, long)}
     * semantics: reads {@code min(dst.remaining(), size() - position)} bytes, advances the buffer's position
     * by that many, and returns the count; returns {@code -1} when {@code position >= size()}. Holes read as zeros.
     *
     * @param position where to read from; {@code >= 0}
     * @param dst      where to read to; any kind of buffer, not read-only
     * @return the number of bytes read, or {@code -1} at end of file
     * @throws IOException if a page-in fails (nothing is cached from the failed read; a retry reads again)
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /**
     * Copies {@code src} into the file at {@code position}, growing the file if the write ends past its end.
     *
     * <p>Sources that can fault (a memory-mapped file, a {@link MappedView}) are copied into a temporary page
     * first, with no page lock held, and only then into the cached page, so a source that maps the very pages
     * being written, or a source file truncated under the copy, can never deadlock the write, corrupt a page
     * or crash the JVM.
     *
     * @param position where to write; {@code >= 0}, and {@code position + src.length()} must not overflow
     * @param src      what to write
     * @return the number of bytes written: {@code src.length()}, or fewer if the source faulted after some
     *         bytes were written (a short write, as in POSIX); the bytes of the chunk that faulted are left unchanged
     * @throws SourceFaultException if the source faulted before any byte was written
     * @throws IOException          if a page-in needed by a partial page write fails, or no frame can be found
     */
    long write(long position, WriteSource src) throws IOException;

    /**
     * Writes the bytes between {@code src}'s position and limit, like {@link #write(long, WriteSource)}, and
     * advances the buffer's position by the number of bytes written (as {@link java.nio.channels.FileChannel#write(ByteBuffer, long)} does).
     *
     * @param position where to write; {@code >= 0}
     * @param src      heap, direct or memory-mapped buffer
     * @return the number of bytes written
     * @throws IOException as {@link #write(long, WriteSource)}
     */
    long write(long position, ByteBuffer src) throws IOException;

    /**
     * Returns a view of {@code length} bytes of this file starting at {@code position}. Reading the view
     * faults pages in through the cache. A view is a {@link WriteSource}: writing from it into any file of
     * any cache (including this file and the very pages it covers) is safe and behaves like {@code memmove}
     * within a page. Bytes of the view beyond the end of the file cannot be read: a write from such a view
     * faults there.
     *
     * @param position first byte of the view; {@code >= 0}
     * @param length   bytes in the view; {@code >= 0}, and {@code position + length} must not overflow
     * @return the view; close it when done
     * @throws IOException if the file is closed
     */
    MappedView map(long position, long length) throws IOException;

    /**
     * Pins page {@code pageIndex} for reading in place, paging it in if it is not cached. See {@link PageGuard}.
     *
     * @param pageIndex the page: {@code position / pageSize}; {@code >= 0}
     * @return a read guard; close it
     * @throws java.io.EOFException if the page starts at or past the end of the file
     * @throws IOException if the page-in fails, or too many pages are pinned (the message names the limit)
     */
    PageGuard pinForRead(long pageIndex) throws IOException;

    /**
     * Locks page {@code pageIndex} for updating in place, paging it in (or zero-filling it past the end of the
     * file) if it is not cached. Closing the guard marks the page dirty and grows the file to the end of the page
     * if it was shorter. See {@link PageGuard}.
     *
     * @param pageIndex the page: {@code position / pageSize}; {@code >= 0}
     * @return a write guard; close it
     * @throws IOException if the page-in fails, or too many pages are pinned
     * @throws java.nio.channels.NonWritableChannelException if the file was opened read-only
     */
    PageGuard lockForWrite(long pageIndex) throws IOException;

    /**
     * Writes every dirty page of this file back to the file (not forced to stable storage).
     *
     * @throws IOException if a write-back failed now or earlier and has not since succeeded; the pages stay dirty
     */
    void flush() throws IOException;

    /**
     * {@link #flush()}, then forces the file's content (and its size, if it changed) to stable storage.
     *
     * @throws IOException if a write-back or the force failed; nothing is acknowledged then
     */
    void sync() throws IOException;

    /**
     * Truncates the file to {@code size} bytes, with {@link java.nio.channels.FileChannel#truncate} semantics:
     * a size at or beyond the current size changes nothing. Cached pages past the new end are dropped.
     *
     * @param size the new size; {@code >= 0}
     * @throws IOException if the file cannot be truncated
     */
    void truncate(long size) throws IOException;

    /**
     * Returns a reader for small positional reads of this file: a cheap object that remembers the page it read
     * last and reads it again without a pin or a lock (see {@link PagedReader}). One reader is for one thread at
     * a time; make one per thread (or per Lucene clone). Dropping a reader without closing anything leaks nothing.
     *
     * <p>The default implementation reads through {@link #read(long, ByteBuffer)}.
     *
     * @return a new reader of this handle; it fails as this handle does once the handle is closed
     */
    default PagedReader reader() {
        return new PagedReader.Simple(this);
    }

    /**
     * Starts page-ins of the pages of {@code [position, position + length)} that are not cached, in the
     * background, and returns at once (like {@code posix_fadvise(WILLNEED)} or Lucene's {@code IndexInput.prefetch}).
     * It never waits for I/O and never reports an I/O error: a later read of a page whose page-in failed reads it
     * again and reports the error then. Requests are dropped when the background queue is full. The part of the
     * range past the end of the file is ignored.
     *
     * <p>The default implementation checks the range and does nothing else.
     *
     * @param position first byte; {@code >= 0}
     * @param length   bytes; {@code >= 0}, and {@code position + length} must not overflow
     * @throws IllegalArgumentException for a negative or overflowing range
     * @throws java.nio.channels.ClosedChannelException if the handle is closed
     */
    default void prefetch(long position, long length) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("position " + position + " is negative");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " is negative");
        }
        if (position > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("position " + position + " + length " + length + " overflows");
        }
        size();
    }

    /**
     * Closes this handle. When the last handle of a file closes, its dirty pages are written back and its
     * frames are freed. Idempotent.
     *
     * @throws IOException if the final write-back fails; the file then stays open in the cache with its dirty
     *                     pages, so nothing is dropped, and a later {@code close()} tries again
     */
    @Override
    void close() throws IOException;
}
