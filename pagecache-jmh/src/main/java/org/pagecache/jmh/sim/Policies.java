package org.pagecache.jmh.sim;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.PriorityQueue;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.reclaim.QueuePolicy;

/** Simulated reference replacement policies: each counts the hits of a trace on {@code c} frames. */
public final class Policies {
    private Policies() {}

    /** A policy under simulation. */
    public interface Policy {
        /** @return whether the access hit */
        boolean access(int key);
    }

    /** @return hits of the trace under the policy */
    public static long run(Policy p, int[] trace) {
        long hits = 0;
        for (int k : trace) {
            if (p.access(k)) {
                hits++;
            }
        }
        return hits;
    }

    /** Least recently used. */
    public static Policy lru(int c) {
        LinkedHashMap<Integer, Boolean> m = new LinkedHashMap<>(2 * c, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> e) {
                return size() > c;
            }
        };
        return k -> {
            if (m.get(k) != null) {
                return true;
            }
            m.put(k, Boolean.TRUE);
            return false;
        };
    }

    /** Textbook CLOCK: a page is inserted unreferenced, a hit sets its bit, the hand clears bits or evicts. */
    public static Policy clock(int c) {
        int[] keys = new int[c];
        boolean[] ref = new boolean[c];
        HashMap<Integer, Integer> where = new HashMap<>();
        int[] state = {0, 0}; // hand, used
        return k -> {
            Integer f = where.get(k);
            if (f != null) {
                ref[f] = true;
                return true;
            }
            int slot;
            if (state[1] < c) {
                slot = state[1]++;
            } else {
                for (; ; ) {
                    int h = state[0];
                    state[0] = (h + 1) % c;
                    if (ref[h]) {
                        ref[h] = false;
                    } else {
                        slot = h;
                        where.remove(keys[h]);
                        break;
                    }
                }
            }
            keys[slot] = k;
            ref[slot] = false;
            where.put(k, slot);
            return false;
        };
    }

    /** ARC (Megiddo and Modha, FAST 2003). */
    public static Policy arc(int c) {
        return new Policy() {
            final LinkedHashSet<Integer> t1 = new LinkedHashSet<>();
            final LinkedHashSet<Integer> t2 = new LinkedHashSet<>();
            final LinkedHashSet<Integer> b1 = new LinkedHashSet<>();
            final LinkedHashSet<Integer> b2 = new LinkedHashSet<>();
            double p;

            @Override
            public boolean access(int k) {
                if (t1.remove(k) || t2.remove(k)) {
                    t2.add(k);
                    return true;
                }
                if (b1.contains(k)) {
                    p = Math.min(c, p + Math.max(1.0, (double) b2.size() / b1.size()));
                    replace(false);
                    b1.remove(k);
                    t2.add(k);
                    return false;
                }
                if (b2.contains(k)) {
                    p = Math.max(0, p - Math.max(1.0, (double) b1.size() / b2.size()));
                    replace(true);
                    b2.remove(k);
                    t2.add(k);
                    return false;
                }
                int l1 = t1.size() + b1.size();
                if (l1 == c) {
                    if (t1.size() < c) {
                        removeFirst(b1);
                        replace(false);
                    } else {
                        removeFirst(t1);
                    }
                } else if (l1 < c && l1 + t2.size() + b2.size() >= c) {
                    if (l1 + t2.size() + b2.size() == 2 * c) {
                        removeFirst(b2);
                    }
                    replace(false);
                }
                t1.add(k);
                return false;
            }

            private void replace(boolean inB2) {
                if (!t1.isEmpty() && (t1.size() > p || (inB2 && t1.size() == p))) {
                    b1.add(removeFirst(t1));
                } else if (!t2.isEmpty()) {
                    b2.add(removeFirst(t2));
                } else if (!t1.isEmpty()) {
                    b1.add(removeFirst(t1));
                }
            }

            private static Integer removeFirst(LinkedHashSet<Integer> s) {
                Iterator<Integer> it = s.iterator();
                Integer x = it.next();
                it.remove();
                return x;
            }
        };
    }

    /**
     * S3-FIFO (Yang et al., SOSP 2023): a small FIFO of {@code smallShare} of the frames, a main FIFO with
     * 2-bit frequencies, and a ghost FIFO of keys as large as the main one.
     */
    public static Policy s3fifo(int c, double smallShare) {
        int smallCap = Math.max(1, (int) (c * smallShare));
        int ghostCap = c - smallCap;
        return new Policy() {
            final ArrayDeque<Integer> small = new ArrayDeque<>();
            final ArrayDeque<Integer> main = new ArrayDeque<>();
            final ArrayDeque<Integer> ghostQ = new ArrayDeque<>();
            final HashMap<Integer, Integer> freq = new HashMap<>();
            final HashMap<Integer, Integer> ghost = new HashMap<>(); // key -> copies in ghostQ

            @Override
            public boolean access(int k) {
                Integer f = freq.get(k);
                if (f != null) {
                    freq.put(k, Math.min(3, f + 1));
                    return true;
                }
                if (small.size() + main.size() >= c) {
                    evict();
                }
                if (ghost.containsKey(k)) {
                    main.addLast(k);
                } else {
                    small.addLast(k);
                }
                freq.put(k, 0);
                return false;
            }

            private void evict() {
                for (; ; ) {
                    if (small.size() >= smallCap || main.isEmpty()) {
                        int k = small.pollFirst();
                        if (freq.get(k) > 0) {
                            freq.put(k, 0);
                            main.addLast(k);
                            if (main.size() > c - smallCap) {
                                if (evictMain()) {
                                    return;
                                }
                            }
                            continue;
                        }
                        freq.remove(k);
                        ghostQ.addLast(k);
                        ghost.merge(k, 1, Integer::sum);
                        if (ghostQ.size() > ghostCap) {
                            int g = ghostQ.pollFirst();
                            ghost.computeIfPresent(g, (x, n) -> n == 1 ? null : n - 1);
                        }
                        return;
                    }
                    if (evictMain()) {
                        return;
                    }
                }
            }

            private boolean evictMain() {
                while (!main.isEmpty()) {
                    int k = main.pollFirst();
                    int f = freq.get(k);
                    if (f > 0) {
                        freq.put(k, f - 1);
                        main.addLast(k);
                    } else {
                        freq.remove(k);
                        return true;
                    }
                }
                return false;
            }
        };
    }

    /** W-TinyLFU as Caffeine 3 implements it (admission window, TinyLFU filter, hill climbing). */
    public static Policy caffeine(int c) {
        Cache<Integer, Boolean> cache =
                Caffeine.newBuilder().maximumSize(c).executor(Runnable::run).build();
        return k -> {
            if (cache.getIfPresent(k) != null) {
                return true;
            }
            cache.put(k, Boolean.TRUE);
            return false;
        };
    }

    /**
     * The engine's own policy ({@link QueuePolicy} over a real {@link FrameTable} of {@code c} frames of 4 KiB,
     * one file) driven on one thread: a hit marks the frame referenced as the cache's hit path does; a miss takes
     * a free frame, and when fewer than {@code low} are free, sweeps the policy until {@code high} are, as the
     * reclaimer does at its watermarks (0 and 1: evict one frame per miss, no frame kept free). The frame table
     * is closed when the policy's last access returns; call {@link AutoCloseable#close()} when done.
     */
    public static EnginePolicy engine(int c, QueuePolicy.Tuning tuning, int low, int high) {
        return new EnginePolicy(c, tuning, low, high);
    }

    /** The engine's policy under simulation, see {@link #engine}. */
    public static final class EnginePolicy implements Policy, AutoCloseable {
        private static final int SLOT = 1;
        private final FrameTable frames;
        private final QueuePolicy policy;
        private final HashMap<Integer, Integer> where = new HashMap<>();
        private final ArrayDeque<Integer> free = new ArrayDeque<>();
        private final int low;
        private final int high;

        EnginePolicy(int c, QueuePolicy.Tuning tuning, int low, int high) {
            this.frames = new FrameTable(c, 4096);
            this.policy = new QueuePolicy(frames, tuning);
            this.low = low;
            this.high = high;
            for (int f = 0; f < c; f++) {
                free.add(f);
            }
        }

        @Override
        public boolean access(int k) {
            Integer f = where.get(k);
            if (f != null) {
                frames.markReferenced(f, frames.state(f));
                return true;
            }
            if (free.size() < Math.max(1, low)) {
                long steps = 5L * frames.frames();
                for (long i = 0; i < steps && free.size() < Math.max(1, high); i++) {
                    int v = policy.next();
                    if (v >= 0) {
                        evict(v);
                    }
                }
                if (free.isEmpty()) {
                    throw new IllegalStateException("the policy found no victim in " + steps + " steps");
                }
            }
            int frame = free.poll();
            frames.bindLocked(frame, SLOT, k);
            policy.admit(frame, SLOT, k);
            frames.unlock(frame, FrameTable.UPTODATE, 0);
            where.put(k, frame);
            return false;
        }

        private void evict(int v) {
            if (!frames.tryLockIdle(v)) {
                throw new IllegalStateException("victim " + v + " is busy on one thread");
            }
            int page = frames.pageIndex(v);
            where.remove(page);
            policy.evicted(v, SLOT, page);
            frames.unbindAndUnlock(v);
            free.add(v);
        }

        /** @return the policy under simulation */
        public QueuePolicy policy() {
            return policy;
        }

        @Override
        public void close() {
            if (Boolean.getBoolean("sim.debug")) {
                System.err.println("leniency " + policy.leniency());
            }
            frames.close();
        }
    }

    /** @return hits of Belady's OPT (evict the page used farthest in the future) on the trace */
    public static long opt(int c, int[] trace) {
        int n = trace.length;
        int[] next = new int[n];
        HashMap<Integer, Integer> last = new HashMap<>();
        for (int i = n - 1; i >= 0; i--) {
            Integer j = last.put(trace[i], i);
            next[i] = j == null ? Integer.MAX_VALUE : j;
        }
        HashMap<Integer, Integer> resident = new HashMap<>(); // key -> its next use
        PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> Long.compare(b[0], a[0]));
        long hits = 0;
        for (int i = 0; i < n; i++) {
            int k = trace[i];
            if (resident.containsKey(k)) {
                hits++;
            } else if (resident.size() >= c) {
                for (; ; ) {
                    long[] top = heap.poll();
                    Integer cur = resident.get((int) top[1]);
                    if (cur != null && cur == top[0]) {
                        resident.remove((int) top[1]);
                        break;
                    }
                }
            }
            resident.put(k, next[i]);
            heap.add(new long[] {next[i], k});
        }
        return hits;
    }
}
