package org.pagecache.stress;

/** The operations of a run, as they appear in the summary table and the JSON report. */
enum OpKind {
    WRITE_MAPPED_BUFFER("write.mapped-buffer", true),
    WRITE_MAPPED_SEGMENT("write.mapped-segment", true),
    WRITE_VIEW("write.view", true),
    WRITE_HEAP("write.heap", true),
    READ("read", true),
    READ_VIEW("read.view", true),
    FLUSH("flush", true),
    SYNC("sync", true),
    SOURCE_TRUNCATE("source.truncate", false);

    /** The name in reports. */
    final String label;
    /** Whether this is an operation on the cache (counted in operations per second). */
    final boolean cacheOp;

    OpKind(String label, boolean cacheOp) {
        this.label = label;
        this.cacheOp = cacheOp;
    }
}
