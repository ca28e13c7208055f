package org.pagecache.offheap.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The file behind a cached file: positional reads and gathering writes of page memory. The cache reads pages
 * in through {@link #read}, writes runs of file-adjacent dirty pages back through {@link #write} (one vectored
 * write per run), and makes them durable with {@link #force}.
 *
 * <p>Implementations must be safe for concurrent use by many threads; the cache never issues two writes of the
 * same page at once. Every method may fail with {@link IOException}; the cache keeps the affected pages dirty
 * (writes) or uncached (reads) and reports the error. A store may be short: {@link #read} and {@link #write}
 * may transfer fewer bytes than asked, and the cache loops.
 *
 * <p>{@link FileChannelStore} is the real one; tests put fault-injecting wrappers in front of it.
 */
public interface BackingStore extends Closeable {

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code position}, advancing the buffer.
     *
     * @return bytes read, possibly fewer than asked; {@code -1} at end of file
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /**
     * Writes the bytes remaining in {@code srcs}, in order, starting at {@code position}, advancing the buffers.
     *
     * @return bytes written, possibly fewer than asked
     */
    long write(ByteBuffer[] srcs, long position) throws IOException;

    /** @return the current size of the file */
    long size() throws IOException;

    /** Truncates the file to {@code size} bytes if it is longer. */
    void truncate(long size) throws IOException;

    /**
     * Forces written bytes to stable storage.
     *
     * @param metadata whether the file's size and other metadata must be forced too
     */
    void force(boolean metadata) throws IOException;

    /**
     * A path that opens this store's very file for as long as the store is open (on Linux, the
     * {@code /proc/self/fd} link of a descriptor the store holds), for page-ins that bypass {@link #read}: the
     * cache's asynchronous page-ins through {@code io_uring}. Null, the default, sends every page-in through
     * {@link #read}; a store that injects faults or changes what is read must keep it null.
     *
     * @return the path, or null
     */
    default java.nio.file.Path bypassReadPath() {
        return null;
    }

    /** @return whether reads that bypass the store must use direct I/O ({@code O_DIRECT}), as this store's do */
    default boolean bypassReadsDirect() {
        return false;
    }

    /** Closes the file. */
    @Override
    void close() throws IOException;
}
