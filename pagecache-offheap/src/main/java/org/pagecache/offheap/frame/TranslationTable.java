package org.pagecache.offheap.frame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.IntBinaryOperator;

/**
 * A file's map from page index to frame: a sparse three-level radix table whose memory follows what is cached,
 * not the size of the file. A page index (31 bits) splits into a directory index (the top bits), a block index
 * ({@value #BLOCK_SHIFT} bits) and a leaf index ({@value #LEAF_SHIFT} bits); a leaf holds {@value #LEAF}
 * {@code int} entries and is allocated when a page in it is first installed and freed when its last entry is
 * removed, so 4,096 pages cached anywhere in a 64 GiB file cost at most 4,096 leaves of about 1 KiB (a dense
 * file costs about 4 bytes per cached page, as before). Blocks (arrays of {@value #BLOCK} leaf references) stay
 * once made: one per 1 GiB of file address space touched (4 KiB pages).
 *
 * <p>An entry holds {@code frame + 1}, so zero means "not cached". Lookups take no lock. Installing and
 * removing are compare-and-set on the entry, so two threads faulting one page agree on one frame. An entry found
 * here is a hint: the frame's own state (slot and page index) is checked under its lock or by an optimistic
 * read, because eviction removes the entry and then frees the frame.
 *
 * <p>Freeing a leaf races with installing into it; each leaf counts its entries plus installs in progress, and
 * an install first reserves a place in the count. A leaf whose count reached zero is retired by setting the
 * count to -1 (nothing can reserve in it any more) and then unlinked; an install that finds a retired leaf looks
 * again. A lookup that read a leaf just retired sees only empty entries: a miss, which the page-in path
 * resolves by installing (into the current leaf, where a competing entry makes it look again).
 */
public final class TranslationTable {
    /** log2 of entries per leaf. */
    public static final int LEAF_SHIFT = 8;
    /** Entries per leaf. */
    public static final int LEAF = 1 << LEAF_SHIFT;
    /** log2 of leaves per block. */
    public static final int BLOCK_SHIFT = 10;
    /** Leaves per block. */
    public static final int BLOCK = 1 << BLOCK_SHIFT;

    private static final int LEAF_MASK = LEAF - 1;
    private static final int BLOCK_MASK = BLOCK - 1;
    private static final int DIR_SHIFT = LEAF_SHIFT + BLOCK_SHIFT;
    private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LEAF_REF = MethodHandles.arrayElementVarHandle(int[][].class);
    /** Where a leaf keeps its count, after its entries. */
    private static final int COUNT = LEAF;

    private static final int[][][] EMPTY = new int[0][][];

    /*
     * A leaf is an int[LEAF + 1]: the entries, then their count plus installs in progress (-1 once retired), so
     * that a lookup goes from the block straight to the entry, one object and no header of a leaf object between.
     */

    private volatile int[][][] directory = EMPTY;
    /** Live leaves (an estimate for tests and stats). */
    private volatile int leaves;

    private int[] leaf(int pageIndex) {
        int[][][] d = directory;
        int di = pageIndex >>> DIR_SHIFT;
        if (di >= d.length) {
            return null;
        }
        int[][] block = d[di];
        if (block == null) {
            return null;
        }
        return (int[]) LEAF_REF.getAcquire(block, (pageIndex >>> LEAF_SHIFT) & BLOCK_MASK);
    }

    /** @return the frame holding the page, or -1 */
    public int get(int pageIndex) {
        int[] leaf = leaf(pageIndex);
        if (leaf == null) {
            return -1;
        }
        return (int) ENTRY.getAcquire(leaf, pageIndex & LEAF_MASK) - 1;
    }

    /** @return whether the page now maps to {@code frame}; false if another frame got there first */
    public boolean install(int pageIndex, int frame) {
        int[] leaf = reserve(pageIndex);
        if (ENTRY.compareAndSet(leaf, pageIndex & LEAF_MASK, 0, frame + 1)) {
            return true;
        }
        release(pageIndex, leaf);
        return false;
    }

    /** Removes the mapping of the page if it maps to {@code frame}. */
    public boolean remove(int pageIndex, int frame) {
        int[] leaf = leaf(pageIndex);
        if (leaf == null || !ENTRY.compareAndSet(leaf, pageIndex & LEAF_MASK, frame + 1, 0)) {
            return false;
        }
        release(pageIndex, leaf);
        return true;
    }

    /**
     * Calls {@code action(pageIndex, frame)} for every mapped page at or above {@code fromPage}, in page order.
     * The table may change meanwhile; every entry seen is a hint, as for {@link #get}.
     */
    public void forEach(int fromPage, IntBinaryOperator action) {
        int[][][] d = directory;
        int from = Math.max(0, fromPage);
        for (int di = from >>> DIR_SHIFT; di < d.length; di++) {
            int[][] block = d[di];
            if (block == null) {
                continue;
            }
            for (int bi = 0; bi < BLOCK; bi++) {
                int base = (di << DIR_SHIFT) | (bi << LEAF_SHIFT);
                if (base + LEAF_MASK < from) {
                    continue;
                }
                int[] leaf = (int[]) LEAF_REF.getAcquire(block, bi);
                if (leaf == null) {
                    continue;
                }
                for (int i = Math.max(0, from - base); i < LEAF; i++) {
                    int e = (int) ENTRY.getAcquire(leaf, i);
                    if (e != 0) {
                        action.applyAsInt(base | i, e - 1);
                    }
                }
            }
        }
    }

    /** @return leaves allocated now (each {@value #LEAF} entries) */
    public int leaves() {
        return leaves;
    }

    /** @return an estimate of the heap this table holds, in bytes */
    public long footprintBytes() {
        int[][][] d = directory;
        long blocks = 0;
        for (int[][] b : d) {
            if (b != null) {
                blocks++;
            }
        }
        return 16L + 8L * d.length + blocks * (16L + 4L * BLOCK) + (long) leaves * (16L + 4L * (LEAF + 1));
    }

    /** Reserves a place in the live leaf of the page, making the leaf if needed. */
    private int[] reserve(int pageIndex) {
        for (; ; ) {
            int[] leaf = leaf(pageIndex);
            if (leaf == null) {
                leaf = makeLeaf(pageIndex);
            }
            int c = (int) ENTRY.getVolatile(leaf, COUNT);
            if (c >= 0 && ENTRY.compareAndSet(leaf, COUNT, c, c + 1)) {
                return leaf;
            }
            if (c < 0) {
                unlink(pageIndex, leaf); // retired: make sure it is gone, then look again
            }
        }
    }

    /** Gives back a place in a leaf; retires and unlinks the leaf when it is empty. */
    private void release(int pageIndex, int[] leaf) {
        int left = (int) ENTRY.getAndAdd(leaf, COUNT, -1) - 1;
        if (left == 0 && ENTRY.compareAndSet(leaf, COUNT, 0, -1)) {
            unlink(pageIndex, leaf);
        }
    }

    private synchronized void unlink(int pageIndex, int[] leaf) {
        int[][][] d = directory;
        int di = pageIndex >>> DIR_SHIFT;
        if (di < d.length && d[di] != null) {
            if (LEAF_REF.compareAndSet(d[di], (pageIndex >>> LEAF_SHIFT) & BLOCK_MASK, leaf, (int[]) null)) {
                leaves--;
            }
        }
    }

    private synchronized int[] makeLeaf(int pageIndex) {
        int di = pageIndex >>> DIR_SHIFT;
        int[][][] d = directory;
        if (di >= d.length) {
            d = Arrays.copyOf(d, Math.max(di + 1, d.length * 2));
            directory = d;
        }
        int[][] block = d[di];
        if (block == null) {
            block = new int[BLOCK][];
            int[][][] copy = d.clone();
            copy[di] = block;
            directory = copy;
        }
        int bi = (pageIndex >>> LEAF_SHIFT) & BLOCK_MASK;
        int[] leaf = (int[]) LEAF_REF.getVolatile(block, bi);
        if (leaf == null || (int) ENTRY.getVolatile(leaf, COUNT) < 0) {
            int[] fresh = new int[LEAF + 1];
            if (leaf == null
                    ? LEAF_REF.compareAndSet(block, bi, (int[]) null, fresh)
                    : LEAF_REF.compareAndSet(block, bi, leaf, fresh)) {
                if (leaf == null) {
                    leaves++;
                }
                leaf = fresh;
            } else {
                leaf = (int[]) LEAF_REF.getVolatile(block, bi);
            }
        }
        return leaf;
    }
}
