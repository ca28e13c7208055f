package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;

/**
 * A write that does not cover its page reads the page in first (W2), except a page wholly past the end of the
 * file: there is nothing stored to read, so it is zero-filled without a read and counts no page-in. A page the
 * file reaches into is still read, and a page past a truncation's new end reads as zeros, not as what the file
 * held before.
 */
class AppendWritesTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static PageCache cache() {
        return OffHeapPageCache.builder().pageSize(PAGE).capacity(64 * PAGE).build();
    }

    private static byte[] readAll(PagedFile f) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) f.size());
        while (b.hasRemaining()) {
            f.read(b.position(), b);
        }
        return b.array();
    }

    @Test
    void appendingPartialPagesReadsNothingIn() throws IOException {
        byte[] expected = new byte[3 * PAGE + 15];
        try (PageCache cache = cache();
                PagedFile f = cache.open(dir.resolve("a"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long faults = cache.stats().faults();
            byte[] head = new byte[100];
            new Random(1).nextBytes(head);
            f.write(0, WriteSource.of(head));
            System.arraycopy(head, 0, expected, 0, 100);
            byte[] tail = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
            f.write(3 * PAGE + 5, WriteSource.of(tail)); // pages 1 and 2 stay holes, page 3 is past the end
            System.arraycopy(tail, 0, expected, 3 * PAGE + 5, 10);
            assertEquals(0, cache.stats().faults() - faults, "appends past the end read nothing in: " + cache.stats());
            assertArrayEquals(expected, readAll(f));
            f.sync();
            assertArrayEquals(expected, Files.readAllBytes(dir.resolve("a")));
        }
    }

    @Test
    void aPageTheFileReachesIntoIsStillReadIn() throws IOException {
        byte[] stored = new byte[PAGE + PAGE / 2];
        new Random(2).nextBytes(stored);
        Path file = dir.resolve("b");
        Files.write(file, stored);
        try (PageCache cache = cache();
                PagedFile f = cache.open(file, StandardOpenOption.WRITE)) {
            long faults = cache.stats().faults();
            f.write(PAGE + 10, WriteSource.of(new byte[] {42}));
            assertEquals(1, cache.stats().faults() - faults, "the stored half of page 1 is read in");
            byte[] expected = stored.clone();
            expected[PAGE + 10] = 42;
            assertArrayEquals(expected, readAll(f));
        }
    }

    @Test
    void pastATruncationTheOldBytesAreGone() throws IOException {
        byte[] stored = new byte[3 * PAGE];
        Arrays.fill(stored, (byte) 7);
        Path file = dir.resolve("c");
        Files.write(file, stored);
        try (PageCache cache = cache();
                PagedFile f = cache.open(file, StandardOpenOption.WRITE)) {
            f.truncate(100);
            long faults = cache.stats().faults();
            f.write(2 * PAGE + 1, WriteSource.of(new byte[] {9}));
            assertEquals(0, cache.stats().faults() - faults, "page 2 is past the new end: nothing to read");
            byte[] expected = new byte[2 * PAGE + 2];
            Arrays.fill(expected, 0, 100, (byte) 7);
            expected[2 * PAGE + 1] = 9;
            assertArrayEquals(expected, readAll(f));
            f.sync();
            assertArrayEquals(expected, Files.readAllBytes(file));
        }
    }
}
