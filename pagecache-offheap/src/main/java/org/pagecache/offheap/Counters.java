package org.pagecache.offheap;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@link org.pagecache.api.PageCache#stats()}: striped adders, cheap from many threads.
 * Evictions and write-backs are counted by the {@link org.pagecache.offheap.reclaim.Reclaimer}.
 */
final class Counters {
    final LongAdder hits = new LongAdder();
    final LongAdder faults = new LongAdder();
    final LongAdder tempPageCopies = new LongAdder();
    final LongAdder directCopies = new LongAdder();
    final LongAdder fastPathHits = new LongAdder();
    final LongAdder fastPathFallbacks = new LongAdder();
    final LongAdder sourceFaults = new LongAdder();
    final LongAdder reopenHits = new LongAdder();
    final LongAdder reopenDrops = new LongAdder();
}
