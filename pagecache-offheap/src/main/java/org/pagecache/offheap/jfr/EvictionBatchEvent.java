package org.pagecache.offheap.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** One pass of the CLOCK sweep that evicted pages: by the reclaimer, or by a faulting thread (direct). */
@Name("org.pagecache.EvictionBatch")
@Label("Eviction Batch")
@Category({"pagecache"})
@Description("One pass of the CLOCK sweep that evicted pages")
@StackTrace(false)
public final class EvictionBatchEvent extends jdk.jfr.Event {
    /** Frames evicted in the pass. */
    @Label("Evicted")
    public int evicted;

    /** Frames the hand passed over. */
    @Label("Scanned")
    public int scanned;

    /** Whether a faulting thread ran the pass itself because no frame was free. */
    @Label("Direct")
    public boolean direct;
}
