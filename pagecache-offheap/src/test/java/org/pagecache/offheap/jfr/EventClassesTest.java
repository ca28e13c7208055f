package org.pagecache.offheap.jfr;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pagecache.api.PageCache;
import org.pagecache.offheap.OffHeapPageCache;

class EventClassesTest {
    @Test
    void buildingACacheInitializesTheEventClassesBeforeAnyPageIn() throws Exception {
        try (PageCache cache =
                OffHeapPageCache.builder().pageSize(4096).capacity(1 << 20).build()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!EventClasses.initialized() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(EventClasses.initialized(), "the JFR event classes were initialized with no page-in at all");
            assertTrue(cache.stats().faults() == 0, "nothing was paged in");
        }
    }
}
