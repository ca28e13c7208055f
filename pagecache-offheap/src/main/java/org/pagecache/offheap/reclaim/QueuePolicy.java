package org.pagecache.offheap.reclaim;

import org.agrona.collections.Long2LongHashMap;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;

/**
 * The replacement policy: S3-FIFO over the frame table's one referenced bit, with a TinyLFU admission filter
 * whose strictness adapts. Chosen by measurement against LRU, CLOCK, ARC, S3-FIFO and W-TinyLFU on the trace
 * families of docs/eviction.md.
 *
 * <ul>
 *   <li>A page that is paged in enters the <em>small</em> FIFO (4% of the frames, up to 8% as the policy grows
 *       lenient), unreferenced; if its key is in the <em>ghost</em> set (it was evicted from small recently: a
 *       re-use at a distance small could not see) it enters as a <em>candidate</em> for main, or, with the
 *       probability of the leniency, main directly.</li>
 *   <li>At the head of small, a page referenced since it came in moves to main; a candidate moves to main only
 *       if the {@linkplain FrequencySketch frequency sketch} has seen it more often than main's victim (by
 *       more than one), and then that victim goes instead; else it is the victim of small. An unreferenced page
 *       is the victim, and its key goes to the ghost set (as many keys as main holds frames).</li>
 *   <li>Main is a CLOCK with a 2-bit use count: at its head a referenced page gains a count, an unreferenced
 *       one with a count loses one, both go round again; an unreferenced page with no count is the victim.</li>
 *   <li>The sketch counts every page-in and every use the sweep finds (a referenced bit it clears); it halves
 *       its counts after ten increments per frame, so a count is a recent frequency.</li>
 *   <li><em>Leniency</em>: a candidate that loses is still admitted with a probability (out of 1024) that
 *       adapts. A page of main displaced by a candidate leaves a ghost tagged as main's: if that page comes back
 *       while its ghost lasts, the displacement was a mistake (a loop: newcomers are no better than the
 *       incumbents) and the probability falls by 16; if the ghost expires, the displacement was right (the
 *       working set moved: the incumbents' counts are stale) and it rises by 16.</li>
 * </ul>
 * So a page touched once (a scan, the first lap of a loop) costs the cache one frame of small for a 25th of
 * its turnover; re-use is promoted; a loop keeps a fixed part resident; and what main holds ages out by
 * counts, not by arrival.
 *
 * <p>The hit path is unchanged: it only sets {@code REFERENCED} (one CAS, only when clear). All bookkeeping is
 * done here, on the eviction side, under this object's monitor: admission (a page-in), each step of the sweep,
 * and the frees. Queue entries carry the frame's admission stamp; an entry whose stamp is old (the frame was
 * freed, or re-admitted) is dropped when it comes out. A victim is put back at the tail of its FIFO before it is
 * returned, in case the reclaimer cannot evict it (dirty, or it was locked or pinned meanwhile); its eviction
 * ({@link #evicted}) makes that entry stale.
 *
 * <p>Memory, allocated once: per frame a 4-byte stamp (in the frame's record, {@link FrameTable#policyStamp}),
 * and on the heap a 1-byte class/count/flags, a slot in each FIFO ring (8 bytes each, as each FIFO can briefly hold every frame) and 8 bytes of sketch (one
 * {@code long} of 16 counters per frame, a power of two); the ghost set holds up to {@code 0.96 * frames} keys
 * in a ring of 8-byte keys and an open-addressing map (16-byte slots, a power of two at least
 * {@code 2 * 0.96 * frames}). For 4,096 frames 84 KiB + 32 KiB + 31 KiB + 128 KiB = 275 KiB, 69 bytes per
 * frame (1.7% of a 4 KiB page), 16 KiB of it the stamps; see docs/eviction.md.
 */
public final class QueuePolicy {
    private static final byte NONE = 0;
    private static final byte SMALL = 1;
    private static final byte MAIN = 2;
    private static final int CLASS_MASK = 3;
    private static final int COUNT_SHIFT = 2;
    private static final int MAX_COUNT = 3;
    private static final int COUNT_MASK = 3 << COUNT_SHIFT;
    /** In small after a ghost hit: it competes for main at small's head like a referenced page. */
    private static final int CANDIDATE = 1 << 4;
    /** Most steps of main's CLOCK looking for the victim an admission candidate is compared with. */
    private static final int PROBE = 32;
    /** In main, displaced by a candidate: its eviction leaves a ghost tagged as main's. */
    private static final int DISPLACED = 1 << 5;

    private static final int LENIENCY_MAX = 1024;
    private static final int LENIENCY_STEP = 16;

    /**
     * Variants of the policy, compared in the simulator.
     *
     * @param smallPercent     small's share of the frames, 1 to 50
     * @param filterGhosts     whether a ghost hit must pass the frequency filter to enter main
     * @param filterReferenced whether a page referenced in small must pass it too
     * @param margin           by how much more (0 to 14) a candidate must have been seen than main's victim
     * @param adaptive         whether a candidate that loses is still admitted with the adaptive leniency
     */
    public record Tuning(
            int smallPercent, boolean filterGhosts, boolean filterReferenced, int margin, boolean adaptive) {
        /** What the cache uses. */
        public static final Tuning DEFAULT = new Tuning(4, true, false, 1, true);
        /** S3-FIFO without the frequency filter (small a tenth): the policy before the filter. */
        public static final Tuning PLAIN = new Tuning(10, false, false, 0, false);

        public Tuning {
            if (smallPercent < 1 || smallPercent > 50) {
                throw new IllegalArgumentException("small's share must be 1 to 50 percent, not " + smallPercent);
            }
            if (margin < 0 || margin > 14) {
                throw new IllegalArgumentException("the admission margin must be 0 to 14, not " + margin);
            }
        }
    }

    private final FrameTable frames;
    private final Tuning tuning;
    private final FrequencySketch sketch;
    private final int smallTarget;
    private final byte[] info;
    private final Ring small;
    private final Ring main;
    private int smallCount;
    private int mainCount;

    private final long[] ghostRing;
    private final Long2LongHashMap ghost;
    private long ghostSeq;
    /** How often, out of {@link #LENIENCY_MAX}, a candidate that does not beat main's victim is admitted anyway. */
    private int leniency = LENIENCY_MAX / 2;

    private int random = 0x2545F491;

    /** The cache's policy ({@link Tuning#DEFAULT}) over the frames. */
    public QueuePolicy(FrameTable frames) {
        this(frames, Tuning.DEFAULT);
    }

    /** A variant of the policy over the frames (the simulator compares them). */
    public QueuePolicy(FrameTable frames, Tuning tuning) {
        this.frames = frames;
        this.tuning = tuning;
        int n = frames.frames();
        // at least 4 frames (a quarter of a tiny cache), as the policy had before the filter at 48 frames: with one
        // frame of small, pagecache-example's ConcurrencyTest (48 frames, writers holding guards) ran out of frames
        int floor = Math.max(1, Math.min(4, n / 4));
        this.smallTarget = Math.max(floor, (int) ((long) n * tuning.smallPercent() / 100));
        this.sketch = new FrequencySketch(n);
        this.info = new byte[n];
        this.small = new Ring(n + 1);
        this.main = new Ring(n + 1);
        int ghosts = Math.max(1, n - smallTarget);
        this.ghostRing = new long[ghosts];
        this.ghost = new Long2LongHashMap(2 * ghosts, 0.65f, -1L);
    }

    private static long key(int slot, int page) {
        return ((long) slot << 32) | (page & 0xFFFFFFFFL);
    }

    /** A page was bound to the frame (locked, before its page-in): it enters small, or main if a ghost. */
    public synchronized void admit(int frame, int slot, int page) {
        leave(frame);
        long k = key(slot, page);
        long g = ghost.remove(k);
        boolean wasGhost = g != -1L;
        if (wasGhost && (g & 1) != 0) {
            leniency = Math.max(0, leniency - LENIENCY_STEP); // a displaced page came back: admit less
        }
        sketch.increment(k);
        int st = frames.policyStamp(frame) + 1;
        frames.policyStamp(frame, st);
        if (wasGhost && tuning.filterGhosts() && !(tuning.adaptive() && nextRandom() < leniency)) {
            info[frame] = SMALL | CANDIDATE;
            smallCount++;
            small.push(entry(frame, st), this);
        } else if (wasGhost) {
            info[frame] = MAIN;
            mainCount++;
            main.push(entry(frame, st), this);
        } else {
            info[frame] = SMALL;
            smallCount++;
            small.push(entry(frame, st), this);
        }
    }

    /** The frame was evicted from page {@code page} of file {@code slot} (called with its lock held). */
    public synchronized void evicted(int frame, int slot, int page) {
        boolean fromSmall = (info[frame] & CLASS_MASK) == SMALL;
        boolean displaced = (info[frame] & DISPLACED) != 0;
        leave(frame);
        if (fromSmall || (displaced && tuning.adaptive())) {
            addGhost(key(slot, page), displaced);
        }
    }

    /** The frame was freed without an eviction (a failed page-in, a truncation). */
    public synchronized void forget(int frame) {
        leave(frame);
    }

    /**
     * One step of the sweep: looks at the frame at the head of a FIFO and returns it if it is the victim, else
     * -1 (it was promoted, aged, stale, or busy). The victim is idle and unreferenced when returned; it may be
     * dirty.
     */
    public synchronized int next() {
        int target = smallTarget();
        Ring ring = (smallCount > target || mainCount == 0) ? small : main;
        if (ring.size == 0) {
            ring = ring == small ? main : small;
            if (ring.size == 0) {
                return -1;
            }
        }
        long e = ring.poll();
        int f = (int) (e >>> 32);
        if (frames.policyStamp(f) != (int) e) {
            return -1; // stale
        }
        long s = frames.state(f);
        if (FrameTable.slot(s) == 0) {
            leave(f);
            return -1;
        }
        if (FrameState.isBusy(s)) {
            ring.push(e, this); // in use: look again next time round
            return -1;
        }
        if (ring == main) {
            return mainStep(e, f, s);
        }
        boolean referenced = FrameState.isReferenced(s);
        if (referenced) {
            frames.clearReferenced(f, s);
            sketch.increment(key(f, s));
        }
        if (!referenced && (info[f] & CANDIDATE) == 0) {
            small.push(e, this); // provisional: stale once evicted
            return f;
        }
        boolean filter = referenced ? tuning.filterReferenced() : tuning.filterGhosts();
        if (!filter || mainCount == 0 || smallCount > 2 * target) {
            promote(f, e); // no filter, or main has yet to fill
            return -1;
        }
        int v = mainVictim();
        if (v < 0) {
            promote(f, e);
            return -1;
        }
        if (sketch.frequency(key(f, frames.state(f))) > sketch.frequency(key(v, frames.state(v))) + tuning.margin()
                || (tuning.adaptive() && nextRandom() < leniency)) {
            promote(f, e);
            info[v] |= DISPLACED;
            return v;
        }
        small.push(e, this); // lost to main's victim: the victim of small after all
        return f;
    }

    /** Small's share: its base, up to twice that as the policy grows lenient (recency is then worth more). */
    private int smallTarget() {
        return tuning.adaptive() ? smallTarget + (int) ((long) smallTarget * leniency / LENIENCY_MAX) : smallTarget;
    }

    private void promote(int f, long e) {
        smallCount--;
        mainCount++;
        info[f] = MAIN;
        main.push(e, this);
    }

    /** One step of main's CLOCK on the entry polled from its head: the frame if it is the victim, else -1. */
    private int mainStep(long e, int f, long s) {
        int count = (info[f] & COUNT_MASK) >>> COUNT_SHIFT;
        if (FrameState.isReferenced(s)) {
            frames.clearReferenced(f, s);
            sketch.increment(key(f, s));
            info[f] = (byte) (MAIN | Math.min(MAX_COUNT, count + 1) << COUNT_SHIFT);
            main.push(e, this);
            return -1;
        }
        if (count > 0) {
            info[f] = (byte) (MAIN | (count - 1) << COUNT_SHIFT);
            main.push(e, this);
            return -1;
        }
        main.push(e, this); // provisional: stale once evicted
        return f;
    }

    /** Runs main's CLOCK up to {@link #PROBE} steps for its victim (left at main's tail), or -1. */
    private int mainVictim() {
        for (int i = 0; i < PROBE && main.size > 0; i++) {
            long e = main.poll();
            int f = (int) (e >>> 32);
            if (frames.policyStamp(f) != (int) e) {
                continue;
            }
            long s = frames.state(f);
            if (FrameTable.slot(s) == 0) {
                leave(f);
                continue;
            }
            if (FrameState.isBusy(s)) {
                main.push(e, this);
                continue;
            }
            int v = mainStep(e, f, s);
            if (v >= 0) {
                return v;
            }
        }
        return -1;
    }

    private long key(int frame, long state) {
        return key(FrameTable.slot(state), frames.pageIndex(frame));
    }

    /** @return how often, out of 1024, a candidate that loses to main's victim is admitted all the same */
    public synchronized int leniency() {
        return leniency;
    }

    /** @return frames in the small FIFO, for tests */
    public synchronized int smallFrames() {
        return smallCount;
    }

    /** @return frames in the main FIFO, for tests */
    public synchronized int mainFrames() {
        return mainCount;
    }

    private void leave(int frame) {
        int cls = info[frame] & CLASS_MASK;
        if (cls == SMALL) {
            smallCount--;
        } else if (cls == MAIN) {
            mainCount--;
        }
        if (cls != NONE) {
            frames.policyStamp(frame, frames.policyStamp(frame) + 1);
        }
        info[frame] = NONE;
    }

    private int nextRandom() {
        int x = random;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        random = x;
        return (x >>> 8) & (LENIENCY_MAX - 1);
    }

    private void addGhost(long k, boolean displaced) {
        int pos = (int) (ghostSeq % ghostRing.length);
        if (ghostSeq >= ghostRing.length) {
            long old = ghostRing[pos];
            long v = ghost.get(old);
            if (v != -1L && v >>> 1 == ghostSeq - ghostRing.length) {
                ghost.remove(old);
                if ((v & 1) != 0) {
                    leniency = Math.min(LENIENCY_MAX, leniency + LENIENCY_STEP); // displaced for good: admit more
                }
            }
        }
        ghostRing[pos] = k;
        ghost.put(k, ghostSeq << 1 | (displaced ? 1 : 0));
        ghostSeq++;
    }

    private static long entry(int frame, int stamp) {
        return ((long) frame << 32) | (stamp & 0xFFFFFFFFL);
    }

    private boolean valid(long e) {
        int f = (int) (e >>> 32);
        return frames.policyStamp(f) == (int) e;
    }

    /** A FIFO of entries (frame, stamp); compacted (stale entries dropped) when full. */
    private static final class Ring {
        final long[] a;
        int head;
        int size;

        Ring(int capacity) {
            a = new long[capacity];
        }

        long poll() {
            long e = a[head];
            head = head + 1 == a.length ? 0 : head + 1;
            size--;
            return e;
        }

        void push(long e, QueuePolicy p) {
            if (size == a.length) {
                compact(p);
                if (size == a.length) {
                    throw new IllegalStateException("replacement FIFO overflow: more live entries than frames");
                }
            }
            int tail = head + size;
            a[tail >= a.length ? tail - a.length : tail] = e;
            size++;
        }

        private void compact(QueuePolicy p) {
            int kept = 0;
            long[] b = a;
            int n = size;
            int h = head;
            for (int i = 0; i < n; i++) {
                int idx = h + i;
                long e = b[idx >= b.length ? idx - b.length : idx];
                if (p.valid(e)) {
                    int to = h + kept;
                    b[to >= b.length ? to - b.length : to] = e;
                    kept++;
                }
            }
            size = kept;
        }
    }
}
