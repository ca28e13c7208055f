package org.pagecache.api;

import java.lang.foreign.MemorySegment;

/**
 * In-place access to one cached page, without copying it: what a storage engine uses to read a B-tree node or
 * update a record where it lies. Made by {@link PagedFile#pinForRead(long)} or {@link PagedFile#lockForWrite(long)};
 * close it (try-with-resources) to release the pin or the lock; closing twice does nothing.
 *
 * <p><b>Read guards</b> pin the page: it cannot be evicted or replaced while pinned, but writers may change it.
 * Read optimistically and validate, retrying when a writer got in between:
 * <pre>{@code
 * try (PageGuard page = file.pinForRead(7)) {
 *     long a, b, stamp;
 *     do {
 *         stamp = page.readStamp();                 // waits while a writer holds the page
 *         a = page.memory().get(JAVA_LONG, 0);
 *         b = page.memory().get(JAVA_LONG, 8);
 *     } while (!page.validate(stamp));              // a and b are from one instant of the page
 * }
 * }</pre>
 * The segment of a read guard is read-only.
 *
 * <p><b>Write guards</b> hold the page's exclusive lock: nobody else reads it consistently or writes it until
 * the guard closes, which marks the page dirty and grows the file to the end of the page if it was shorter.
 * Hold a write guard briefly, and never read a source that can fault (a mapped file, a {@link MappedView}) while
 * holding one: that is the deadlock the rest of the cache is built to avoid.
 *
 * <p><b>Several guards.</b> A thread may hold more than one guard (a B-tree parent and child, a bucket and its
 * overflow page); it must take them in ascending page order within a file. Two threads that lock two pages in
 * opposite orders deadlock, as with any two locks; the cache cannot break that cycle for them.
 *
 * <p><b>Limits.</b> Pins are a shared resource: while too many pages are pinned the cache cannot page anything
 * in, so {@code pinForRead} and {@code lockForWrite} fail with an {@link java.io.IOException} naming the limit
 * once the guards open on the cache would leave it too few frames. The memory of a closed guard must not be
 * used: it may already hold another page.
 */
public interface PageGuard extends AutoCloseable {

    /** {@return the index of the page (its position divided by the page size)} */
    long pageIndex();

    /** {@return the page's memory, {@link PageCache#pageSize()} bytes; read-only for a read guard} */
    MemorySegment memory();

    /**
     * Starts an optimistic read: waits while a writer holds the page and returns a stamp for {@link #validate}.
     * For a write guard it returns a stamp that always validates.
     *
     * @return the stamp
     * @throws IllegalStateException if the guard is closed
     */
    long readStamp();

    /**
     * {@return whether no writer changed the page since the stamp was taken: what was read in between is one
     *          instant of the page}
     *
     * @param stamp from {@link #readStamp()}
     * @throws IllegalStateException if the guard is closed
     */
    boolean validate(long stamp);

    /** Releases the pin (read guard) or marks the page dirty and releases the lock (write guard). */
    @Override
    void close();
}
