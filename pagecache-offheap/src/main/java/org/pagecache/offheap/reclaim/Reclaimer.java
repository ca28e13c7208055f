package org.pagecache.offheap.reclaim;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.agrona.concurrent.Agent;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.jfr.EvictionBatchEvent;

/**
 * Keeps free frames between two watermarks by evicting the victims of the replacement policy ({@link QueuePolicy},
 * S3-FIFO over the referenced bit), and writes dirty pages back in batches.
 *
 * <p>Runs as an Agrona {@link Agent} on its own thread; a faulting thread that finds no free frame runs the
 * same sweep itself ({@link #allocate()}). The sweep only ever <em>tries</em> page locks: a frame that is
 * locked, pinned or under write-back is passed over. The policy decides which unreferenced frame is the victim;
 * a clean one is evicted (its translation entry removed, the frame freed); dirty ones are collected and handed
 * to the {@link WriteBack} (grouped by file, sorted by page, one vectored write per run of file-adjacent pages),
 * then evicted if they came back clean. The write-back protocol is described there.
 *
 * <p>Failures: every {@code Throwable} of a write-back (an {@code OutOfMemoryError} building the batch, an
 * {@code Error} from the store) puts the claimed pages back to dirty with {@code ERROR} and clears
 * {@code WRITEBACK} before it propagates; the agent's duty cycle catches it, counts it
 * ({@link #failures()}, in {@code stats()}), logs it and keeps running.
 */
public final class Reclaimer implements Agent {
    private static final System.Logger LOG = System.getLogger(Reclaimer.class.getName());
    private static final int BATCH = 256;
    private static final int DIRECT_SCAN = 4096;
    private static final int DIRECT_DIRTY = 16;
    /** Steps of the policy's sweep per frame in one pass of the agent (main's use counts go up to 3). */
    private static final int SWEEP_FACTOR = 5;

    private static final int SKIP = 0;
    private static final int DIRTY_CANDIDATE = 1;
    private static final int CLEAN_CANDIDATE = 2;
    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    private final FrameTable frames;
    private final IntFunction<PageOwner> owners;
    private final int lowWatermark;
    private final int highWatermark;
    private final long frameWaitNanos;
    private final QueuePolicy policy;
    private final LongAdder evictions = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final int[] batch = new int[BATCH];
    /** The sweep's candidate out-parameter (the agent thread's alone). */
    private final int[] sweepOut = new int[1];

    private final WriteBack writer;
    private volatile Thread thread;
    /** A {@link #wake} has unparked the thread since the current duty cycle started. */
    private volatile boolean wakePending;

    /**
     * @param frames         the frames
     * @param owners         file slot to file
     * @param lowWatermark   the sweep starts when fewer frames than this are free
     * @param highWatermark  and stops when this many are
     * @param frameWaitNanos how long {@link #allocate()} waits when no frame can be evicted
     */
    public Reclaimer(
            FrameTable frames,
            IntFunction<PageOwner> owners,
            int lowWatermark,
            int highWatermark,
            long frameWaitNanos) {
        this.writer = new WriteBack(frames, owners, frameWaitNanos);
        this.frames = frames;
        this.owners = owners;
        this.lowWatermark = lowWatermark;
        this.highWatermark = highWatermark;
        this.frameWaitNanos = frameWaitNanos;
        this.policy = new QueuePolicy(frames);
        frames.freeAll(); // the free frames: a list threaded through their records, no memory of its own
    }

    @Override
    public String roleName() {
        return "pagecache-reclaimer";
    }

    @Override
    public void onStart() {
        thread = Thread.currentThread();
    }

    /**
     * Wakes the reclaimer thread if it may be idle. One unpark per duty cycle at most: the flag is cleared when a
     * cycle starts, so a wake that finds it set was preceded, since that clearing, by an unpark whose permit
     * makes the next idle park return at once. (An unpark per page-in, while the sweep was already running, cost
     * the miss path a system call each.)
     */
    public void wake() {
        if (wakePending) {
            return;
        }
        wakePending = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** @return frames holding no page */
    public int freeFrames() {
        return frames.freeCount();
    }

    /** @return frames evicted */
    public long evictions() {
        return evictions.sum();
    }

    /** @return pages written back */
    public long writebacks() {
        return writer.writebacks();
    }

    /** @return failures ({@code Error}s and runtime exceptions) caught in the agent's duty cycle */
    public long failures() {
        return failures.sum();
    }

    /**
     * How far one sweep of the policy goes: {@link #SWEEP_FACTOR} steps per frame (a pass may only demote pages
     * or age their use counts). A {@code long}: that many steps over 2^30 frames or more do not fit an {@code int}.
     */
    static long sweepLength(int frameCount) {
        return (long) SWEEP_FACTOR * frameCount;
    }

    /** @return write-back I/O calls */
    public long writebackBatches() {
        return writer.writebackBatches();
    }

    /** @return the write-back of dirty pages, the sweep's and flush's */
    public WriteBack writer() {
        return writer;
    }

    /**
     * Takes a free frame: unlocked, bound to nothing, owned by the caller until it binds or {@link #free}s it.
     * With none free, evicts one itself (writing dirty pages back if it must); with every frame pinned, locked
     * or under write-back, waits up to the frame wait timeout. Never called with a page lock held.
     *
     * @throws IOException if no frame could be found in time
     */
    public int allocate() throws IOException {
        int f = frames.popFree();
        if (f >= 0) {
            if (frames.freeCount() < lowWatermark) {
                wake();
            }
            return f;
        }
        wake();
        long deadline = 0;
        int[] dirty = new int[DIRECT_DIRTY];
        for (; ; ) {
            int e = evictOne(dirty);
            if (e >= 0) {
                return e;
            }
            f = frames.popFree();
            if (f >= 0) {
                return f;
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + frameWaitNanos;
            } else if (now - deadline > 0) {
                throw noFreeFrame();
            }
            if (Thread.currentThread().isInterrupted()) {
                // parkNanos returns at once while the flag is set: the wait would spin for the whole timeout
                throw new InterruptedIOException(
                        "interrupted while waiting for a free frame (the interrupt flag" + " stays set)");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /**
     * Takes a frame only if more than the low watermark are free now (read-ahead: it never evicts to make room
     * itself, and leaves the reserve to the threads that need a page now).
     *
     * @return the frame, owned by the caller as after {@link #allocate()}, or -1
     */
    public int tryAllocate() {
        if (frames.freeCount() <= lowWatermark) {
            wake();
            return -1;
        }
        return frames.popFree();
    }

    /**
     * The failure of a frame wait, saying what holds the frames: pins and locks (users), write-backs in flight,
     * or dirty pages that cannot be evicted because their write-back fails or is too slow.
     */
    private IOException noFreeFrame() {
        int pinned = 0;
        int locked = 0;
        int inWriteback = 0;
        int dirty = 0;
        int failed = 0;
        for (int f = 0; f < frames.frames(); f++) {
            long s = frames.state(f);
            if (FrameState.isPinned(s)) {
                pinned++;
            }
            if (FrameState.isLocked(s)) {
                locked++;
            }
            if (FrameState.isUnderWriteBack(s)) {
                inWriteback++;
            }
            if (FrameState.isDirty(s)) {
                dirty++;
            }
            if (FrameState.hasFailedWriteBack(s)) {
                failed++; // dirty after a failed write-back, or being written again after one
            }
        }
        String advice;
        if (failed > 0) {
            advice = "dirty pages cannot be evicted while their write-back fails (the cause is the last write-back"
                    + " error); fix the store, or flush to see which file fails";
        } else if (dirty + inWriteback > pinned + locked) {
            advice = "dirty pages are written back more slowly than they are made; flush or sync more often, or"
                    + " raise the capacity";
        } else {
            advice = "release pins and guards sooner, or raise the capacity";
        }
        IOException e = new IOException("no free frame within " + TimeUnit.NANOSECONDS.toMillis(frameWaitNanos)
                + " ms: of " + frames.frames() + " frames, " + pinned + " are pinned, " + locked + " locked, "
                + inWriteback + " under write-back, " + dirty + " dirty (" + failed + " of these after a failed"
                + " write-back); " + advice);
        IOException cause = writer.lastError();
        if (failed > 0 && cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /** Frees the write-back buffers; called once the agent has stopped and every file is closed. */
    public void close() {
        writer.close();
    }

    /** Returns a frame that is unbound and unlocked to the free queue. */
    public void free(int frame) {
        policy.forget(frame);
        frames.pushFree(frame);
    }

    /**
     * Tells the replacement policy that a frame taken from {@link #allocate()} was bound to a page (and is still
     * locked): its page-in is not a use, only later hits are.
     */
    public void admitted(int frame, int slot, int page) {
        policy.admit(frame, slot, page);
    }

    /** @return the replacement policy */
    public QueuePolicy policy() {
        return policy;
    }

    /**
     * One step of the replacement policy's sweep ({@link QueuePolicy#next()}): {@link #SKIP} (nothing to evict at
     * this step) with the frame in {@code out[0]} unset, else a dirty or a clean eviction candidate in it.
     */
    private int inspect(int[] out) {
        int f = policy.next();
        if (f < 0) {
            return SKIP;
        }
        long s = frames.state(f);
        if (FrameTable.slot(s) == 0 || FrameState.isBusy(s)) {
            return SKIP;
        }
        out[0] = f;
        return FrameState.isDirty(s) ? DIRTY_CANDIDATE : CLEAN_CANDIDATE;
    }

    /** Direct reclaim: one frame for a faulting thread, or -1. */
    private int evictOne(int[] dirty) {
        EvictionBatchEvent event = new EvictionBatchEvent();
        event.begin();
        int e = evictOneScan(dirty);
        event.end();
        if (e >= 0 && event.shouldCommit()) {
            event.evicted = 1;
            event.direct = true;
            event.commit();
        }
        return e;
    }

    private int evictOneScan(int[] dirty) {
        int n = frames.frames();
        int scan = (int) Math.min(sweepLength(n), DIRECT_SCAN);
        int dirtyCount = 0;
        int[] out = new int[1];
        for (int i = 0; i < scan; i++) {
            int kind = inspect(out);
            int f = out[0];
            if (kind == DIRTY_CANDIDATE) {
                if (dirtyCount < dirty.length) {
                    dirty[dirtyCount++] = f;
                }
            } else if (kind == CLEAN_CANDIDATE && tryEvict(f)) {
                return f;
            }
        }
        if (dirtyCount > 0) {
            // a failure here belongs to the files written back (recorded on each, reported by its next flush or
            // sync), not to the caller, whose own call merely needs a frame: it is not rethrown
            writer.writeBackFrames(dirty, dirtyCount, false);
            for (int i = 0; i < dirtyCount; i++) {
                if (tryEvict(dirty[i])) {
                    for (int j = i + 1; j < dirtyCount; j++) {
                        if (tryEvict(dirty[j])) {
                            frames.pushFree(dirty[j]);
                        }
                    }
                    return dirty[i];
                }
            }
        }
        return -1;
    }

    /**
     * Evicts a clean, unpinned, idle frame: removes its translation entry and frees it (not to the queue).
     *
     * @return whether the frame is now free and owned by the caller
     */
    public boolean tryEvict(int frame) {
        if (!frames.tryLockForEviction(frame)) {
            return false;
        }
        long s = frames.state(frame);
        int slot = FrameTable.slot(s);
        PageOwner owner = owners.apply(slot);
        int page = frames.pageIndex(frame);
        owner.unmap(page, frame);
        policy.evicted(frame, slot, page);
        if (FrameState.isUnsynced(s)) {
            owner.evictedUnsynced();
        }
        frames.unbindAndUnlock(frame);
        evictions.increment();
        return true;
    }

    /**
     * The agent's duty cycle: a sweep. Whatever it throws is counted, logged and contained here (Agrona's
     * {@code AgentRunner} would end the thread on an {@code Error}); the write-back code has already put every
     * frame it claimed back to dirty.
     */
    @Override
    public int doWork() {
        wakePending = false;
        try {
            return sweep();
        } catch (Throwable t) {
            failures.increment();
            try {
                LOG.log(
                        Level.WARNING,
                        "reclaimer sweep failed (" + failures.sum() + " so far); the reclaimer keeps" + " running",
                        t);
            } catch (Throwable ignored) {
                // an Error while logging an Error: it is counted, and the agent must survive
            }
            return 0;
        }
    }

    private int sweep() {
        if (frames.freeCount() >= lowWatermark) {
            return 0;
        }
        int n = frames.frames();
        int work = 0;
        int dirtyCount = 0;
        long evictedBefore = evictions.sum();
        EvictionBatchEvent event = new EvictionBatchEvent();
        event.begin();
        long sweep = sweepLength(n);
        long scanned = 0;
        int[] out = sweepOut; // the agent thread only: no array per sweep
        for (; scanned < sweep && frames.freeCount() < highWatermark; scanned++) {
            int kind = inspect(out);
            int f = out[0];
            if (kind == DIRTY_CANDIDATE) {
                batch[dirtyCount++] = f;
                if (dirtyCount == batch.length) {
                    work += writeBackAndEvict(dirtyCount);
                    dirtyCount = 0;
                }
            } else if (kind == CLEAN_CANDIDATE && tryEvict(f)) {
                frames.pushFree(f);
                work++;
            }
        }
        if (dirtyCount > 0) {
            work += writeBackAndEvict(dirtyCount);
        }
        event.end();
        if (event.shouldCommit()) {
            event.evicted = (int) (evictions.sum() - evictedBefore);
            event.scanned = (int) Math.min(scanned, Integer.MAX_VALUE);
            event.direct = false;
            event.commit();
        }
        return work;
    }

    private int writeBackAndEvict(int count) {
        writer.writeBackFrames(batch, count, true);
        int evicted = 0;
        for (int i = 0; i < count; i++) {
            if (frames.freeCount() < highWatermark && tryEvict(batch[i])) {
                frames.pushFree(batch[i]);
                evicted++;
            }
        }
        return evicted + count;
    }
}
