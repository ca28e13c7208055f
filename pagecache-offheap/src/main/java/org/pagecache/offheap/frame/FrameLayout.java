package org.pagecache.offheap.frame;

/**
 * The layout of a frame's metadata: the bits of its state word and the fields of its 16-byte record, as
 * {@link FrameTable} keeps them (which implements this interface, so its users name them {@code FrameTable.LOCKED}
 * and so on). Only constants.
 *
 * <h2>State word</h2>
 * Changed only by compare-and-set; read with acquire semantics.
 * <pre>
 *   63                              36 35            20 19         8 7 6 5 4 3 2 1 0
 *  +----------------------------------+----------------+------------+-+-+-+-+-+-+-+-+
 *  |          version (28 bits)       | file slot (16) | pins (12)  |S|R|E|W|D|U|Q|L|
 *  +----------------------------------+----------------+------------+-+-+-+-+-+-+-+-+
 *   L  LOCKED      exclusive page lock (page-in, write, eviction, truncation)
 *   Q  WAITERS     some thread waits in the {@link WaitTable} for this frame's lock
 *   U  UPTODATE    the frame holds the page's current content
 *   D  DIRTY       the frame holds writes not yet written back
 *   W  WRITEBACK   a write-back of the frame is in flight (the lock is not held during its I/O)
 *   E  ERROR       the last write-back of the frame failed (the frame stays dirty; kept while it is written
 *                  again, cleared when a write-back succeeds)
 *   R  REFERENCED  hit since the replacement policy last looked at the frame (a page-in does not set it)
 *   S  UNSYNCED    written back but not yet forced to stable storage (re-dirtied if the force fails)
 *   pins           users that need the frame to keep its page (no eviction, no rebinding) while pinned
 *   file slot      the cached file the frame belongs to; 0 means the frame is free
 *   version        bumped by every exclusive unlock; an optimistic reader that sees the same unlocked
 *                  version before and after its copy copied a consistent page
 * </pre>
 * A bound frame that is not locked is always uptodate: page-ins and writes mark it before they unlock, and a
 * failed page-in frees the frame before it unlocks.
 *
 * <h2>Per-frame metadata: one 16-byte record</h2>
 * <pre>
 *   0               8               12              16
 *  +---------------+---------------+---------------+
 *  |  state word   |  page index   | policy stamp  |
 *  +---------------+---------------+---------------+
 * </pre>
 * One record per frame, off-heap, records aligned so that none straddles a cache line: a lookup that found the
 * frame in a translation table reads the state word and the page index from one line. The page index of a free
 * frame (file slot 0) holds the link of the free list instead: the next free frame plus one, 0 at the end
 * ({@code FrameTable#pushFree}, {@code #popFree}; a Treiber stack whose head carries an ABA tag), so free frames cost no
 * memory of their own. The policy stamp belongs to the replacement policy ({@code FrameTable#policyStamp}). With the
 * 4-byte entry of the file's translation table a cached page costs 20 bytes of metadata here, the stamp
 * included (see docs/benchmarks.md).
 */
public interface FrameLayout {
    /** Exclusive page lock. */
    long LOCKED = 1L;
    /** A thread waits for the lock. */
    long WAITERS = 1L << 1;
    /** The frame holds the page's current content. */
    long UPTODATE = 1L << 2;
    /** The frame holds writes not yet written back. */
    long DIRTY = 1L << 3;
    /** A write-back of the frame is in flight. */
    long WRITEBACK = 1L << 4;
    /** The last write-back failed. */
    long ERROR = 1L << 5;
    /** Hit since the replacement policy ({@code reclaim.QueuePolicy}) last looked at the frame. */
    long REFERENCED = 1L << 6;

    /** Written back, not yet forced to stable storage. */
    long UNSYNCED = 1L << 7;

    /** Lowest bit of the pin count. */
    int PIN_SHIFT = 8;
    /** One pin. */
    long PIN_ONE = 1L << PIN_SHIFT;
    /** Most pins one frame can hold. */
    int MAX_PINS = (1 << 12) - 1;
    /** The pin count's bits. */
    long PIN_MASK = (long) MAX_PINS << PIN_SHIFT;

    /** Lowest bit of the file slot. */
    int SLOT_SHIFT = 20;
    /** Highest file slot. */
    int MAX_SLOT = (1 << 16) - 1;
    /** The file slot's bits. */
    long SLOT_MASK = (long) MAX_SLOT << SLOT_SHIFT;

    /** Lowest bit of the version. */
    int VERSION_SHIFT = 36;
    /** One version step. */
    long VERSION_ONE = 1L << VERSION_SHIFT;
    /** The version's bits. */
    long VERSION_MASK = -1L << VERSION_SHIFT;

    /** Bytes of state word per frame. */
    int STATE_BYTES = Long.BYTES;
    /** Bytes of page index (or free-list link) per frame. */
    int PAGE_INDEX_BYTES = Integer.BYTES;
    /** Bytes of the replacement policy's stamp per frame. */
    int POLICY_STAMP_BYTES = Integer.BYTES;
    /** Bytes of metadata per frame: one record of state word, page index and policy stamp. */
    int RECORD_BYTES = STATE_BYTES + PAGE_INDEX_BYTES + POLICY_STAMP_BYTES;
}
