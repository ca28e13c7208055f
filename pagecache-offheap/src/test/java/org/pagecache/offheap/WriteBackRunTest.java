package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.reclaim.WriteBack;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.store.StoreFactory;

/**
 * Write-back of adjacent dirty pages: runs of up to {@link WriteBack#MAX_RUN_BYTES}, each one write whose whole
 * pages are a single buffer (a page clipped at the end of the file a second one).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WriteBackRunTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    /** One store write: its position, and the bytes of each of its buffers. */
    record Write(long position, List<Integer> buffers) {}

    @Test
    void adjacentPagesGoOutInRunsOfAtMostOneMebibyteOneBufferEach() throws IOException {
        int run = WriteBack.MAX_RUN_BYTES / PAGE;
        int whole = run + 44;
        int tail = 100;
        byte[] content = new byte[whole * PAGE + tail];
        new Random(3).nextBytes(content);
        List<Write> writes = new CopyOnWriteArrayList<>();
        StoreFactory recording = (path, options) ->
                new ForwardingStore(StoreFactory.defaultFactory().open(path, options)) {
                    @Override
                    public long write(ByteBuffer[] srcs, long position) throws IOException {
                        Integer[] sizes = new Integer[srcs.length];
                        for (int i = 0; i < srcs.length; i++) {
                            sizes[i] = srcs[i].remaining();
                        }
                        writes.add(new Write(position, List.of(sizes)));
                        return super.write(srcs, position);
                    }
                };
        Path file = dir.resolve("f");
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(4L * run * PAGE)
                        .dirtyRatio(1)
                        .dirtyBackgroundRatio(1)
                        .storeFactory(recording)
                        .build();
                PagedFile f = cache.open(
                        file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            f.write(0, ByteBuffer.wrap(content));
            f.sync();
        }
        assertEquals(
                List.of(new Write(0, List.of(run * PAGE)), new Write((long) run * PAGE, List.of(44 * PAGE, tail))),
                writes,
                "the store writes of the sync");
        assertArrayEquals(content, Files.readAllBytes(file));
    }
}
