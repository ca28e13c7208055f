package org.pagecache.example;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Where every field of a {@link RecordTable} file is, in one place: the drawing, the offsets, and accessors over
 * a page's memory (a guard's segment). Numbers are little-endian; a slot is {@code 16 + valueSize} bytes rounded
 * up to 8, and never crosses a page, so one page guard always covers a whole record. An import file is a run of
 * slots, laid out the same way.
 * <pre>
 *   header page (page 0)    bucket page (home or overflow)          slot
 *   0   8  magic            0   8  next overflow page (0: none)     0   4  flags (1: live, 0: free)
 *   8   4  page size        8   .. slots                            4   4  value length
 *   12  4  buckets                                                  8   8  key
 *   16  4  value size                                               16  .. value, then zeros to the slot's end
 * </pre>
 * An instance is the layout of one table: its page size and value size fix the slot size and the slots per page.
 */
final class RecordLayout {

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** "PCRTBL01" read as a little-endian long. */
    static final long MAGIC = 0x31304C4254524350L;

    static final long HEADER_MAGIC = 0;
    static final long HEADER_PAGE_SIZE = 8;
    static final long HEADER_BUCKETS = 12;
    static final long HEADER_VALUE_SIZE = 16;

    static final long PAGE_NEXT = 0;
    static final int PAGE_HEADER = 8;
    /** The value of {@link #PAGE_NEXT} at the end of a chain. */
    static final long NO_PAGE = 0;

    static final int SLOT_FLAGS = 0;
    static final int SLOT_LENGTH = 4;
    static final int SLOT_KEY = 8;
    static final int SLOT_HEADER = 16;
    /** Flags of a slot that holds a record; a free slot is all zeros. */
    static final int LIVE = 1;

    final int valueSize;
    final int slotSize;
    final int slotsPerPage;

    /**
     * @param pageSize  the table's page size
     * @param valueSize the largest value; {@link #fits} must hold
     */
    RecordLayout(int pageSize, int valueSize) {
        if (!fits(pageSize, valueSize)) {
            throw new IllegalArgumentException("valueSize " + valueSize + " does not fit a " + pageSize + "-byte page");
        }
        this.valueSize = valueSize;
        this.slotSize = slotSize(valueSize);
        this.slotsPerPage = (pageSize - PAGE_HEADER) / slotSize;
    }

    /** @return the size of one slot for values of up to {@code valueSize} bytes */
    static int slotSize(int valueSize) {
        return (SLOT_HEADER + valueSize + 7) & ~7;
    }

    /** @return whether a record with values of up to {@code valueSize} bytes fits in a page */
    static boolean fits(int pageSize, int valueSize) {
        return valueSize >= 1 && slotSize(valueSize) <= pageSize - PAGE_HEADER;
    }

    // ---------------------------------------------------------------- header page

    static void writeHeader(MemorySegment page, int pageSize, int buckets, int valueSize) {
        page.set(LONG, HEADER_MAGIC, MAGIC);
        page.set(INT, HEADER_PAGE_SIZE, pageSize);
        page.set(INT, HEADER_BUCKETS, buckets);
        page.set(INT, HEADER_VALUE_SIZE, valueSize);
    }

    /** @return {@code {pageSize, buckets, valueSize}}, or null if the page does not start with {@link #MAGIC} */
    static int[] readHeader(MemorySegment page) {
        if (page.get(LONG, HEADER_MAGIC) != MAGIC) {
            return null;
        }
        return new int[] {
            page.get(INT, HEADER_PAGE_SIZE), page.get(INT, HEADER_BUCKETS), page.get(INT, HEADER_VALUE_SIZE)
        };
    }

    // ---------------------------------------------------------------- bucket pages

    static long next(MemorySegment page) {
        return page.get(LONG, PAGE_NEXT);
    }

    static void setNext(MemorySegment page, long next) {
        page.set(LONG, PAGE_NEXT, next);
    }

    /** @return the offset of slot {@code slot} in a bucket page */
    long slotOffset(int slot) {
        return PAGE_HEADER + (long) slot * slotSize;
    }

    // ---------------------------------------------------------------- slots (at the offset of a slot)

    static boolean isLive(MemorySegment page, long at) {
        return page.get(INT, at + SLOT_FLAGS) == LIVE;
    }

    static long key(MemorySegment page, long at) {
        return page.get(LONG, at + SLOT_KEY);
    }

    static int valueLength(MemorySegment page, long at) {
        return page.get(INT, at + SLOT_LENGTH);
    }

    /** Copies {@link #valueSize} bytes of the value area (the value and the zeros after it) into {@code into}. */
    void readValue(MemorySegment page, long at, byte[] into) {
        MemorySegment.copy(page, JAVA_BYTE, at + SLOT_HEADER, into, 0, valueSize);
    }

    /** Writes a live record into the slot at {@code at}: flags, length, key, value, zeros to the slot's end. */
    void write(MemorySegment page, long at, long key, byte[] value) {
        page.set(INT, at + SLOT_FLAGS, LIVE);
        page.set(INT, at + SLOT_LENGTH, value.length);
        page.set(LONG, at + SLOT_KEY, key);
        MemorySegment.copy(value, 0, page, JAVA_BYTE, at + SLOT_HEADER, value.length);
        page.asSlice(at + SLOT_HEADER + value.length, slotSize - SLOT_HEADER - value.length)
                .fill((byte) 0);
    }

    /** Frees the slot at {@code at}: all zeros. */
    void clear(MemorySegment page, long at) {
        page.asSlice(at, slotSize).fill((byte) 0);
    }
}
