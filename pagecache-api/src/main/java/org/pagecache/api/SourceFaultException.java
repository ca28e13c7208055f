package org.pagecache.api;

import java.io.IOException;
import java.io.Serial;

/**
 * Thrown by {@link PagedFile#write} when reading the source faulted before any byte was written: a mapped
 * source file that shrank or whose disk failed, a {@link MappedView} past the end of its file or whose page-in
 * failed, or a source whose memory was freed. The chunk that faulted left the destination unchanged, no lock is
 * held, and the cache keeps working.
 */
public class SourceFaultException extends IOException {
    /** The serialized form's version. */
    @Serial
    private static final long serialVersionUID = 1L;

    /** The bytes written before the source faulted. */
    private final long bytesWritten;

    /**
     * A fault of the source of a write.
     *
     * @param message      what faulted, and where
     * @param bytesWritten bytes written before the fault
     * @param cause        the underlying error, if any
     */
    public SourceFaultException(String message, long bytesWritten, Throwable cause) {
        super(message, cause);
        this.bytesWritten = bytesWritten;
    }

    /** {@return the bytes written before the source faulted; {@code 0} when thrown by {@link PagedFile#write}} */
    public long bytesWritten() {
        return bytesWritten;
    }
}
