package org.pagecache.offheap;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import org.pagecache.api.PagedReader;
import org.pagecache.offheap.frame.FrameState;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.frame.TranslationTable;

/**
 * A {@link PagedReader}: remembers the frame of the page it read last, the frame's binding (file slot) and its
 * version, and reads with the optimistic protocol of {@link CachedFile}'s hit read, holding no pin and no lock.
 *
 * <h2>A small read</h2>
 * <ol>
 *   <li>Another page than the remembered one: look it up in the file's translation table (no lock), load the
 *       frame's state word (acquire), check it is unlocked and bound to this file, and check the frame's page
 *       index; the version, slot and lock bit of that state word are the new stamp. The remembered page needs
 *       no load here: its stamp was taken, and validated, by an earlier read.</li>
 *   <li>Copy the value from the frame's memory (always mapped: the frames are one arena that lives as long as
 *       the cache, so a copy from a frame that changed meanwhile reads stale bytes, never freed memory).</li>
 *   <li>Fence (load-load), load the state word again, compare with the stamp. Eviction, rebinding, truncation
 *       and every write unlock bump the version, and a writer's lock is visible before any byte it writes (the
 *       store-store fence after the lock's CAS), so a stamp still unlocked and unchanged after the copy means no
 *       write touched the page since the stamp was taken: the bytes copied are those of this page of this file.
 *       Otherwise, or if the page is not resident, the read takes the general path: page-in through the file's
 *       locked page-in path (one I/O per page however many readers race), find again, and after a few failed
 *       attempts (constant eviction) the locked copy of {@link CachedFile#read}.</li>
 * </ol>
 * A hit costs one load of the state word and the copy when the page is the remembered one, plus the table
 * look-up, the page index and a second state load when it is not; it allocates nothing and writes no shared
 * memory (the referenced bit is set only when it is clear).
 *
 * <h2>Nothing to release</h2>
 * Between calls the reader holds only plain fields (page, frame, stamp): dropping it leaks nothing, which is
 * why it has no {@code close} (Lucene never closes its clones).
 *
 * <h2>Hits</h2>
 * A hit is counted when the reader finds a page in the translation table, not on every read of the page it
 * remembers (those are reads within one page access). The typed reads count their hits in the reader and add
 * them to {@code stats().hits()} {@value #HIT_BATCH} at a time, and at every bulk read or page-in (a shared
 * atomic add on every small read would cost as much as the read): the small-read hits of a reader that is
 * dropped after fewer than {@value #HIT_BATCH} of them since its last addition are not counted.
 */
final class PageReader implements PagedReader {
    private static final int ATTEMPTS = 8;
    /** Small-read hits a reader counts before it adds them to the cache's counter. */
    static final int HIT_BATCH = 64;

    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final FileHandle handle;
    private final CachedFile file;
    private final FrameTable frames;
    private final TranslationTable table;
    private final MemorySegment memory;
    private final int slot;
    private final int pageSize;
    private final int pageShift;
    private final long pageMask;
    /** For reads that span two pages or take the locked path; made at the first such read. */
    private MemorySegment scratch;

    /** The page remembered, or -1. */
    private long page = -1;

    private int frame;
    private long base;
    /** Version, slot and (clear) lock bit of the remembered frame's state word when the page was found. */
    private long stamp;
    /** The file size seen last: reads below it need no size check (a shrink bumps the versions of the pages it cuts). */
    private long knownSize;
    /** Hits of small reads not yet added to the cache's counter. */
    private int pendingHits;
    /**
     * The counter cell of {@link #cellThread}, the thread that added hits last: a reader is mostly used by one
     * thread, and finding the cell again through the thread-local map at every bulk read cost about a tenth of a
     * window refill (JFR, docs/lucene.md). Another thread adding finds its own cell and keeps that.
     */
    private Counters.Cell cell;

    private Thread cellThread;

    PageReader(FileHandle handle) {
        this.handle = handle;
        this.file = handle.file();
        this.frames = file.cache().frames();
        this.table = file.table();
        this.memory = frames.memory();
        this.slot = file.slot();
        this.pageSize = frames.pageSize();
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pageMask = pageSize - 1;
    }

    /**
     * The address in {@link #memory} of the {@code n} bytes at {@code position} when they lie within one resident
     * page below the size last seen and the page's frame is unlocked and bound to this file: the remembered frame
     * if it still validates, else the frame found in the translation table (then remembered, its state word the
     * new stamp). The caller copies and then validates the stamp. -1 for anything else (the general path).
     */
    private long address(long position, int n) {
        long in = position & pageMask;
        if (in > pageSize - n || position < 0 || position > knownSize - n || handle.isClosed()) {
            return -1;
        }
        long pg = position >>> pageShift;
        if (pg == page) {
            return base + in; // validated after the copy only: see the class comment
        }
        int f = table.get((int) pg);
        if (f < 0) {
            page = -1;
            return -1;
        }
        long s = frames.state(f);
        if (FrameState.isLocked(s) || !frames.isBoundTo(f, s, slot, (int) pg)) {
            page = -1;
            return -1; // locked, or a stale entry of a page being evicted
        }
        frames.markReferenced(f, s);
        if (++pendingHits == HIT_BATCH) {
            flushHits();
        }
        page = pg;
        frame = f;
        stamp = FrameState.stamp(s);
        base = frames.offset(f);
        return base + in;
    }

    /** @return whether the frame read from still has the stamp it had before the copy */
    private boolean valid() {
        return frames.validate(frame, stamp);
    }

    private void flushHits() {
        if (pendingHits > 0) {
            Thread t = Thread.currentThread();
            Counters.Cell c = cell;
            if (c == null || cellThread != t) {
                c = file.cache().counters().cell();
                cell = c;
                cellThread = t;
            }
            Counters.hits(c, pendingHits);
            pendingHits = 0;
        }
    }

    @Override
    public byte readByte(long position) throws IOException {
        try {
            long at = address(position, Byte.BYTES);
            if (at >= 0) {
                byte v = memory.get(ValueLayout.JAVA_BYTE, at);
                if (valid()) {
                    return v;
                }
            }
            return slowRead(position, Byte.BYTES).get(ValueLayout.JAVA_BYTE, 0);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public short readShort(long position) throws IOException {
        try {
            long at = address(position, Short.BYTES);
            if (at >= 0) {
                short v = memory.get(SHORT, at);
                if (valid()) {
                    return v;
                }
            }
            return slowRead(position, Short.BYTES).get(SHORT, 0);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public int readInt(long position) throws IOException {
        try {
            long at = address(position, Integer.BYTES);
            if (at >= 0) {
                int v = memory.get(INT, at);
                if (valid()) {
                    return v;
                }
            }
            return slowRead(position, Integer.BYTES).get(INT, 0);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public long readLong(long position) throws IOException {
        try {
            long at = address(position, Long.BYTES);
            if (at >= 0) {
                long v = memory.get(LONG, at);
                if (valid()) {
                    return v;
                }
            }
            return slowRead(position, Long.BYTES).get(LONG, 0);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public void read(long position, byte[] dst, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dst.length);
        try {
            read(position, MemorySegment.ofArray(dst).asSlice(offset, length));
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public void read(long position, MemorySegment dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst is a read-only segment");
        }
        try {
            readRange(position, dst);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        } finally {
            flushHits();
        }
    }

    /** A small read the optimistic path did not serve: page-ins, retries, two pages, the size check. */
    private MemorySegment slowRead(long position, int n) throws IOException {
        MemorySegment s = scratch;
        if (s == null) {
            s = MemorySegment.ofArray(new byte[Long.BYTES]);
            scratch = s;
        }
        readRange(position, s.asSlice(0, n));
        return s;
    }

    private void readRange(long position, MemorySegment dst) throws IOException {
        long length = dst.byteSize();
        checkRange(position, length);
        long done = 0;
        while (done < length) {
            long pos = position + done;
            long in = pos & pageMask;
            int n = (int) Math.min(length - done, pageSize - in);
            copy((int) (pos >>> pageShift), in, dst, done, n, pos);
            done += n;
        }
    }

    private void checkRange(long position, long length) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("position " + position + " is negative");
        }
        handle.ensureOpen();
        if (position > knownSize - length) {
            knownSize = file.size();
            if (position > knownSize - length) {
                throw new EOFException("read of " + length + " bytes at " + position + " is past the end of "
                        + file.path() + " (size " + knownSize + ")");
            }
        }
    }

    /** Copies one page's part, optimistically from the remembered or found frame, else under the page lock. */
    private void copy(int pg, long in, MemorySegment dst, long dstOffset, int n, long pos) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (pg != page && !locate(pg)) {
                break;
            }
            MemorySegment.copy(memory, base + in, dst, dstOffset, n);
            if (valid()) {
                return;
            }
            page = -1;
        }
        page = -1;
        flushHits();
        ByteBuffer buffer = dst.asSlice(dstOffset, n).asByteBuffer();
        while (buffer.hasRemaining()) {
            if (file.read(pos + buffer.position(), buffer) < 0) {
                throw new EOFException("read at " + (pos + buffer.position()) + " is past the end of " + file.path());
            }
        }
    }

    /**
     * Finds page {@code pg} in the translation table, paging it in if missing, and remembers its frame (its state
     * word then the stamp).
     */
    private boolean locate(int pg) throws IOException {
        page = -1;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            handle.ensureOpen();
            int f = table.get(pg);
            if (f < 0) {
                flushHits();
                file.pageIn(pg);
                continue;
            }
            long s = frames.state(f);
            if (FrameState.isLocked(s)) {
                frames.awaitUnlocked(f);
                continue;
            }
            if (!frames.isBoundTo(f, s, slot, pg)) {
                Thread.onSpinWait();
                continue; // a stale entry: the page is being evicted
            }
            frames.markReferenced(f, s);
            pendingHits++;
            frame = f;
            base = frames.offset(f);
            stamp = FrameState.stamp(s);
            page = pg;
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return "PagedReader[" + file.path() + "]";
    }
}
