package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.DirectStore;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.store.StoreFactory;

/** Direct I/O ({@code ExtendedOpenOption.DIRECT}): content, tail pages, the OS cache left alone, refusals, faults. */
class DirectIoTest {
    private static final int PAGE = 4096;
    private static final OpenOption[] RW_DIRECT = {
        StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT
    };

    @TempDir
    Path dir;

    private static PageCache cache(int pages) {
        return OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity((long) pages * PAGE)
                .build();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void directFileWithAnUnalignedTailRoundTripsThroughEviction() throws IOException {
        Path file = dir.resolve("tail");
        byte[] data = random(300 * PAGE + 123, 1);
        // 64 frames for 301 pages: most pages are evicted, and written back directly, before the sync
        try (PageCache cache = cache(64);
                PagedFile f = cache.open(file, RW_DIRECT)) {
            assertEquals(data.length, f.write(0, WriteSource.of(data)));
            f.sync();
            assertEquals(data.length, f.size());
        }
        assertEquals(data.length, Files.size(file));
        assertArrayEquals(data, Files.readAllBytes(file));
        try (PageCache cache = cache(64);
                PagedFile f = cache.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            ByteBuffer back = ByteBuffer.allocate(data.length);
            assertEquals(data.length, f.read(0, back));
            assertArrayEquals(data, back.array());
            assertEquals(-1, f.read(data.length, ByteBuffer.allocate(1)));
        }
    }

    @Test
    void truncateAndGrowOfADirectFileKeepTheFileSizeExact() throws IOException {
        Path file = dir.resolve("grow");
        try (PageCache cache = cache(16);
                PagedFile f = cache.open(file, RW_DIRECT)) {
            f.write(0, WriteSource.of(random(3 * PAGE, 2)));
            f.truncate(PAGE + 7);
            f.truncate(5 * PAGE + 1); // larger: changes nothing, as FileChannel.truncate
            assertEquals(PAGE + 7, f.size());
            f.write(5 * PAGE, WriteSource.of(new byte[] {0}));
            f.sync();
            assertEquals(5 * PAGE + 1, f.size());
        }
        byte[] disk = Files.readAllBytes(file);
        assertEquals(5 * PAGE + 1, disk.length);
        byte[] expectedHead = Arrays.copyOf(random(3 * PAGE, 2), PAGE + 7);
        assertArrayEquals(expectedHead, Arrays.copyOf(disk, PAGE + 7));
        for (int i = PAGE + 7; i < disk.length; i++) {
            assertEquals(0, disk[i], "byte " + i + " after the truncation reads as zero (a hole, then a zero)");
        }
    }

    @Test
    void directIoLeavesNextToNothingOfTheFileInTheOsCache() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/fincore")), "needs fincore (util-linux)");
        Path file = dir.resolve("resident");
        int pages = 2048; // 8 MiB through a 1 MiB cache
        byte[] data = random(pages * PAGE, 3);
        try (PageCache cache = cache(256);
                PagedFile f = cache.open(file, RW_DIRECT)) {
            f.write(0, WriteSource.of(data));
            f.sync();
            ByteBuffer back = ByteBuffer.allocate(PAGE);
            for (int p = 0; p < pages; p += 7) {
                back.clear();
                f.read((long) p * PAGE, back);
            }
        }
        long resident = residentBytes(file);
        assertTrue(resident <= 4L * PAGE, "the OS cache holds " + resident + " bytes of an 8 MiB direct file");
        // the same workload buffered does fill the OS cache: the measurement can see the difference
        Path buffered = dir.resolve("buffered");
        try (PageCache cache = cache(256);
                PagedFile f = cache.open(buffered, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            f.write(0, WriteSource.of(data));
            f.sync();
        }
        assertTrue(residentBytes(buffered) > data.length / 2, "buffered writes are cached by the OS");
    }

    private static long residentBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "fincore finished");
        assertEquals(0, p.exitValue(), "fincore: " + out);
        return Long.parseLong(out);
    }

    @Test
    void aFileSystemThatRefusesDirectIoFailsTheOpenAndCreatesNothing() throws Exception {
        Path mount = dir.resolve("ramfs");
        Files.createDirectories(mount);
        Process m = new ProcessBuilder("mount", "-t", "ramfs", "none", mount.toString())
                .redirectErrorStream(true)
                .start();
        boolean mounted = m.waitFor(30, TimeUnit.SECONDS) && m.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "mounting a ramfs needs root");
        try {
            Path file = mount.resolve("f");
            try (PageCache cache = cache(16)) {
                IOException e = assertThrows(IOException.class, () -> cache.open(file, RW_DIRECT));
                assertTrue(e.getMessage().contains("refuses direct I/O"), e.getMessage());
                assertFalse(Files.exists(file), "the refused open left no file behind");
                // the cache is unharmed, and the same file opens buffered
                try (PagedFile f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    f.write(0, WriteSource.of(new byte[] {1, 2, 3}));
                }
                assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
                // an existing file is left as it was
                IOException again = assertThrows(IOException.class, () -> cache.open(file, RW_DIRECT));
                assertTrue(again.getMessage().contains("refuses direct I/O"), again.getMessage());
                assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
            }
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFailedDirectWriteKeepsThePageDirtyAndIsReportedLikeABufferedOne() throws IOException {
        Path file = dir.resolve("faulty");
        AtomicBoolean failWrites = new AtomicBoolean();
        AtomicBoolean failReads = new AtomicBoolean();
        AtomicInteger directStores = new AtomicInteger();
        StoreFactory real = StoreFactory.defaultFactory();
        StoreFactory faulty = (path, options) -> {
            BackingStore store = real.open(path, options);
            if (store instanceof DirectStore) {
                directStores.incrementAndGet();
            }
            return new Failing(store, failWrites, failReads);
        };
        byte[] data = random(8 * PAGE, 4);
        // no background write-back: the pages must still be dirty when the store starts failing
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(32L * PAGE)
                .storeFactory(faulty)
                .dirtyRatio(1)
                .dirtyBackgroundRatio(1)
                .build()) {
            try (PagedFile f = cache.open(file, RW_DIRECT)) {
                f.write(0, WriteSource.of(data));
                failWrites.set(true);
                IOException e = assertThrows(IOException.class, f::sync);
                assertTrue(String.valueOf(e.getCause()).contains("injected direct write error"), e.toString());
                failWrites.set(false);
                f.sync();
            }
            assertArrayEquals(data, Files.readAllBytes(file), "the data written after the failure reached the file");
        }
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(32L * PAGE)
                        .storeFactory(faulty)
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            failReads.set(true);
            ByteBuffer one = ByteBuffer.allocate(PAGE);
            IOException e = assertThrows(IOException.class, () -> f.read(0, one));
            assertTrue(e.getMessage().contains("injected"), e.getMessage());
            failReads.set(false);
            one.clear();
            assertEquals(PAGE, f.read(0, one));
            assertArrayEquals(Arrays.copyOf(data, PAGE), one.array(), "a failed read cached nothing wrong");
        }
        assertTrue(directStores.get() >= 1, "the default factory opened a DirectStore for DIRECT");
    }

    /** A store that fails reads or writes while told to. */
    private static final class Failing extends ForwardingStore {
        private final AtomicBoolean failWrites;
        private final AtomicBoolean failReads;

        Failing(BackingStore real, AtomicBoolean failWrites, AtomicBoolean failReads) {
            super(real);
            this.failWrites = failWrites;
            this.failReads = failReads;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (failReads.get()) {
                throw new IOException("injected direct read error at " + position);
            }
            return real.read(dst, position);
        }

        @Override
        public long write(ByteBuffer[] srcs, long position) throws IOException {
            if (failWrites.get()) {
                throw new IOException("injected direct write error at " + position);
            }
            return real.write(srcs, position);
        }
    }

    @Test
    void directStoreRoutesUnalignedTransfersToTheBufferedDescriptor() throws IOException {
        Path file = dir.resolve("routing");
        try (DirectStore store = DirectStore.open(
                file,
                Set.of(
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE,
                        ExtendedOpenOption.DIRECT),
                org.pagecache.offheap.store.FileChannelStore::open)) {
            ByteBuffer full = ByteBuffer.allocateDirect(2 * PAGE + 64).alignedSlice(PAGE);
            full.limit(PAGE);
            for (int i = 0; i < PAGE; i++) {
                full.put(i, (byte) i);
            }
            ByteBuffer tail = ByteBuffer.wrap(new byte[] {9, 8, 7});
            assertEquals(PAGE + 3, store.write(new ByteBuffer[] {full, tail}, 0));
            assertEquals(PAGE + 3, store.size());
            ByteBuffer odd = ByteBuffer.allocate(5);
            assertEquals(5, store.read(odd, PAGE - 2)); // unaligned position and length
            assertArrayEquals(new byte[] {(byte) (PAGE - 2), (byte) (PAGE - 1), 9, 8, 7}, odd.array());
            ByteBuffer page = ByteBuffer.allocateDirect(2 * PAGE).alignedSlice(PAGE);
            page.limit(PAGE);
            assertEquals(PAGE, store.read(page, 0)); // aligned: direct
            assertEquals((byte) 77, page.get(77));
        }
    }
}
