package org.pagecache.offheap;

/**
 * The cache's figures over JMX, registered as {@code org.pagecache:type=PageCache,name=<name>} when the cache is
 * built with {@link OffHeapPageCache.Builder#registerMXBean(String)}, and unregistered when it closes. Each
 * attribute is the field of the same name of {@link org.pagecache.api.PageCacheStats}.
 */
public interface PageCacheMXBean {
    /** @return the page size in bytes */
    int getPageSize();

    /** @return page accesses served from a resident page */
    long getHits();

    /** @return page-ins */
    long getFaults();

    /** @return hits / (hits + faults) */
    double getHitRatio();

    /** @return frames evicted */
    long getEvictions();

    /** @return pages written back */
    long getWritebacks();

    /** @return write-back I/O calls */
    long getWritebackBatches();

    /** @return write chunks copied through a temporary page */
    long getTempPageCopies();

    /** @return write chunks copied directly under the page lock */
    long getDirectCopies();

    /** @return view chunks copied on the fast path */
    long getFastPathHits();

    /** @return view chunks that fell back to the temporary page */
    long getFastPathFallbacks();

    /** @return write chunks abandoned because the source faulted */
    long getSourceFaults();

    /** @return page lock acquisitions that waited */
    long getLockWaits();

    /** @return nanoseconds spent waiting for page locks */
    long getLockWaitNanos();

    /** @return frames in the cache */
    long getFrames();

    /** @return free frames now */
    long getFreeFrames();

    /** @return dirty frames now */
    long getDirtyFrames();

    /** @return pinned frames now */
    long getPinnedFrames();
}
