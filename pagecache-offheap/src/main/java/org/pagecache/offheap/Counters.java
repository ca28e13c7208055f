package org.pagecache.offheap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@link org.pagecache.api.PageCache#stats()}. Evictions and write-backs are counted by the
 * {@link org.pagecache.offheap.reclaim.Reclaimer}.
 *
 * <p>The counts of every hit and write (hits, page-ins, direct copies) are per thread: each thread adds to its
 * own cell with a plain load and an opaque store, no read-modify-write instruction and no cache line written by
 * another thread, and {@link #hits()} and the others sum the cells. A {@link LongAdder} would do a locked
 * compare-and-set per count, which on x86 waits for the copy's loads to complete and keeps the next read's
 * cache misses from overlapping this one's. A cell whose thread has ended is folded into a retired sum when
 * cells are next registered, so the cells follow the live threads that count. The rarer counts stay adders.
 */
final class Counters {
    private static final VarHandle HITS;
    private static final VarHandle FAULTS;
    private static final VarHandle DIRECT_COPIES;
    /** Cells registered before the first sweep for ended threads. */
    private static final int FIRST_SWEEP = 64;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HITS = l.findVarHandle(Cell.class, "hits", long.class);
            FAULTS = l.findVarHandle(Cell.class, "faults", long.class);
            DIRECT_COPIES = l.findVarHandle(Cell.class, "directCopies", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One thread's counts: written by that thread only (opaque stores), read by the sums (opaque loads). */
    static final class Cell {
        final WeakReference<Thread> owner = new WeakReference<>(Thread.currentThread());
        long hits;
        long faults;
        long directCopies;

        boolean ended() {
            Thread t = owner.get();
            return t == null || !t.isAlive();
        }
    }

    private final ThreadLocal<Cell> local = ThreadLocal.withInitial(this::register);
    /** Live cells; guarded by this. */
    private final ArrayList<Cell> cells = new ArrayList<>();
    /** Counts of the cells of ended threads; guarded by this. */
    private long retiredHits;

    private long retiredFaults;
    private long retiredDirectCopies;
    private int sweepAt = FIRST_SWEEP;

    final LongAdder tempPageCopies = new LongAdder();
    final LongAdder fastPathHits = new LongAdder();
    final LongAdder fastPathFallbacks = new LongAdder();
    final LongAdder sourceFaults = new LongAdder();
    final LongAdder reopenHits = new LongAdder();
    final LongAdder reopenDrops = new LongAdder();

    private synchronized Cell register() {
        if (cells.size() >= sweepAt) {
            // a thread's termination happens-before isAlive() returns false: its last counts are visible
            cells.removeIf(c -> {
                if (c.ended()) {
                    retiredHits += (long) HITS.getOpaque(c);
                    retiredFaults += (long) FAULTS.getOpaque(c);
                    retiredDirectCopies += (long) DIRECT_COPIES.getOpaque(c);
                    return true;
                }
                return false;
            });
            sweepAt = Math.max(FIRST_SWEEP, 2 * cells.size());
        }
        Cell c = new Cell();
        cells.add(c);
        return c;
    }

    /** Counts one hit. */
    void hit() {
        hits(1);
    }

    /** Counts {@code n} hits. */
    void hits(long n) {
        Cell c = local.get();
        HITS.setOpaque(c, c.hits + n);
    }

    /**
     * The calling thread's cell, for a caller that counts often and keeps it with the thread it belongs to (a
     * {@link PageReader}): {@link #hits(Cell, long)} then skips the thread-local look-up.
     */
    Cell cell() {
        return local.get();
    }

    /** Counts {@code n} hits in {@code cell}, which must be the calling thread's ({@link #cell()} on it). */
    static void hits(Cell cell, long n) {
        HITS.setOpaque(cell, cell.hits + n);
    }

    /** Counts one page-in. */
    void fault() {
        faults(1);
    }

    /** Counts {@code n} page-ins. */
    void faults(long n) {
        Cell c = local.get();
        FAULTS.setOpaque(c, c.faults + n);
    }

    /** Counts one write chunk copied straight from its source. */
    void directCopy() {
        Cell c = local.get();
        DIRECT_COPIES.setOpaque(c, c.directCopies + 1);
    }

    /** @return cells registered and not yet folded (tests: the cells follow the live threads) */
    synchronized int cells() {
        return cells.size();
    }

    /** @return hits counted so far */
    synchronized long hits() {
        long sum = retiredHits;
        for (Cell c : cells) {
            sum += (long) HITS.getOpaque(c);
        }
        return sum;
    }

    /** @return page-ins counted so far */
    synchronized long faults() {
        long sum = retiredFaults;
        for (Cell c : cells) {
            sum += (long) FAULTS.getOpaque(c);
        }
        return sum;
    }

    /** @return direct copies counted so far */
    synchronized long directCopies() {
        long sum = retiredDirectCopies;
        for (Cell c : cells) {
            sum += (long) DIRECT_COPIES.getOpaque(c);
        }
        return sum;
    }
}
