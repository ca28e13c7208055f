package org.pagecache.lucene;

import com.carrotsearch.randomizedtesting.ThreadFilter;
import java.io.IOException;
import org.pagecache.api.PageCache;
import org.pagecache.offheap.OffHeapPageCache;

/** The cache a test suite runs on: an ordinary one, or a tiny one under constant eviction. */
final class CacheFixtures {
    /** 32 pages of 4 KiB: every index of the suites is larger, so pages are evicted all the time. */
    static final int TINY_PAGES = 32;

    private static volatile PageCache current;

    private CacheFixtures() {}

    static PageCache ordinary() {
        return OffHeapPageCache.builder().pageSize(4096).capacity(64L << 20).build();
    }

    static PageCache tiny() {
        return OffHeapPageCache.builder()
                .pageSize(4096)
                .capacity(TINY_PAGES * 4096L)
                .build();
    }

    /** Makes {@code cache} the one that {@link CachedTestDirectory} (Lucene's {@code newDirectory()}) uses. */
    static PageCache use(PageCache cache) {
        current = cache;
        return cache;
    }

    static PageCache current() {
        PageCache c = current;
        if (c == null) {
            throw new IllegalStateException("no test cache: call CacheFixtures.use in @BeforeClass");
        }
        return c;
    }

    static void close() throws IOException {
        PageCache c = current;
        current = null;
        if (c != null) {
            c.close();
        }
    }

    /** The cache's own daemon threads (reclaimer, prefetch) live as long as the cache, not one test. */
    public static final class CacheThreads implements ThreadFilter {
        @Override
        public boolean reject(Thread t) {
            return t.getName().startsWith("pagecache-");
        }
    }
}
