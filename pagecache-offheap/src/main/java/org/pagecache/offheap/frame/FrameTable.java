package org.pagecache.offheap.frame;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The cache's frames: one off-heap arena of {@code frames * pageSize} bytes, and beside it the metadata of
 * every frame, one 16-byte record each (state word, page index, policy stamp; the layout and the meaning of every
 * bit are in {@link FrameLayout}), with the frame protocol's operations on them: binding, the page lock, pins,
 * optimistic reads, write-back, eviction, and the free list threaded through the records.
 */
public final class FrameTable implements FrameLayout, AutoCloseable {
    private static final int RECORD_SHIFT = 4;
    private static final long PAGE_OFFSET = STATE_BYTES;
    private static final long STAMP_OFFSET = STATE_BYTES + PAGE_INDEX_BYTES;
    /** The free list's head: the ABA tag in the high half, the top frame plus one (0: empty) in the low half. */
    private static final long FREE_TOP_MASK = 0xFFFF_FFFFL;

    private static final long FREE_TAG_ONE = 1L << 32;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle FREE_HEAD;
    private static final VarHandle FREE_COUNT;

    static {
        try {
            java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
            FREE_HEAD = l.findVarHandle(FrameTable.class, "freeHead", long.class);
            FREE_COUNT = l.findVarHandle(FrameTable.class, "freeCount", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Arena arena;
    private final MemorySegment memory;
    private final MemorySegment records;

    @SuppressWarnings("unused") // through FREE_HEAD
    private volatile long freeHead;

    @SuppressWarnings("unused") // through FREE_COUNT
    private volatile int freeCount;

    private final int frames;
    private final int pageSize;
    private final int pageShift;
    private final FrameWaits waits;
    private final FrameViews views;

    /**
     * @param frames   number of frames
     * @param pageSize bytes per frame, a power of two
     */
    public FrameTable(int frames, int pageSize) {
        this(frames, pageSize, WaitTable.DEFAULT_SLICE_MILLIS);
    }

    /**
     * @param frames      number of frames
     * @param pageSize    bytes per frame, a power of two
     * @param sliceMillis the longest a lock waiter sleeps before looking again (a safety net: every unlock that
     *                    has waiters wakes them); tests make it huge so that a lost wake-up shows as a hang
     */
    public FrameTable(int frames, int pageSize, long sliceMillis) {
        this.waits = new FrameWaits(sliceMillis);
        this.frames = frames;
        this.pageSize = pageSize;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.arena = Arena.ofShared();
        boolean ok = false;
        try {
            this.memory = arena.allocate((long) frames * pageSize, pageSize);
            this.records = arena.allocate((long) frames << RECORD_SHIFT, 64); // no record straddles a line
            this.views = new FrameViews(memory, frames, pageSize);
            ok = true;
        } finally {
            if (!ok) {
                arena.close();
            }
        }
    }

    /**
     * Puts every frame on the free list, lowest first: used by the reclaimer once, before any frame is taken.
     * (A new table's frames are unbound but not yet free, so a table used without a reclaimer binds them at will.)
     */
    public void freeAll() {
        for (int f = 0; f < frames; f++) {
            INT.set(records, recordOffset(f) + PAGE_OFFSET, f + 1 < frames ? f + 2 : 0);
        }
        FREE_COUNT.setVolatile(this, frames);
        FREE_HEAD.setVolatile(this, frames == 0 ? 0L : 1L);
    }

    private static long recordOffset(int frame) {
        return (long) frame << RECORD_SHIFT;
    }

    // ---------------------------------------------------------------- free list

    /**
     * Puts a frame that is unbound and unlocked, and owned by the caller, on the free list. Its page index word
     * becomes the list's link.
     */
    public void pushFree(int frame) {
        long link = recordOffset(frame) + PAGE_OFFSET;
        for (; ; ) {
            long h = (long) FREE_HEAD.getVolatile(this);
            INT.set(records, link, (int) (h & FREE_TOP_MASK));
            if (FREE_HEAD.compareAndSet(this, h, ((h & ~FREE_TOP_MASK) + FREE_TAG_ONE) | (frame + 1L))) {
                FREE_COUNT.getAndAdd(this, 1);
                return;
            }
        }
    }

    /**
     * Takes a frame off the free list: unbound, unlocked, owned by the caller until it binds or frees it.
     *
     * @return the frame, or -1 if none is free
     */
    public int popFree() {
        for (; ; ) {
            long h = (long) FREE_HEAD.getVolatile(this);
            int top = (int) (h & FREE_TOP_MASK);
            if (top == 0) {
                return -1;
            }
            int f = top - 1;
            // the link may be read while another thread pops f and binds it: the tag makes that CAS fail
            int next = (int) INT.getVolatile(records, recordOffset(f) + PAGE_OFFSET);
            if (FREE_HEAD.compareAndSet(this, h, ((h & ~FREE_TOP_MASK) + FREE_TAG_ONE) | (next & FREE_TOP_MASK))) {
                FREE_COUNT.getAndAdd(this, -1);
                return f;
            }
        }
    }

    /** @return frames on the free list now */
    public int freeCount() {
        return (int) FREE_COUNT.getVolatile(this);
    }

    // ---------------------------------------------------------------- policy stamp

    /** @return the replacement policy's stamp of the frame (plain read: the policy guards it with its monitor) */
    public int policyStamp(int frame) {
        return (int) INT.get(records, recordOffset(frame) + STAMP_OFFSET);
    }

    /** Sets the replacement policy's stamp of the frame (plain write, under the policy's monitor). */
    public void policyStamp(int frame, int stamp) {
        INT.set(records, recordOffset(frame) + STAMP_OFFSET, stamp);
    }

    /** @return number of frames */
    public int frames() {
        return frames;
    }

    /** @return bytes per frame */
    public int pageSize() {
        return pageSize;
    }

    /** @return all frame memory, one segment */
    public MemorySegment memory() {
        return memory;
    }

    /** @return offset of the frame's first byte in {@link #memory()} */
    public long offset(int frame) {
        return (long) frame << pageShift;
    }

    /**
     * Copies {@code n} bytes of the frame from {@code inPage} into {@code dst} at absolute index {@code dstIndex},
     * changing neither buffer's position: a copy into any buffer, heap or direct, that allocates nothing.
     */
    public void copyOut(int frame, int inPage, java.nio.ByteBuffer dst, int dstIndex, int n) {
        views.copyOut(frame, inPage, dst, dstIndex, n);
    }

    /**
     * The calling thread's buffer over the frame, positioned at its first byte and limited to its last (a
     * page-in reads into it); the same object for every frame of a gigabyte, so nothing is allocated per read.
     */
    public java.nio.ByteBuffer fillView(int frame) {
        return views.fillView(frame);
    }

    /** @return the frame's memory as its own segment */
    public MemorySegment frame(int frame) {
        return memory.asSlice(offset(frame), pageSize);
    }

    /** @return the state word, read with acquire semantics */
    public long state(int frame) {
        return (long) LONG.getAcquire(records, recordOffset(frame));
    }

    /** @return whether the state word changed from {@code expected} to {@code next} */
    public boolean casState(int frame, long expected, long next) {
        return LONG.compareAndSet(records, recordOffset(frame), expected, next);
    }

    /** @return the page index the frame is bound to (meaningful while bound, stable while locked or pinned) */
    public int pageIndex(int frame) {
        return (int) INT.getAcquire(records, recordOffset(frame) + PAGE_OFFSET);
    }

    /** @return the file slot in a state word */
    public static int slot(long state) {
        return (int) ((state & SLOT_MASK) >>> SLOT_SHIFT);
    }

    /** @return the pin count in a state word */
    public static int pins(long state) {
        return (int) ((state & PIN_MASK) >>> PIN_SHIFT);
    }

    /** @return the frame's state, {@linkplain FrameState#describe(long) described} */
    public String describe(int frame) {
        return "frame " + frame + " (" + FrameState.describe(state(frame)) + ", page " + pageIndex(frame) + ")";
    }

    /** @return the file slot the frame is bound to right now (0: free) */
    public int slotOf(int frame) {
        return slot(state(frame));
    }

    /** @return whether the frame is uptodate right now */
    public boolean isUptodate(int frame) {
        return (state(frame) & UPTODATE) != 0;
    }

    /** @return whether the frame has any of {@code bits} set right now */
    public boolean hasAny(int frame, long bits) {
        return (state(frame) & bits) != 0;
    }

    // ---------------------------------------------------------------- bound to a page

    /**
     * Whether the frame, whose state {@code state} was read before, holds page {@code page} of file {@code slot}.
     * Meaningful as the answer of the moment only: it stays true while the caller holds the lock or a pin, and an
     * optimistic reader confirms it by {@link #validate}.
     */
    public boolean isBoundTo(int frame, long state, int slot, int page) {
        return slot(state) == slot && pageIndex(frame) == page;
    }

    /** @return whether the frame holds page {@code page} of file {@code slot} now */
    public boolean isBoundTo(int frame, int slot, int page) {
        return isBoundTo(frame, state(frame), slot, page);
    }

    /** @return whether the frame belongs to file {@code slot} now (any page) */
    public boolean isBoundTo(int frame, int slot) {
        return slot(state(frame)) == slot;
    }

    /** @return whether the frame holds page {@code page} of file {@code slot} with any of {@code bits} set */
    public boolean isBoundWith(int frame, int slot, int page, long bits) {
        long s = state(frame);
        return slot(s) == slot && (s & bits) != 0 && pageIndex(frame) == page;
    }

    /** @return whether the frame belongs to file {@code slot} with any of {@code bits} set */
    public boolean isBoundWith(int frame, int slot, long bits) {
        long s = state(frame);
        return slot(s) == slot && (s & bits) != 0;
    }

    /**
     * For a frame whose lock the caller holds (found through a translation entry that may be stale): keeps the
     * lock if the frame still holds page {@code page} of file {@code slot}, else releases it unchanged.
     *
     * @return whether the frame holds the page and stays locked
     */
    public boolean keepLockIfBound(int frame, int slot, int page) {
        if (isBoundTo(frame, slot, page)) {
            return true;
        }
        unlockUnchanged(frame, 0, 0);
        return false;
    }

    /**
     * Takes the frame's lock (waiting) and keeps it if the frame holds page {@code page} of file {@code slot}.
     *
     * @return whether the frame is locked and holds the page; if false it is not locked by the caller
     */
    public boolean lockIfBound(int frame, int slot, int page) {
        lock(frame);
        return keepLockIfBound(frame, slot, page);
    }

    // ---------------------------------------------------------------- optimistic reads

    /**
     * The stamp of the frame at a moment it is unlocked, waiting for its lock to be released if it is held (a
     * read guard's {@code readStamp}).
     */
    public long awaitStamp(int frame) {
        for (; ; ) {
            long s = state(frame);
            if ((s & LOCKED) == 0) {
                return FrameState.stamp(s);
            }
            awaitUnlocked(frame);
        }
    }

    /**
     * Whether the frame is unlocked with the version and slot of {@code stamp}, without a fence: the check
     * <em>before</em> an optimistic copy of a frame whose stamp was taken earlier.
     */
    public boolean hasStamp(int frame, long stamp) {
        return (state(frame) & (VERSION_MASK | SLOT_MASK | LOCKED)) == stamp;
    }

    /**
     * Validates an optimistic copy: a load-load fence (the copy's plain loads are ordered before the state's
     * load, as {@code StampedLock.validate} orders them), then whether the frame is still unlocked with the
     * version and slot of {@code stamp}. True means no writer held the frame since the stamp was taken, so the
     * bytes copied are one instant of the page.
     */
    public boolean validate(int frame, long stamp) {
        VarHandle.loadLoadFence();
        return (state(frame) & (VERSION_MASK | SLOT_MASK | LOCKED)) == stamp;
    }

    // ---------------------------------------------------------------- write-back

    /** {@link #writeBackCheck}: not a dirty page of the file (unlocked unchanged). */
    public static final int WRITEBACK_NOTHING = 0;
    /** {@link #writeBackCheck}: someone else's write-back of the page is in flight (unlocked unchanged). */
    public static final int WRITEBACK_IN_FLIGHT = 1;
    /** {@link #writeBackCheck}: a dirty page of the file; still locked, to be {@linkplain #claimWriteBack claimed}. */
    public static final int WRITEBACK_CLAIMABLE = 2;

    /**
     * The first step of a write-back, on a frame whose lock the caller holds: is it a dirty page of file
     * {@code slot} with no write-back in flight? If not, the lock is released unchanged.
     *
     * @return {@link #WRITEBACK_CLAIMABLE} (still locked), {@link #WRITEBACK_IN_FLIGHT} or
     *         {@link #WRITEBACK_NOTHING}
     */
    public int writeBackCheck(int frame, int slot) {
        long s = state(frame);
        if (slot(s) != slot || (s & (DIRTY | WRITEBACK)) == 0) {
            unlockUnchanged(frame, 0, 0);
            return WRITEBACK_NOTHING;
        }
        if ((s & WRITEBACK) != 0) {
            unlockUnchanged(frame, 0, 0);
            return WRITEBACK_IN_FLIGHT;
        }
        return WRITEBACK_CLAIMABLE;
    }

    /**
     * The claim of a write-back, on a locked frame {@link #writeBackCheck} found claimable (its bytes already
     * copied out under the lock): {@code DIRTY} is exchanged for {@code WRITEBACK} and the lock released with the
     * version kept. A write that locks the frame from now on dirties it again. {@code ERROR} stays until a
     * write-back succeeds.
     */
    public void claimWriteBack(int frame) {
        unlockUnchanged(frame, WRITEBACK, DIRTY);
    }

    /** A claimed write-back succeeded: {@code WRITEBACK} and {@code ERROR} cleared, {@code UNSYNCED} until the force. */
    public void completeWriteBack(int frame) {
        update(frame, UNSYNCED, WRITEBACK | ERROR);
    }

    /** A claimed write-back failed: the frame is dirty again with {@code ERROR}, {@code WRITEBACK} cleared. */
    public void failWriteBack(int frame) {
        update(frame, DIRTY | ERROR, WRITEBACK);
    }

    /**
     * A force failed for a locked frame of file {@code slot} that was written back (unsynced): it is dirtied
     * again, since the device may have dropped the bytes, and unlocked unchanged; any other frame is just
     * unlocked unchanged.
     */
    public void redirtyUnsyncedAndUnlock(int frame, int slot) {
        if (isBoundWith(frame, slot, UNSYNCED)) {
            unlockUnchanged(frame, DIRTY, UNSYNCED);
        } else {
            unlockUnchanged(frame, 0, 0);
        }
    }

    // ---------------------------------------------------------------- eviction

    /**
     * The reclaimer's way to evict: takes the lock of a frame that is bound, clean and idle, without waiting,
     * and keeps it only if the frame is still bound and clean once locked.
     *
     * @return whether the caller now holds the lock of an evictable frame (to unmap and
     *         {@linkplain #unbindAndUnlock unbind})
     */
    public boolean tryLockForEviction(int frame) {
        return FrameState.isEvictable(state(frame)) && tryLockIdle(frame) && keepLockIfEvictable(frame);
    }

    /**
     * For a frame the caller has just locked to evict it: keeps the lock if the frame is bound and clean, else
     * releases it unchanged.
     *
     * @return whether the frame may be evicted and stays locked
     */
    public boolean keepLockIfEvictable(int frame) {
        long s = state(frame);
        if (slot(s) == 0 || (s & DIRTY) != 0) {
            unlockUnchanged(frame, 0, 0);
            return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- lock

    /** Takes the frame's lock if it is free, without waiting. */
    public boolean tryLock(int frame) {
        long s = state(frame);
        return (s & LOCKED) == 0 && acquire(frame, s);
    }

    /**
     * The lock-taking CAS. The holder then writes page bytes with plain stores, which the memory model lets
     * become visible before the CAS's own store; an optimistic reader could then see the old, unlocked state on
     * both sides of a torn copy. The store-store fence orders them, as {@code StampedLock}'s write lock does
     * (free on x86, a barrier on AArch64).
     */
    private boolean acquire(int frame, long s) {
        if (casState(frame, s, s | LOCKED)) {
            VarHandle.storeStoreFence();
            return true;
        }
        return false;
    }

    /**
     * Takes the frame's lock if it is free, unpinned and not under write-back: the reclaimer's and truncation's
     * way in. Never waits.
     */
    public boolean tryLockIdle(int frame) {
        long s = state(frame);
        return (s & (LOCKED | WRITEBACK | PIN_MASK)) == 0 && acquire(frame, s);
    }

    /** Takes the frame's lock, spinning briefly and then parking. */
    public void lock(int frame) {
        long s = state(frame);
        if ((s & LOCKED) == 0 && acquire(frame, s)) {
            return;
        }
        waits.lockSlow(this, frame);
    }

    /**
     * Takes the frame's lock, waiting at most {@code timeoutNanos}.
     *
     * @return whether the lock was taken
     */
    public boolean tryLock(int frame, long timeoutNanos) {
        return waits.tryLock(this, frame, timeoutNanos);
    }

    /**
     * Takes the frame's lock, giving up if the thread is interrupted while it waits.
     *
     * @throws java.io.InterruptedIOException if interrupted while waiting
     */
    public void lockInterruptibly(int frame) throws java.io.InterruptedIOException {
        waits.lockInterruptibly(this, frame);
    }

    /**
     * Waits, without taking it, until the frame's lock is free (an optimistic reader that met a writer).
     */
    public void awaitUnlocked(int frame) {
        waits.awaitUnlocked(this, frame);
    }

    /**
     * Releases the lock, setting and clearing flag bits, and bumps the version (the content may have changed).
     */
    public void unlock(int frame, long set, long clear) {
        for (; ; ) {
            long s = state(frame);
            assert (s & LOCKED) != 0 : "unlock of an unlocked frame " + frame + " (" + FrameState.describe(s) + ")";
            long next = ((s & ~(LOCKED | WAITERS | clear)) | set) + VERSION_ONE;
            if (casState(frame, s, next)) {
                if ((s & WAITERS) != 0) {
                    waits.wakeAll(frame);
                }
                return;
            }
        }
    }

    /** Releases the lock, setting and clearing flag bits, keeping the version: the content did not change. */
    public void unlockUnchanged(int frame, long set, long clear) {
        for (; ; ) {
            long s = state(frame);
            long next = (s & ~(LOCKED | WAITERS | clear)) | set;
            if (casState(frame, s, next)) {
                if ((s & WAITERS) != 0) {
                    waits.wakeAll(frame);
                }
                return;
            }
        }
    }

    /** Sets and clears flag bits of a frame whatever its lock state (write-back completion). */
    public long update(int frame, long set, long clear) {
        for (; ; ) {
            long s = state(frame);
            long next = (s & ~clear) | set;
            if (casState(frame, s, next)) {
                return next;
            }
        }
    }

    // ---------------------------------------------------------------- binding

    /**
     * Binds a free frame (taken from the free queue, so nobody else can bind it) to a page, locked and not
     * uptodate.
     */
    public void bindLocked(int frame, int slot, int pageIndex) {
        INT.setRelease(records, recordOffset(frame) + PAGE_OFFSET, pageIndex);
        for (; ; ) {
            long s = state(frame);
            assert slot(s) == 0 : "binding a frame in use: " + FrameState.describe(s);
            if ((s & LOCKED) != 0) {
                // a thread holding a stale translation entry locked the free frame for a moment: it will
                // see the frame unbound and let go
                Thread.onSpinWait();
                continue;
            }
            long next = (s & VERSION_MASK) | ((long) slot << SLOT_SHIFT) | LOCKED;
            if (casState(frame, s, next)) {
                VarHandle.storeStoreFence();
                return;
            }
        }
    }

    /**
     * Frees a locked frame: no slot, no flags, unlocked, version bumped. Pins must be zero.
     */
    public void unbindAndUnlock(int frame) {
        for (; ; ) {
            long s = state(frame);
            long next = (s & VERSION_MASK) + VERSION_ONE;
            if (casState(frame, s, next)) {
                if ((s & WAITERS) != 0) {
                    waits.wakeAll(frame);
                }
                return;
            }
        }
    }

    // ---------------------------------------------------------------- pins

    /**
     * Pins the frame if it holds page {@code pageIndex} of file {@code slot}, is uptodate and is not locked.
     * Never waits.
     */
    public boolean tryPin(int frame, int slot, int pageIndex) {
        for (; ; ) {
            long s = state(frame);
            if ((s & (LOCKED | UPTODATE)) != UPTODATE || slot(s) != slot || pins(s) == MAX_PINS) {
                return false;
            }
            if (casState(frame, s, s + PIN_ONE)) {
                break;
            }
        }
        if (pageIndex(frame) != pageIndex) {
            unpin(frame);
            return false;
        }
        return true;
    }

    /**
     * Adds a pin to a frame whose lock the caller holds.
     *
     * @return false if the frame already holds {@link #MAX_PINS} pins
     */
    public boolean pinLocked(int frame) {
        for (; ; ) {
            long s = state(frame);
            if (pins(s) == MAX_PINS) {
                return false;
            }
            if (casState(frame, s, s + PIN_ONE)) {
                return true;
            }
        }
    }

    /**
     * Drops one pin.
     *
     * @throws IllegalStateException if the frame holds no pin (the count would underflow into the file slot)
     */
    public void unpin(int frame) {
        for (; ; ) {
            long s = state(frame);
            if (pins(s) == 0) {
                throw new IllegalStateException("unpin of frame " + frame + ", which holds no pin");
            }
            if (casState(frame, s, s - PIN_ONE)) {
                return;
            }
        }
    }

    /**
     * Clears flag bits of a frame, whatever its lock state, if it is bound to file {@code slot}.
     *
     * @return whether the frame was bound to the slot
     */
    public boolean clearIfBound(int frame, int slot, long clear) {
        for (; ; ) {
            long s = state(frame);
            if (slot(s) != slot) {
                return false;
            }
            if ((s & clear) == 0 || casState(frame, s, s & ~clear)) {
                return true;
            }
        }
    }

    /** Marks the frame referenced if the state is still {@code seen} (a hit); cheap when already marked. */
    public void markReferenced(int frame, long seen) {
        if ((seen & REFERENCED) == 0) {
            casState(frame, seen, seen | REFERENCED);
        }
    }

    /** Marks the frame referenced (a hit) if it is not: one load when already marked. */
    public void markReferenced(int frame) {
        markReferenced(frame, state(frame));
    }

    /**
     * Marks the frame referenced whatever its lock state, retrying until it is (a hit under the page lock, whose
     * holder's unlock must not lose the mark).
     */
    public void reference(int frame) {
        if ((state(frame) & REFERENCED) == 0) {
            update(frame, REFERENCED, 0);
        }
    }

    /**
     * Takes the referenced mark off the frame if its state is still {@code seen} (the replacement policy's look);
     * a frame that changed meanwhile keeps it.
     */
    public void clearReferenced(int frame, long seen) {
        casState(frame, seen, seen & ~REFERENCED);
    }

    /** Marks a locked frame uptodate (a page-in that filled it), keeping the lock. */
    public void markUptodate(int frame) {
        update(frame, UPTODATE, 0);
    }

    /**
     * Waits until none of {@code bits} is set in the frame's state (write-back in flight, pins), polling.
     *
     * @return whether that happened before the deadline
     */
    public boolean awaitClear(int frame, long bits, long timeoutNanos) {
        return waits.awaitClear(this, frame, bits, timeoutNanos);
    }

    /** @return page lock acquisitions that waited */
    public long lockWaits() {
        return waits.lockWaits();
    }

    /** @return nanoseconds spent waiting for page locks */
    public long lockWaitNanos() {
        return waits.lockWaitNanos();
    }

    /** Frees the arena. Every access after this fails with {@link IllegalStateException}. */
    @Override
    public void close() {
        arena.close();
    }
}
