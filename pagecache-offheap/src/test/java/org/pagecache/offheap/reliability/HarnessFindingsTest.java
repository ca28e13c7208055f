package org.pagecache.offheap.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Deterministic reproductions of discrepancies the randomized harness found, each reduced to the fewest steps.
 */
class HarnessFindingsTest {

    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    /**
     * Control case: the file on disk is longer than the truncated size, so the store's truncate sets the size.
     */
    @Test
    void truncateIntoAHoleKeepsTheSizeOnDisk() throws Exception {
        Path file = dir.resolve("a.bin");
        long newSize = 5L * PAGE + 7;
        try (PageCache cache = OffHeapPageCache.builder().pageSize(PAGE).capacity(16L * PAGE).build()) {
            try (PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertEquals(3, f.write(100, WriteSource.of(new byte[] {1, 2, 3})));
                assertEquals(1, f.write(10L * PAGE + 100, WriteSource.of(new byte[] {9})));
                f.flush(); // the file on disk is now 10 pages and 101 bytes, longer than newSize
                assertEquals(1, f.write(12L * PAGE, WriteSource.of(new byte[] {8})));
                f.truncate(newSize);
                assertEquals(newSize, f.size());
                f.sync();
                assertEquals(newSize, Files.size(file), "sync() returned but the file's size on disk is not the "
                        + "size the cache reports");
            }
            assertEquals(newSize, Files.size(file), "after close the file's size is not the truncated size");
            try (PagedFile again = cache.open(file, StandardOpenOption.READ)) {
                assertEquals(newSize, again.size());
            }
        }
    }

    /**
     * A write far past the end makes a dirty page beyond a hole; truncating into the hole drops that page. The file's
     * size is now the truncated size, whose last bytes are a hole that was never on disk, and the file on disk is
     * shorter than that: sync() and close() must still give the file that size (found by the harness as a file
     * 1,656 bytes shorter on disk than the model after a truncate to 84,419).
     */
    @Test
    void truncateIntoAHoleOfAFileNeverWrittenBackKeepsTheSize() throws Exception {
        Path file = dir.resolve("b.bin");
        long newSize = 5L * PAGE + 7;
        try (PageCache cache = OffHeapPageCache.builder().pageSize(PAGE).capacity(16L * PAGE).build()) {
            try (PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertEquals(1, f.write(10L * PAGE + 100, WriteSource.of(new byte[] {9})));
                f.truncate(newSize);
                assertEquals(newSize, f.size());
                ByteBuffer tail = ByteBuffer.allocate(16);
                assertEquals(7, f.read(newSize - 7, tail), "the hole reads as the file's last bytes");
                f.sync();
                assertEquals(newSize, Files.size(file), "sync() returned but the file's size on disk is "
                        + Files.size(file) + ", not the " + newSize + " the cache reports");
            }
            assertArrayEquals(new byte[(int) newSize], Files.readAllBytes(file), "after close the file must be "
                    + newSize + " bytes of zeros");
        }
    }
}
