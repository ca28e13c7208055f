package org.pagecache.api;

import java.lang.foreign.MemorySegment;

/**
 * A {@link WriteSource} over a memory segment: what every {@code WriteSource.of} factory returns.
 *
 * @param segment  the bytes
 * @param mayFault whether reading them can fault: always for a mapped segment, else as the caller said
 */
record SegmentSource(MemorySegment segment, boolean mayFault) implements WriteSource {

    SegmentSource(MemorySegment segment) {
        this(segment, segment.isMapped());
    }

    SegmentSource {
        mayFault |= segment.isMapped();
    }

    @Override
    public long length() {
        return segment.byteSize();
    }

    @Override
    public MemorySegment asSegment() {
        return segment;
    }

    @Override
    public String toString() {
        String kind = segment.isMapped() ? "mapped" : segment.isNative() ? "native" : "heap";
        return "WriteSource[" + kind + (mayFault && !segment.isMapped() ? ", may fault" : "") + ", "
                + segment.byteSize() + " bytes]";
    }
}
