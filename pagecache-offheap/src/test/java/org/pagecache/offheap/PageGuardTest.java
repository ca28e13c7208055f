package org.pagecache.offheap;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageGuard;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.frame.FrameTable;

class PageGuardTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static OffHeapPageCache cache(int frames) {
        return OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity((long) frames * PAGE)
                .frameWaitTimeout(Duration.ofMillis(300))
                .build();
    }

    @Test
    void readGuardReadsInPlaceAndValidationCatchesAWriter() throws IOException {
        try (PageCache cache = cache(16);
                PagedFile f = cache.open(dir.resolve("g"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(PAGE).order(ByteOrder.nativeOrder());
            b.putLong(0, 11).putLong(8, 11);
            f.write(0, b);
            long hitsBefore = cache.stats().hits();
            try (PageGuard page = f.lockForWrite(0)) {
                assertEquals(hitsBefore + 1, cache.stats().hits(), "a write guard on a resident page is a hit");
            }
            hitsBefore = cache.stats().hits();
            try (PageGuard page = f.pinForRead(0)) {
                assertEquals(hitsBefore + 1, cache.stats().hits(), "a read guard on a resident page is a hit");
                long stamp = page.readStamp();
                assertEquals(11, page.memory().get(JAVA_LONG, 0));
                assertTrue(page.validate(stamp));
                f.write(8, ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, 12));
                assertFalse(page.validate(stamp), "a write between stamp and validate invalidates the read");
                stamp = page.readStamp();
                assertEquals(12, page.memory().get(JAVA_LONG, 8), "in place: the guard sees the write");
                assertTrue(page.validate(stamp));
                assertThrows(IllegalArgumentException.class, () -> page.memory().set(JAVA_LONG, 0, 1), "read-only");
            }
            assertThrows(EOFException.class, () -> f.pinForRead(1));
        }
    }

    @Test
    void writeGuardUpdatesInPlaceGrowsTheFileAndIsWrittenBack() throws IOException {
        Path file = dir.resolve("w");
        try (PageCache cache = cache(16);
                PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            try (PageGuard page = f.lockForWrite(2)) {
                page.memory().set(JAVA_LONG, 16, 0x0102030405060708L);
            }
            assertEquals(3L * PAGE, f.size());
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            f.read(2L * PAGE + 16, b);
            assertEquals(0x0102030405060708L, b.getLong(0));
        }
        byte[] disk = Files.readAllBytes(file);
        assertEquals(3 * PAGE, disk.length);
        assertEquals(0x08, disk[2 * PAGE + 16]);
    }

    @Test
    void pinnedPageSurvivesEvictionPressure() throws IOException {
        try (PageCache cache = cache(16);
                PagedFile f = cache.open(dir.resolve("p"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] page = new byte[PAGE];
            for (int p = 0; p < 200; p++) {
                Arrays.fill(page, (byte) p);
                f.write((long) p * PAGE, WriteSource.of(page));
            }
            try (PageGuard g = f.pinForRead(5)) {
                for (int round = 0; round < 3; round++) {
                    for (int p = 0; p < 200; p++) {
                        f.read((long) p * PAGE, ByteBuffer.allocate(16));
                    }
                }
                long stamp = g.readStamp();
                byte[] seen = new byte[PAGE];
                java.lang.foreign.MemorySegment.copy(
                        g.memory(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, seen, 0, PAGE);
                assertTrue(g.validate(stamp));
                byte[] expected = new byte[PAGE];
                Arrays.fill(expected, (byte) 5);
                assertArrayEquals(expected, seen, "the pinned frame still holds page 5");
                assertTrue(cache.stats().evictions() > 100);
            }
        }
    }

    @Test
    void tooManyGuardsFailClearlyAndClosingOneRecovers() throws IOException {
        try (PageCache cache = cache(16);
                PagedFile f = cache.open(dir.resolve("many"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            f.write(0, WriteSource.of(new byte[32 * PAGE]));
            List<PageGuard> held = new ArrayList<>();
            IOException e = null;
            try {
                for (int p = 0; p < 32; p++) {
                    held.add(f.pinForRead(p));
                }
            } catch (IOException x) {
                e = x;
            }
            assertTrue(e != null && e.getMessage().contains("too many page guards"), String.valueOf(e));
            assertEquals(14, held.size(), "16 frames leave 14 for guards");
            held.removeFirst().close();
            held.add(f.pinForRead(20));
            held.forEach(PageGuard::close);
            held.forEach(PageGuard::close); // idempotent
            assertEquals(0, cache.stats().pinnedFrames());
        }
    }

    @Test
    void everyFramePinnedMakesAFaultWaitBoundedThenFailClearly() throws Exception {
        Path file = dir.resolve("pinned");
        Files.write(file, new byte[32 * PAGE]);
        try (OffHeapPageCache cache = cache(8);
                PagedFile f = cache.open(file)) {
            FrameTable frames = cache.frames();
            boolean[] pinned = new boolean[frames.frames()];
            int count = 0;
            for (int p = 0; p < 32 && count < frames.frames(); p++) {
                f.read((long) p * PAGE, ByteBuffer.allocate(1));
                for (int fr = 0; fr < frames.frames(); fr++) {
                    long s = frames.state(fr);
                    if (!pinned[fr]
                            && FrameTable.slot(s) != 0
                            && frames.tryPin(fr, FrameTable.slot(s), frames.pageIndex(fr))) {
                        pinned[fr] = true;
                        count++;
                    }
                }
            }
            assertEquals(frames.frames(), count, "every frame holds a page and is pinned");
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> f.read(31L * PAGE, ByteBuffer.allocate(1)));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(
                    e.getMessage().contains("no free frame") && e.getMessage().contains("pinned"), e.getMessage());
            assertTrue(waitedMs >= 250 && waitedMs < 10_000, "waited " + waitedMs + " ms for a 300 ms timeout");
            assertEquals(0, LockedFrames.count(cache), "the failed fault left no page locked");
            for (int fr = 0; fr < frames.frames(); fr++) {
                frames.unpin(fr);
            }
            assertEquals(1, f.read(31L * PAGE, ByteBuffer.allocate(1)), "with the pins gone the fault succeeds");
        }
    }

    @Test
    void pinsHoldOffTruncateAndCloseWithClearErrors() throws IOException {
        try (PageCache cache = cache(16)) {
            PagedFile f = cache.open(dir.resolve("t"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            f.write(0, WriteSource.of(new byte[4 * PAGE]));
            PageGuard g = f.pinForRead(3);
            IOException t = assertThrows(IOException.class, () -> f.truncate(PAGE));
            assertTrue(t.getMessage().contains("pinned"), t.getMessage());
            IOException c = assertThrows(IOException.class, f::close);
            assertTrue(c.getMessage().contains("still open"), c.getMessage());
            g.close();
            f.truncate(PAGE);
            assertEquals(PAGE, f.size());
            f.close();
        }
    }

    @Test
    void manyFilesOpenAtOnceShareTheCache() throws IOException {
        try (PageCache cache = cache(32)) {
            List<PagedFile> files = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                PagedFile f = cache.open(dir.resolve("f" + i), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                f.write(i, WriteSource.of(new byte[] {(byte) i, (byte) (i + 1)}));
                files.add(f);
            }
            for (int i = 0; i < 300; i++) {
                ByteBuffer b = ByteBuffer.allocate(2);
                assertEquals(2, files.get(i).read(i, b));
                assertEquals((byte) i, b.get(0));
                assertEquals((byte) (i + 1), b.get(1));
            }
            for (PagedFile f : files) {
                f.close();
            }
            for (int i = 0; i < 300; i++) {
                byte[] disk = Files.readAllBytes(dir.resolve("f" + i));
                assertEquals(i + 2, disk.length);
                assertEquals((byte) i, disk[i]);
            }
        }
    }
}
