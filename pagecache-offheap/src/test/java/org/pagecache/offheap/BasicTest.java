package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;

class BasicTest {
    @TempDir
    Path dir;

    private static PageCache cache(long capacity) {
        return OffHeapPageCache.builder().pageSize(4096).capacity(capacity).build();
    }

    @Test
    void writeReadFlushAndReopenAgree() throws IOException {
        Path file = dir.resolve("a");
        byte[] data = new byte[3 * 4096 + 100];
        new Random(1).nextBytes(data);
        try (PageCache cache = cache(1 << 20);
                PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            assertEquals(data.length, f.write(50, WriteSource.of(data)));
            assertEquals(50 + data.length, f.size());
            ByteBuffer back = ByteBuffer.allocate(data.length);
            assertEquals(data.length, f.read(50, back));
            assertArrayEquals(data, back.array());
            ByteBuffer head = ByteBuffer.allocateDirect(50);
            assertEquals(50, f.read(0, head));
            for (int i = 0; i < 50; i++) {
                assertEquals(0, head.get(i), "a hole reads as zero");
            }
            assertEquals(-1, f.read(50 + data.length, ByteBuffer.allocate(1)));
        }
        byte[] disk = Files.readAllBytes(file);
        assertEquals(50 + data.length, disk.length);
        assertArrayEquals(data, Arrays.copyOfRange(disk, 50, disk.length));
    }

    @Test
    void partialWriteIntoUncachedPageReadsTheRestFirst() throws IOException {
        Path file = dir.resolve("b");
        byte[] original = new byte[8192];
        Arrays.fill(original, (byte) 7);
        Files.write(file, original);
        try (PageCache cache = cache(1 << 20);
                PagedFile f = cache.open(file)) {
            f.write(100, WriteSource.of(new byte[] {1, 2, 3}));
            f.flush();
        }
        byte[] disk = Files.readAllBytes(file);
        assertEquals(8192, disk.length);
        for (int i = 0; i < 8192; i++) {
            byte expected = (byte) (i == 100 ? 1 : i == 101 ? 2 : i == 102 ? 3 : 7);
            assertEquals(expected, disk[i], "byte " + i);
        }
    }

    @Test
    void truncateDropsPagesAndZeroesTheTail() throws IOException {
        Path file = dir.resolve("c");
        byte[] ones = new byte[4 * 4096];
        Arrays.fill(ones, (byte) 1);
        try (PageCache cache = cache(1 << 20);
                PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            f.write(0, WriteSource.of(ones));
            f.truncate(5000);
            assertEquals(5000, f.size());
            f.write(3 * 4096, WriteSource.of(new byte[] {9}));
            ByteBuffer all = ByteBuffer.allocate(3 * 4096 + 1);
            assertEquals(3 * 4096 + 1, f.read(0, all));
            for (int i = 0; i < all.capacity(); i++) {
                byte expected = i < 5000 ? (byte) 1 : i == 3 * 4096 ? (byte) 9 : 0;
                assertEquals(expected, all.get(i), "byte " + i);
            }
            f.sync();
        }
        assertEquals(3 * 4096 + 1, Files.size(file));
    }

    @Test
    void viewReadsThroughTheCacheAndIsAWriteSource() throws IOException {
        Path a = dir.resolve("va");
        Path b = dir.resolve("vb");
        byte[] data = new byte[10000];
        new Random(2).nextBytes(data);
        try (PageCache cache = cache(1 << 20);
                PagedFile fa = cache.open(a, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                PagedFile fb = cache.open(b, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            fa.write(0, WriteSource.of(data));
            try (MappedView view = fa.map(1000, 8000)) {
                ByteBuffer part = ByteBuffer.allocate(10);
                assertEquals(10, view.read(5, part));
                assertArrayEquals(Arrays.copyOfRange(data, 1005, 1015), part.array());
                assertEquals(8000, fb.write(3, view));
            }
            ByteBuffer back = ByteBuffer.allocate(8000);
            fb.read(3, back);
            assertArrayEquals(Arrays.copyOfRange(data, 1000, 9000), back.array());
        }
    }

    @Test
    void closedFileAndCacheRejectUse() throws IOException {
        Path file = dir.resolve("d");
        PageCache cache = cache(1 << 20);
        PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        f.close();
        assertThrows(ClosedChannelException.class, () -> f.read(0, ByteBuffer.allocate(1)));
        PagedFile g = cache.open(file);
        cache.close();
        assertThrows(ClosedChannelException.class, () -> g.write(0, WriteSource.of(new byte[1])));
        assertThrows(ClosedChannelException.class, () -> cache.open(file));
        assertTrue(Files.exists(file));
    }
}
