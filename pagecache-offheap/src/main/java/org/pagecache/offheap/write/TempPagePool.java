package org.pagecache.offheap.write;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * The reserve of temporary pages that sources which can fault are copied into before the destination page is
 * locked (invariant W1). Its memory is its own, never the cache's frames, so a writer never has to reclaim a
 * frame to get one (the seed's "a task cannot reclaim its own memory"). When the reserve is empty a page is
 * allocated on the side and freed by the garbage collector: the write never waits here.
 */
public final class TempPagePool implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MpmcAtomicArrayQueue<MemorySegment> free;
    private final int pageSize;

    /**
     * @param pages    pages in the reserve
     * @param pageSize bytes per page
     */
    public TempPagePool(int pages, int pageSize) {
        this.pageSize = pageSize;
        this.free = new MpmcAtomicArrayQueue<>(Math.max(2, pages));
        MemorySegment all = arena.allocate((long) pages * pageSize, pageSize);
        for (int i = 0; i < pages; i++) {
            free.offer(all.asSlice((long) i * pageSize, pageSize));
        }
    }

    /** @return a temporary page; give it back with {@link #release} */
    public MemorySegment acquire() {
        MemorySegment page = free.poll();
        if (page == null) {
            page = Arena.ofAuto().allocate(pageSize, pageSize);
        }
        return page;
    }

    /** Gives a page back (pages allocated on the side go to the garbage collector if the reserve is full). */
    public void release(MemorySegment page) {
        free.offer(page);
    }

    @Override
    public void close() {
        free.clear();
        arena.close();
    }
}
