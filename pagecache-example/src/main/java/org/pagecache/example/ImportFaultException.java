package org.pagecache.example;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;
import org.pagecache.api.SourceFaultException;

/**
 * Thrown by {@link RecordTable#importRecords} when reading the memory-mapped input faulted, typically because the
 * input file was truncated during the import: the cache's write reported a {@link SourceFaultException} or a short
 * count. Nothing was imported; the table is as it was before the call.
 */
public final class ImportFaultException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Path input;
    private final long offset;

    ImportFaultException(Path input, long offset, SourceFaultException cause) {
        super(
                "import of " + input + " stopped: reading the mapped input faulted at byte " + offset
                        + " (was the file truncated, or is its disk failing?); nothing was imported",
                cause);
        this.input = input;
        this.offset = offset;
    }

    /** @return the input file */
    public Path input() {
        return input;
    }

    /** @return the byte of the input at which reading it faulted */
    public long offset() {
        return offset;
    }
}
