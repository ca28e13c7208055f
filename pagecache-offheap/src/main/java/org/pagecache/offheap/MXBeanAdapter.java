package org.pagecache.offheap;

import org.pagecache.api.PageCache;

/** Serves {@link PageCacheMXBean} from {@link PageCache#stats()}. */
final class MXBeanAdapter implements PageCacheMXBean {
    private final PageCache cache;

    MXBeanAdapter(PageCache cache) {
        this.cache = cache;
    }

    @Override
    public int getPageSize() {
        return cache.pageSize();
    }

    @Override
    public long getHits() {
        return cache.stats().hits();
    }

    @Override
    public long getFaults() {
        return cache.stats().faults();
    }

    @Override
    public double getHitRatio() {
        return cache.stats().hitRatio();
    }

    @Override
    public long getEvictions() {
        return cache.stats().evictions();
    }

    @Override
    public long getWritebacks() {
        return cache.stats().writebacks();
    }

    @Override
    public long getWritebackBatches() {
        return cache.stats().writebackBatches();
    }

    @Override
    public long getTempPageCopies() {
        return cache.stats().tempPageCopies();
    }

    @Override
    public long getDirectCopies() {
        return cache.stats().directCopies();
    }

    @Override
    public long getFastPathHits() {
        return cache.stats().fastPathHits();
    }

    @Override
    public long getFastPathFallbacks() {
        return cache.stats().fastPathFallbacks();
    }

    @Override
    public long getSourceFaults() {
        return cache.stats().sourceFaults();
    }

    @Override
    public long getLockWaits() {
        return cache.stats().lockWaits();
    }

    @Override
    public long getLockWaitNanos() {
        return cache.stats().lockWaitNanos();
    }

    @Override
    public long getFrames() {
        return cache.stats().frames();
    }

    @Override
    public long getFreeFrames() {
        return cache.stats().freeFrames();
    }

    @Override
    public long getDirtyFrames() {
        return cache.stats().dirtyFrames();
    }

    @Override
    public long getPinnedFrames() {
        return cache.stats().pinnedFrames();
    }
}
