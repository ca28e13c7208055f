package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;

/** Issue 9, finding 11: a view source closed between chunks gives a short write, not an exception. */
class ViewSourceClosedTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private void check(boolean closeHandle) throws Exception {
        Path src = dir.resolve("src-" + closeHandle + ".bin");
        Path dst = dir.resolve("dst-" + closeHandle + ".bin");
        byte[] content = new byte[4 * PAGE];
        new Random(11).nextBytes(content);
        Files.write(src, content);
        AtomicReference<Runnable> onSecondPage = new AtomicReference<>(() -> {});
        AtomicInteger reads = new AtomicInteger();
        HookedStore.ReadHook hook = (file, position) -> {
            if (file.getFileName().equals(src.getFileName()) && position == PAGE) {
                onSecondPage.get().run();
            }
        };
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(32L * PAGE)
                        .storeFactory(HookedStore.factory(hook, reads))
                        .build();
                PagedFile out =
                        cache.open(dst, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                PagedFile in = cache.open(src, StandardOpenOption.READ)) {
            PagedFile second = cache.open(src, StandardOpenOption.READ);
            MappedView view = second.map(0, content.length);
            onSecondPage.set(() -> {
                // the source goes away while its second chunk is being read: that chunk completes, no more do
                try {
                    if (closeHandle) {
                        second.close();
                    } else {
                        view.close();
                    }
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            });
            long written = out.write(0, view);
            assertEquals(2L * PAGE, written, "the bytes written before the source was closed");
            ByteBuffer got = ByteBuffer.allocate(2 * PAGE);
            assertEquals(2 * PAGE, out.read(0, got));
            assertArrayEquals(Arrays.copyOf(content, 2 * PAGE), got.array());
            assertEquals(2L * PAGE, out.size(), "nothing past the short count was written");
            assertEquals(content.length, in.size());
        }
    }

    @Test
    void viewClosedBetweenChunksGivesAShortWrite() throws Exception {
        check(false);
    }

    @Test
    void viewWhoseHandleClosedBetweenChunksGivesAShortWrite() throws Exception {
        check(true);
    }
}
