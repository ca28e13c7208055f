package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.testing.Threads;

/**
 * A program written only against the public API: a 1 MiB cache over a 16 MiB file, random writes from
 * {@code byte[]}, heap and direct buffers and a mapped segment from two threads, read back, closed, and the
 * file's bytes on disk compared byte for byte with a plain model.
 */
class AcceptanceTest {
    private static final int FILE = 16 << 20;

    @TempDir
    Path dir;

    @Test
    void randomWritesFromEverySourceKindAgreeWithAModelThroughTheCacheAndOnDisk() throws Exception {
        Path file = dir.resolve("data");
        Path sourceFile = dir.resolve("source");
        byte[] sourceBytes = new byte[1 << 20];
        new Random(7).nextBytes(sourceBytes);
        Files.write(sourceFile, sourceBytes);
        byte[] model = new byte[FILE];
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(4096)
                        .capacity(1 << 20)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(sourceFile, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, sourceBytes.length, arena);
            List<Threads.Task> tasks = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int half = t;
                tasks.add(() -> {
                    Random r = new Random(100 + half);
                    ByteBuffer direct = ByteBuffer.allocateDirect(64 << 10);
                    for (int i = 0; i < 3000; i++) {
                        // each thread writes its own half of the file, so the model needs no lock
                        int len = 1 + r.nextInt(20_000);
                        int pos = half * (FILE / 2) + r.nextInt(FILE / 2 - len);
                        byte[] data = new byte[len];
                        long written;
                        switch (i % 4) {
                            case 0 -> {
                                r.nextBytes(data);
                                written = f.write(pos, WriteSource.of(data));
                            }
                            case 1 -> {
                                r.nextBytes(data);
                                written = f.write(pos, ByteBuffer.wrap(data));
                            }
                            case 2 -> {
                                r.nextBytes(data);
                                direct.clear().put(data).flip();
                                written = f.write(pos, WriteSource.of(direct));
                            }
                            default -> {
                                int from = r.nextInt(sourceBytes.length - len);
                                System.arraycopy(sourceBytes, from, data, 0, len);
                                written = f.write(pos, WriteSource.of(mapped.asSlice(from, len)));
                            }
                        }
                        assertEquals(len, written);
                        System.arraycopy(data, 0, model, pos, len);
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(120), tasks);
            long expectedSize = f.size();
            ByteBuffer back = ByteBuffer.allocate(FILE);
            int n = f.read(0, back);
            assertEquals(expectedSize, n);
            assertArrayEquals(Arrays.copyOf(model, n), Arrays.copyOf(back.array(), n), "read back through the cache");
            PageCacheStats stats = cache.stats();
            assertTrue(stats.evictions() > 0 && stats.writebacks() > 0, stats.toString());
            assertTrue(stats.tempPageCopies() > 0 && stats.directCopies() > 0, stats.toString());
            f.close();
            byte[] disk = Files.readAllBytes(file);
            assertEquals(expectedSize, disk.length);
            assertArrayEquals(Arrays.copyOf(model, disk.length), disk, "the file on disk");
        }
    }
}
