package org.pagecache.offheap.reclaim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.frame.FrameTable;

/** The key a batch of dirty frames is sorted by: file, then page, then the frame's place in the batch. */
class WriteBackSortKeyTest {

    @Test
    void fieldsComeBackOutAtTheirLargest() {
        long key = WriteBack.sortKey(FrameTable.MAX_SLOT, Integer.MAX_VALUE, WriteBack.MAX_BATCH - 1);
        assertTrue(key > 0, "a signed sort orders the keys");
        assertEquals(FrameTable.MAX_SLOT, WriteBack.keySlot(key));
        assertEquals(WriteBack.MAX_BATCH - 1, WriteBack.keyIndex(key));
        long small = WriteBack.sortKey(1, 0, 0);
        assertEquals(1, WriteBack.keySlot(small));
        assertEquals(0, WriteBack.keyIndex(small));
    }

    @Test
    void keysSortByFileThenPageThenPlace() {
        long[] keys = {
            WriteBack.sortKey(2, 0, 0),
            WriteBack.sortKey(1, Integer.MAX_VALUE, 1),
            WriteBack.sortKey(1, 7, 3),
            WriteBack.sortKey(1, 7, 2),
            WriteBack.sortKey(1, 6, WriteBack.MAX_BATCH - 1),
        };
        long[] sorted = keys.clone();
        Arrays.sort(sorted);
        assertEquals(keys[4], sorted[0]);
        assertEquals(keys[3], sorted[1]);
        assertEquals(keys[2], sorted[2]);
        assertEquals(keys[1], sorted[3]);
        assertEquals(keys[0], sorted[4]);
    }

    @Test
    void aBatchLargerThanTheIndexFieldIsRefused() {
        try (FrameTable frames = new FrameTable(2, 4096)) {
            WriteBack writer = new WriteBack(frames, s -> null, 1_000_000);
            try {
                int[] list = new int[WriteBack.MAX_BATCH + 1];
                IllegalArgumentException e = assertThrows(
                        IllegalArgumentException.class, () -> writer.writeBackFrames(list, list.length, true));
                assertTrue(e.getMessage().contains(Integer.toString(WriteBack.MAX_BATCH)), e.getMessage());
            } finally {
                writer.close();
            }
        }
    }
}
