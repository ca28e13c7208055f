package org.pagecache.api;

/**
 * An immutable snapshot of a cache's counters ({@link PageCache#stats()}). Counters only grow over the life of
 * the cache; the four fields from {@code frames} to {@code pinnedFrames} and {@code retainedFiles} are gauges read at the moment of the snapshot.
 *
 * @param hits              page accesses served from a resident page
 * @param faults            page-ins: pages read from a file (or zero-filled past its end) into a frame
 * @param evictions         frames taken from a page to reuse for another
 * @param writebacks        pages written back to their file
 * @param writebackBatches  write-back I/O calls; each writes a run of file-adjacent pages in one vectored write
 * @param tempPageCopies    write chunks copied through a temporary page (sources that can fault)
 * @param directCopies      write chunks copied straight from a source that cannot fault, under the page lock
 * @param fastPathHits      write chunks from a {@link MappedView} copied directly from pinned resident pages
 * @param fastPathFallbacks write chunks from a {@link MappedView} that could not take the fast path
 * @param sourceFaults      write chunks abandoned because their source faulted
 * @param lockWaits         page lock acquisitions that had to wait
 * @param lockWaitNanos     total time spent waiting for page locks
 * @param frames            frames in the cache
 * @param freeFrames        frames holding no page
 * @param dirtyFrames       frames holding a page not yet written back
 * @param pinnedFrames      frames pinned by at least one user
 * @param reclaimerFailures failures ({@code Error}s, runtime exceptions) the reclaimer's background thread met
 *                          and survived; each is also logged. Not a gauge: it only grows
 * @param reopenHits        opens that found the file's pages retained from its last close, still valid (no
 *                          page-in needed for what stayed cached)
 * @param reopenDrops       opens that found a retained file changed (deleted and re-created, replaced, resized or
 *                          modified by someone else) and dropped its pages
 * @param retainedFiles     files with no open handle whose pages the cache keeps (a gauge)
 */
public record PageCacheStats(
        long hits,
        long faults,
        long evictions,
        long writebacks,
        long writebackBatches,
        long tempPageCopies,
        long directCopies,
        long fastPathHits,
        long fastPathFallbacks,
        long sourceFaults,
        long lockWaits,
        long lockWaitNanos,
        long frames,
        long freeFrames,
        long dirtyFrames,
        long pinnedFrames,
        long reclaimerFailures,
        long reopenHits,
        long reopenDrops,
        long retainedFiles) {

    /**
     * The snapshot without the counters added later ({@code reclaimerFailures}, {@code reopenHits},
     * {@code reopenDrops} and {@code retainedFiles} read as zero).
     *
     * @param hits              page accesses served from a resident page
     * @param faults            page-ins
     * @param evictions         frames taken from a page to reuse for another
     * @param writebacks        pages written back to their file
     * @param writebackBatches  write-back I/O calls
     * @param tempPageCopies    write chunks copied through a temporary page
     * @param directCopies      write chunks copied straight from a source that cannot fault
     * @param fastPathHits      write chunks from a {@link MappedView} copied directly from pinned resident pages
     * @param fastPathFallbacks write chunks from a {@link MappedView} that could not take the fast path
     * @param sourceFaults      write chunks abandoned because their source faulted
     * @param lockWaits         page lock acquisitions that had to wait
     * @param lockWaitNanos     total time spent waiting for page locks
     * @param frames            frames in the cache
     * @param freeFrames        frames holding no page
     * @param dirtyFrames       frames holding a page not yet written back
     * @param pinnedFrames      frames pinned by at least one user
     */
    public PageCacheStats(
            long hits,
            long faults,
            long evictions,
            long writebacks,
            long writebackBatches,
            long tempPageCopies,
            long directCopies,
            long fastPathHits,
            long fastPathFallbacks,
            long sourceFaults,
            long lockWaits,
            long lockWaitNanos,
            long frames,
            long freeFrames,
            long dirtyFrames,
            long pinnedFrames) {
        this(
                hits,
                faults,
                evictions,
                writebacks,
                writebackBatches,
                tempPageCopies,
                directCopies,
                fastPathHits,
                fastPathFallbacks,
                sourceFaults,
                lockWaits,
                lockWaitNanos,
                frames,
                freeFrames,
                dirtyFrames,
                pinnedFrames,
                0,
                0,
                0,
                0);
    }

    /** {@return hits divided by all page accesses ({@code hits + faults}), or 0 when there were none} */
    public double hitRatio() {
        long total = hits + faults;
        return total == 0 ? 0.0 : (double) hits / total;
    }
}
