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
 * A {@link PagedReader}: remembers the frame of the page it read last and the frame's version, and reads it
 * again with the optimistic protocol of {@link CachedFile}'s hit read: load the state word (acquire), check that
 * the version and slot are those remembered and the frame is unlocked, copy, fence, load the state word again and
 * check it once more. Eviction, rebinding, truncation and every write unlock bump the version, so a remembered
 * frame that validates still holds the same bytes of the same page. The reader holds no pin and no lock between
 * calls: dropping it leaks nothing. A page not resident is paged in through the file's locked page-in path (one
 * I/O per page however many readers race), then found again; after a few failed attempts (constant eviction)
 * the read falls back to the locked copy of {@link CachedFile#read}.
 *
 * <p>A hit is counted when the reader finds a page in the translation table, not on every read of the page it
 * remembers (those are not page accesses but reads within one).
 */
final class PageReader implements PagedReader {
    private static final int ATTEMPTS = 8;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
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
    private final byte[] scratch = new byte[Long.BYTES];
    private final MemorySegment scratchSegment = MemorySegment.ofArray(scratch);

    /** The page remembered, or -1. */
    private long page = -1;
    private int frame;
    private long base;
    private long stamp;
    /** The file size seen last: reads below it need no size check (a shrink bumps the versions of the pages it cuts). */
    private long knownSize;

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

    @Override
    public byte readByte(long position) throws IOException {
        try {
            if ((position >>> pageShift) == page && position < knownSize && !handle.isClosed()) {
                if (frames.hasStamp(frame, stamp)) {
                    byte v = memory.get(ValueLayout.JAVA_BYTE, base + (position & pageMask));
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            if (prepare(position, 1)) {
                if (frames.hasStamp(frame, stamp)) {
                    byte v = memory.get(ValueLayout.JAVA_BYTE, base + (position & pageMask));
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            slowRead(position, 1);
            return scratch[0];
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public short readShort(long position) throws IOException {
        try {
            long in = position & pageMask;
            if ((position >>> pageShift) == page && in <= pageSize - Short.BYTES
                    && position + Short.BYTES <= knownSize && !handle.isClosed()) {
                if (frames.hasStamp(frame, stamp)) {
                    short v = memory.get(SHORT, base + in);
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            if (prepare(position, Short.BYTES)) {
                if (frames.hasStamp(frame, stamp)) {
                    short v = memory.get(SHORT, base + (position & pageMask));
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            slowRead(position, Short.BYTES);
            return scratchSegment.get(SHORT, 0);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public int readInt(long position) throws IOException {
        try {
            long in = position & pageMask;
            if ((position >>> pageShift) == page && in <= pageSize - Integer.BYTES
                    && position + Integer.BYTES <= knownSize && !handle.isClosed()) {
                if (frames.hasStamp(frame, stamp)) {
                    int v = memory.get(INT, base + in);
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            if (prepare(position, Integer.BYTES)) {
                if (frames.hasStamp(frame, stamp)) {
                    int v = memory.get(INT, base + (position & pageMask));
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            slowRead(position, Integer.BYTES);
            return scratchSegment.get(INT, 0);
        } catch (IllegalStateException e) {
            throw file.cache().closedOr(e);
        }
    }

    @Override
    public long readLong(long position) throws IOException {
        try {
            long in = position & pageMask;
            if ((position >>> pageShift) == page && in <= pageSize - Long.BYTES
                    && position + Long.BYTES <= knownSize && !handle.isClosed()) {
                if (frames.hasStamp(frame, stamp)) {
                    long v = memory.get(LONG, base + in);
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            if (prepare(position, Long.BYTES)) {
                if (frames.hasStamp(frame, stamp)) {
                    long v = memory.get(LONG, base + (position & pageMask));
                    if (frames.validate(frame, stamp)) {
                        return v;
                    }
                }
            }
            slowRead(position, Long.BYTES);
            return scratchSegment.get(LONG, 0);
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
        }
    }

    /**
     * Remembers the frame of {@code position}'s page when a read of {@code n} bytes there lies within one page and
     * below the size last seen: the next attempt is then the optimistic one, without the copy through scratch.
     */
    private boolean prepare(long position, int n) throws IOException {
        if (position < 0 || (position & pageMask) > pageSize - n || position > knownSize - n || handle.isClosed()) {
            return false;
        }
        return locate((int) (position >>> pageShift));
    }

    private void slowRead(long position, int n) throws IOException {
        readRange(position, scratchSegment.asSlice(0, n));
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
            if (frames.hasStamp(frame, stamp)) {
                MemorySegment.copy(memory, base + in, dst, dstOffset, n);
                if (frames.validate(frame, stamp)) {
                    return;
                }
            }
            page = -1;
        }
        page = -1;
        ByteBuffer buffer = dst.asSlice(dstOffset, n).asByteBuffer();
        while (buffer.hasRemaining()) {
            if (file.read(pos + buffer.position(), buffer) < 0) {
                throw new EOFException("read at " + (pos + buffer.position()) + " is past the end of " + file.path());
            }
        }
    }

    /** Finds page {@code pg} in the translation table, paging it in if missing, and remembers its frame. */
    private boolean locate(int pg) throws IOException {
        page = -1;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            handle.ensureOpen();
            int f = table.get(pg);
            if (f < 0) {
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
            frame = f;
            base = frames.offset(f);
            stamp = FrameState.stamp(s);
            page = pg;
            frames.markReferenced(f, s);
            file.countHit();
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return "PagedReader[" + file.path() + "]";
    }
}
