package org.pagecache.offheap.frame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.IntBinaryOperator;

/**
 * A file's map from page index to frame: a two-level table of {@code int} chunks of {@value #CHUNK} entries,
 * allocated when first touched; the outer array grows copy-on-write. An entry holds {@code frame + 1}, so
 * zero means "not cached". Lookups take no lock. Installing and removing are compare-and-set on the entry,
 * so two threads faulting one page agree on one frame. An entry found here is a hint: the frame's own state
 * (slot and page index) is checked under its lock or by an optimistic read, because eviction removes the entry
 * and then frees the frame.
 */
public final class TranslationTable {
    /** log2 of entries per chunk. */
    public static final int CHUNK_SHIFT = 12;
    /** Entries per chunk. */
    public static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int CHUNK_MASK = CHUNK - 1;
    private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int[][] EMPTY = new int[0][];

    private volatile int[][] chunks = EMPTY;

    /** @return the frame holding the page, or -1 */
    public int get(int pageIndex) {
        int[][] c = chunks;
        int ci = pageIndex >>> CHUNK_SHIFT;
        if (ci >= c.length) {
            return -1;
        }
        int[] chunk = c[ci];
        if (chunk == null) {
            return -1;
        }
        return (int) ENTRY.getAcquire(chunk, pageIndex & CHUNK_MASK) - 1;
    }

    /** @return whether the page now maps to {@code frame}; false if another frame got there first */
    public boolean install(int pageIndex, int frame) {
        return ENTRY.compareAndSet(chunkFor(pageIndex), pageIndex & CHUNK_MASK, 0, frame + 1);
    }

    /** Removes the mapping of the page if it maps to {@code frame}. */
    public boolean remove(int pageIndex, int frame) {
        int[][] c = chunks;
        int ci = pageIndex >>> CHUNK_SHIFT;
        if (ci >= c.length || c[ci] == null) {
            return false;
        }
        return ENTRY.compareAndSet(c[ci], pageIndex & CHUNK_MASK, frame + 1, 0);
    }

    /**
     * Calls {@code action(pageIndex, frame)} for every mapped page at or above {@code fromPage}, in page order.
     * The table may change meanwhile; every entry seen is a hint, as for {@link #get}.
     */
    public void forEach(int fromPage, IntBinaryOperator action) {
        int[][] c = chunks;
        for (int ci = Math.max(0, fromPage >>> CHUNK_SHIFT); ci < c.length; ci++) {
            int[] chunk = c[ci];
            if (chunk == null) {
                continue;
            }
            int start = ci == fromPage >>> CHUNK_SHIFT ? fromPage & CHUNK_MASK : 0;
            for (int i = start; i < CHUNK; i++) {
                int e = (int) ENTRY.getAcquire(chunk, i);
                if (e != 0) {
                    action.applyAsInt((ci << CHUNK_SHIFT) | i, e - 1);
                }
            }
        }
    }

    private int[] chunkFor(int pageIndex) {
        int ci = pageIndex >>> CHUNK_SHIFT;
        int[][] c = chunks;
        if (ci < c.length && c[ci] != null) {
            return c[ci];
        }
        synchronized (this) {
            c = chunks;
            if (ci >= c.length) {
                c = Arrays.copyOf(c, Math.max(ci + 1, c.length * 2));
            } else if (c[ci] != null) {
                return c[ci];
            } else {
                c = c.clone();
            }
            int[] chunk = new int[CHUNK];
            c[ci] = chunk;
            chunks = c;
            return chunk;
        }
    }
}
