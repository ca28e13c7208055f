package org.pagecache.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The descriptor writes exactly the bytes its drawing shows, little-endian, and refuses what cannot fit. */
class RecordLayoutTest {
    private static final int PAGE = 4096;

    @Test
    void slotBytesAreWhereTheDrawingSays() {
        RecordLayout layout = new RecordLayout(PAGE, 20);
        assertEquals(40, layout.slotSize, "16 + 20 rounded up to 8");
        assertEquals((PAGE - 8) / 40, layout.slotsPerPage);
        byte[] page = new byte[PAGE];
        MemorySegment m = MemorySegment.ofArray(page);
        long at = layout.slotOffset(2);
        assertEquals(8 + 2 * 40, at);
        layout.write(m, at, 0x0102030405060708L, new byte[] {9, 10, 11});
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(RecordLayout.LIVE, b.getInt((int) at));
        assertEquals(3, b.getInt((int) at + 4));
        assertEquals(0x0102030405060708L, b.getLong((int) at + 8));
        assertArrayEquals(new byte[] {9, 10, 11, 0}, java.util.Arrays.copyOfRange(page, (int) at + 16, (int) at + 20));
        assertTrue(RecordLayout.isLive(m, at));
        assertEquals(0x0102030405060708L, RecordLayout.key(m, at));
        assertEquals(3, RecordLayout.valueLength(m, at));
        layout.clear(m, at);
        assertFalse(RecordLayout.isLive(m, at));
        assertEquals(
                -1,
                MemorySegment.mismatch(m, 0, PAGE, MemorySegment.ofArray(new byte[PAGE]), 0, PAGE),
                "a cleared slot is all zeros, and nothing else was touched");
    }

    @Test
    void headerAndChainLinkRoundTrip() {
        MemorySegment m = MemorySegment.ofArray(new byte[PAGE]);
        assertNull(RecordLayout.readHeader(m), "no magic, no header");
        RecordLayout.writeHeader(m, PAGE, 7, 100);
        assertArrayEquals(new int[] {PAGE, 7, 100}, RecordLayout.readHeader(m));
        assertEquals(
                "PCRTBL01",
                new String(
                        m.asSlice(0, 8).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        java.nio.charset.StandardCharsets.US_ASCII));
        RecordLayout.setNext(m, 42);
        assertEquals(42, RecordLayout.next(m));
    }

    @Test
    void valueThatCannotFitAPageIsRefusedByName() {
        assertFalse(RecordLayout.fits(PAGE, 0));
        assertTrue(RecordLayout.fits(PAGE, PAGE - 8 - 16));
        assertFalse(RecordLayout.fits(PAGE, PAGE - 8 - 15));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RecordLayout(PAGE, PAGE));
        assertTrue(e.getMessage().contains("valueSize"), e.getMessage());
    }
}
