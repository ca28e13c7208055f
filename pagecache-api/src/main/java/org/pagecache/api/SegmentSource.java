package org.pagecache.api;

import java.lang.foreign.MemorySegment;

/** A {@link WriteSource} over a memory segment: what every {@code WriteSource.of} factory returns. */
record SegmentSource(MemorySegment segment) implements WriteSource {

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
        return "WriteSource[" + kind + ", " + segment.byteSize() + " bytes]";
    }
}
