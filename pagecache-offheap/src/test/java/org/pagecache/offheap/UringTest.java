package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The io_uring mechanism on its own: reads of a real file come back with their tags and the file's bytes. */
class UringTest {
    @TempDir
    Path dir;

    @Test
    void availabilityFollowsNativeAccess() {
        boolean enabled = Uring.class.getModule().isNativeAccessEnabled();
        if (!enabled) {
            assertFalse(Uring.available());
            assertNotNull(Uring.unavailableReason());
            assertTrue(Uring.unavailableReason().contains("--enable-native-access"), Uring.unavailableReason());
            assertThrows(IOException.class, () -> new Uring(8));
        }
    }

    @Test
    void readsComeBackWithTheirTagsAndTheFilesBytes() throws Exception {
        assumeTrue(Uring.available(), () -> "io_uring unavailable: " + Uring.unavailableReason());
        Path file = dir.resolve("data.bin");
        byte[] content = new byte[64 * 4096 + 100];
        new Random(7).nextBytes(content);
        Files.write(file, content);
        int fd = Uring.openForRead(file, false);
        try (Uring ring = new Uring(16);
                Arena arena = Arena.ofConfined()) {
            MemorySegment mem = arena.allocate(16 * 4096L, 4096);
            int[] pages = {3, 0, 64, 17, 40, 9, 63, 1, 2, 5, 8, 13, 21, 34, 55, 60};
            for (int i = 0; i < pages.length; i++) {
                ring.queueRead(fd, mem.address() + i * 4096L, 4096, pages[i] * 4096L, 100 + i);
            }
            Map<Long, Integer> results = new HashMap<>();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (results.size() < pages.length && System.nanoTime() < deadline) {
                ring.enter(1);
                ring.reap((tag, res) -> results.put(tag, res));
            }
            assertEquals(pages.length, results.size(), "completions");
            for (int i = 0; i < pages.length; i++) {
                int expected = pages[i] == 64 ? 100 : 4096;
                assertEquals(expected, results.get(100L + i), "bytes read of page " + pages[i]);
                for (int b = 0; b < expected; b++) {
                    assertEquals(
                            content[pages[i] * 4096 + b],
                            mem.get(ValueLayout.JAVA_BYTE, i * 4096L + b),
                            "page " + pages[i] + " byte " + b);
                }
            }
            // a read of a descriptor that is not open comes back as a negative errno, not an exception
            ring.queueRead(1 << 20, mem.address(), 4096, 0, 7);
            int[] res = {0};
            while (ring.reap((tag, r) -> res[0] = r) == 0) {
                ring.enter(1);
            }
            assertTrue(res[0] < 0, "a read of a bad descriptor completes with -errno, was " + res[0]);
        } finally {
            Uring.closeFd(fd);
        }
    }
}
