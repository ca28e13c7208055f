package org.pagecache.offheap.reclaim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * Buffers that write-back copies pages into, under each page's lock, before the I/O: what reaches the file is
 * the page at one instant, never a page torn by a writer that got the lock after the claim.
 *
 * <p>Each buffer holds the pages of one write-back run (at most {@link WriteBack#MAX_RUN_BYTES}), aligned to the
 * page size (direct I/O needs it). A few are made on first need from the cache's own arena and kept for reuse
 * (freed when the cache closes), so steady write-back allocates nothing; when more threads write back at once than are kept, the extra buffers come from
 * an automatic arena and are freed by the garbage collector once dropped.
 */
final class SnapshotPool implements AutoCloseable {
    private static final int KEPT = 4;

    private final long bytes;
    private final int alignment;
    private final MpmcAtomicArrayQueue<MemorySegment> kept = new MpmcAtomicArrayQueue<>(KEPT);
    private final Arena arena = Arena.ofShared();
    private final java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();

    SnapshotPool(int pageSize, int pages) {
        this.bytes = (long) pages * pageSize;
        this.alignment = pageSize;
    }

    /** @return a buffer of one run's pages, owned by the caller until {@link #release} */
    MemorySegment acquire() {
        MemorySegment s = kept.poll();
        if (s != null) {
            return s;
        }
        if (made.getAndIncrement() < KEPT) {
            return arena.allocate(bytes, alignment);
        }
        return Arena.ofAuto().allocate(bytes, alignment);
    }

    /** Gives a buffer back (or drops it, when enough are kept). */
    void release(MemorySegment snapshot) {
        if (snapshot.scope() == arena.scope()) {
            kept.offer(snapshot); // always room: at most KEPT come from the arena
        }
    }

    /** Frees the kept buffers; a write-back still running then fails as on a closed cache. */
    @Override
    public void close() {
        kept.clear();
        arena.close();
    }
}
