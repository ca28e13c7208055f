package org.pagecache.api;

import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * A cache of file pages held in memory outside the Java heap, shared by every file opened through it.
 *
 * <p><b>Concurrency.</b> Every method is safe to call from any number of threads. Files opened through
 * one cache share its frames: a file many times larger than the cache works, pages are evicted and
 * written back by a background reclaimer (and by a faulting thread itself when no free frame is left).
 *
 * <p><b>Durability.</b> Writes are buffered: they reach the file when a page is written back
 * ({@link PagedFile#flush()}, eviction, {@link #close()}), and stable storage after {@link PagedFile#sync()}.
 *
 * <p><b>Errors.</b> After {@link #close()}, {@link #open} and every method of the files opened through the cache
 * throw {@link java.nio.channels.ClosedChannelException}; {@link #pageSize()} and {@link #stats()} still answer
 * (the gauges then read zero). Bad arguments get {@link IllegalArgumentException} or
 * {@link NullPointerException} naming the argument, and change nothing.
 */
public interface PageCache extends AutoCloseable {

    /**
     * Opens a file through this cache. The options are those of {@link java.nio.channels.FileChannel#open}:
     * {@code READ}, {@code WRITE}, {@code CREATE}, {@code CREATE_NEW}, {@code TRUNCATE_EXISTING}. With no
     * options the file is opened for reading and writing and must exist. Opening a file that is already open
     * in this cache returns a new handle on the same cached pages; each handle is closed on its own.
     *
     * @param file    the file; not {@code null}
     * @param options how to open it; unsupported options ({@code APPEND}, {@code DELETE_ON_CLOSE}) are rejected
     * @return a handle on the file
     * @throws IOException if the file cannot be opened, or the cache is closed
     * @throws IllegalArgumentException if an option is not supported
     */
    PagedFile open(Path file, OpenOption... options) throws IOException;

    /**
     * Tells the cache that {@code file} may have been deleted or renamed away, so that the pages it keeps of a
     * file whose last handle closed are freed now rather than when they are evicted (a storage engine calls it
     * after deleting a file: a database merging segments deletes many). The cache drops them only if the path
     * no longer names the file they belong to; a path that still names it, a file with open handles (they go on
     * reading the deleted file) and a path the cache keeps nothing for are left as they are. Advice: the default
     * does nothing.
     *
     * @param file the path the file was opened by; not {@code null}
     * @return whether pages were dropped
     * @throws IOException if the cache is closed, or the path cannot be examined
     */
    default boolean discard(Path file) throws IOException {
        java.util.Objects.requireNonNull(file, "file");
        return false;
    }

    /** {@return the size of one page in bytes: a power of two from 4 KiB to 64 KiB} */
    int pageSize();

    /**
     * Takes a snapshot of the cache's counters. Cheap enough to call once a second; not meant for a hot loop.
     *
     * @return an immutable snapshot; counters are monotonic over the life of the cache, gauges are current
     */
    PageCacheStats stats();

    /**
     * Flushes every open file, closes it, stops the reclaimer and frees the cache's memory. Idempotent.
     * Operations racing with {@code close} fail with an exception; they never touch freed memory.
     *
     * @throws IOException the first error met while flushing (the others are suppressed into it); every
     *                     resource is released even then, so dirty pages that could not be written are lost
     */
    @Override
    void close() throws IOException;
}
