package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;

/** The README's usage example, kept compiling and checked for what it claims. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeExampleRunsAndDoesWhatItSays() throws Exception {
        Path path = dir.resolve("example.db");
        // --- the README's example, with the path in a temporary directory ---
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(4096)
                        .capacity(64L << 20)
                        .build();
                PagedFile file = cache.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            file.write(0, WriteSource.of("hello, pages".getBytes())); // buffered: copied into a cached page
            try (MappedView view = file.map(0, 5)) { // a view of the cache itself...
                file.write(8192, view); // ...is a safe write source
            }
            ByteBuffer dst = ByteBuffer.allocate(12);
            file.read(0, dst); // never a torn page
            file.sync(); // on stable storage now
            System.out.println(cache.stats());
            // --- end of the example ---
            assertArrayEquals("hello, pages".getBytes(), dst.array());
        }
        byte[] disk = Files.readAllBytes(path);
        assertEquals(8192 + 5, disk.length);
        assertArrayEquals("hello".getBytes(), Arrays.copyOfRange(disk, 8192, 8197));
    }
}
