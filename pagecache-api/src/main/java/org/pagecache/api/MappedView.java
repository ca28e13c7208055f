package org.pagecache.api;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A view of a range of a cached file, made by {@link PagedFile#map(long, long)}. Reading it faults pages in
 * through the cache, taking their locks as any read does; that is why a view is a source that <em>can
 * fault</em>, and why {@link PagedFile#write} never reads one while holding a page lock.
 *
 * <p>A view holds no pages pinned and costs nothing while idle. It is safe for use by many threads.
 * After {@link #close()} every method but {@code close} throws {@link IllegalStateException}.
 */
public interface MappedView extends WriteSource, AutoCloseable {

    /** {@return the position in the file of the view's first byte} */
    long position();

    /**
     * Reads bytes of the view at {@code offset} into {@code dst}, like {@link PagedFile#read}, limited to the
     * view: returns {@code -1} when {@code offset >= length()} or the file ends before.
     *
     * @param offset offset within the view; {@code >= 0}
     * @param dst    where to read to
     * @return bytes read, or {@code -1}
     * @throws IOException if a page-in fails or the file is closed
     */
    int read(long offset, ByteBuffer dst) throws IOException;

    /** Closes the view. Idempotent; never throws a checked exception. */
    @Override
    void close();
}
