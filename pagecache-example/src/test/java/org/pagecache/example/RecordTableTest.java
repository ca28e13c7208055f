package org.pagecache.example;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.offheap.OffHeapPageCache;

class RecordTableTest {
    private static final int PAGE = 4096;
    private static final int VALUE_SIZE = 40;

    @TempDir
    Path dir;

    static PageCache cache(int frames) {
        return OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity((long) frames * PAGE)
                .build();
    }

    /** A value whose bytes and length are derived from the key and a version. */
    static byte[] value(long key, long version, int valueSize) {
        byte[] v = new byte[Math.floorMod(key * 31 + version, valueSize + 1)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) (key * 7 + version * 13 + i);
        }
        return v;
    }

    private static void assertContents(RecordTable table, Map<Long, byte[]> model, long keys) throws IOException {
        for (long key = 0; key < keys; key++) {
            byte[] expected = model.get(key);
            byte[] actual = table.get(key);
            if (expected == null) {
                assertNull(actual, "key " + key + " was deleted or never written");
            } else {
                assertArrayEquals(expected, actual, "key " + key);
            }
        }
        assertEquals(model.size(), table.count(), "count");
    }

    @Test
    void putGetUpdateDeleteAndEverythingSurvivesReopen() throws IOException {
        Path path = dir.resolve("t.db");
        Map<Long, byte[]> model = new HashMap<>();
        Random random = new Random(42);
        long keys = 3_000; // 4 buckets, 73 records a page: chains of several pages
        try (PageCache cache = cache(32)) { // fewer frames than pages: chains are paged in and out
            try (RecordTable table = RecordTable.create(cache, path, 4, VALUE_SIZE)) {
                assertEquals((PAGE - 8) / RecordTable.slotSize(VALUE_SIZE), table.recordsPerPage());
                for (int op = 0; op < 20_000; op++) {
                    long key = random.nextLong(keys);
                    if (random.nextInt(10) < 8) {
                        byte[] v = value(key, op, VALUE_SIZE);
                        assertEquals(
                                !model.containsKey(key), table.put(key, v), "put reports whether the record is new");
                        model.put(key, v);
                    } else {
                        assertEquals(
                                model.remove(key) != null, table.delete(key), "delete reports whether it found it");
                    }
                }
                assertContents(table, model, keys);
                assertTrue(table.pages() > 1 + 4 * 5, "chains grew overflow pages: " + table.pages());
                assertNull(table.get(-1));
                assertNull(table.get(Long.MIN_VALUE));
            }
        }
        try (PageCache cache = cache(32);
                RecordTable table = RecordTable.open(cache, path)) {
            assertEquals(VALUE_SIZE, table.valueSize());
            assertEquals(4, table.buckets());
            assertContents(table, model, keys);
            // Grow after reopen: new overflow pages must come after the old ones, not over them.
            for (long key = keys; key < keys + 1_000; key++) {
                byte[] v = value(key, 1, VALUE_SIZE);
                assertTrue(table.put(key, v));
                model.put(key, v);
            }
            assertContents(table, model, keys + 1_000);
        }
        try (PageCache cache = cache(32);
                RecordTable table = RecordTable.open(cache, path)) {
            assertContents(table, model, keys + 1_000);
        }
    }

    @Test
    void updatesAndDeletesAreInPlaceAndFreedSlotsAreReused() throws IOException {
        try (PageCache cache = cache(16);
                RecordTable table = RecordTable.create(cache, dir.resolve("t.db"), 2, VALUE_SIZE)) {
            for (long key = 0; key < 500; key++) {
                table.put(key, value(key, 0, VALUE_SIZE));
            }
            long pages = table.pages();
            for (long key = 0; key < 500; key++) {
                assertFalse(table.put(key, value(key, 1, VALUE_SIZE)));
            }
            assertEquals(pages, table.pages(), "updates took no new page");
            for (long key = 0; key < 500; key += 2) {
                assertTrue(table.delete(key));
            }
            assertFalse(table.delete(0), "already deleted");
            for (long key = 1_000; key < 1_250; key++) {
                assertTrue(table.put(key, value(key, 0, VALUE_SIZE)));
            }
            assertEquals(pages, table.pages(), "inserts reused the deleted slots");
            assertEquals(500, table.count());
            for (long key = 1; key < 500; key += 2) {
                assertArrayEquals(value(key, 1, VALUE_SIZE), table.get(key));
            }
        }
    }

    @Test
    void commitPutsTheRecordsInTheFileItself() throws IOException {
        Path path = dir.resolve("t.db");
        byte[] v = "committed value".getBytes(US_ASCII);
        try (PageCache cache = cache(16);
                RecordTable table = RecordTable.create(cache, path, 8, VALUE_SIZE)) {
            table.put(0x0123456789ABCDEFL, v);
            table.commit();
            // Read the file behind the cache's back: the record's slot is there, byte for byte.
            ByteBuffer slot =
                    ByteBuffer.allocate(RecordTable.slotSize(VALUE_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            slot.putInt(RecordLayout.LIVE)
                    .putInt(v.length)
                    .putLong(0x0123456789ABCDEFL)
                    .put(v);
            byte[] disk = Files.readAllBytes(path);
            assertTrue(indexOf(disk, slot.array()) > PAGE, "the committed record is in a bucket page of the file");
        }
    }

    @Test
    void badArgumentsAndForeignFilesAreRejectedClearly() throws IOException {
        Path path = dir.resolve("t.db");
        try (PageCache cache = cache(16)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RecordTable.create(cache, path, 0, 8))
                    .getMessage()
                    .contains("buckets"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RecordTable.create(cache, path, 4, PAGE))
                    .getMessage()
                    .contains("valueSize"));
            assertFalse(Files.exists(path), "rejected arguments create nothing");
            try (RecordTable table = RecordTable.create(cache, path, 4, VALUE_SIZE)) {
                IllegalArgumentException e =
                        assertThrows(IllegalArgumentException.class, () -> table.put(1, new byte[VALUE_SIZE + 1]));
                assertTrue(e.getMessage().contains("valueSize"), e.getMessage());
                assertNull(table.get(1), "a rejected put changes nothing");
            }
            assertThrows(FileAlreadyExistsException.class, () -> RecordTable.create(cache, path, 4, VALUE_SIZE));

            Path notATable = dir.resolve("other");
            Files.write(notATable, new byte[3 * PAGE]);
            assertTrue(assertThrows(IOException.class, () -> RecordTable.open(cache, notATable))
                    .getMessage()
                    .contains("not a record table"));
        }
        try (PageCache bigPages = OffHeapPageCache.builder()
                .pageSize(2 * PAGE)
                .capacity(64L * PAGE)
                .build()) {
            IOException e = assertThrows(IOException.class, () -> RecordTable.open(bigPages, path));
            assertTrue(e.getMessage().contains("4096-byte pages"), e.getMessage());
        }
    }

    @Test
    void aDamagedChainIsReportedNotFollowed() throws IOException {
        Path path = dir.resolve("t.db");
        try (PageCache cache = cache(16);
                RecordTable table = RecordTable.create(cache, path, 1, VALUE_SIZE)) {
            for (long key = 0; key < 200; key++) {
                table.put(key, value(key, 0, VALUE_SIZE));
            }
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            // Bucket page 1 now links back to itself.
            channel.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1), PAGE);
        }
        try (PageCache cache = cache(16)) {
            IOException e = assertThrows(IOException.class, () -> RecordTable.open(cache, path));
            assertTrue(
                    e.getMessage().contains("damaged") && e.getMessage().contains("links to page 1"), e.getMessage());
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
