package org.pagecache.offheap.testing;

import java.time.Duration;
import java.util.function.Predicate;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;

/** Waits for a cache's counters to reach a state its own threads move it to (write-back, the reclaimer). */
public final class Stats {
    private Stats() {}

    /**
     * Looks at {@code cache.stats()} until {@code condition} holds or {@code bound} has passed, for example until
     * no write-back claim is in flight: a claim trades DIRTY for WRITEBACK for a moment, so a count of dirty
     * frames taken during one is low.
     *
     * @return the last snapshot looked at (the caller asserts on it)
     */
    public static PageCacheStats await(PageCache cache, Predicate<PageCacheStats> condition, Duration bound) {
        long until = System.nanoTime() + bound.toNanos();
        PageCacheStats s = cache.stats();
        while (!condition.test(s) && System.nanoTime() - until < 0) {
            Thread.onSpinWait();
            s = cache.stats();
        }
        return s;
    }
}
