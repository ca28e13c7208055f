package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * A real file system that fills up: a 4 MiB tmpfs, mounted by the test (which needs root on Linux; elsewhere the
 * test is skipped with a message saying why). Write-backs then fail with {@code ENOSPC}: the error must be reported
 * by every flush/sync until space is freed, the dirty data must survive in the cache, data synced before the disk
 * filled must stay intact, and after space is freed everything reaches the disk.
 */
class FullFilesystemTest {

    private static final int PAGE = 4096;
    private static final long FS_BYTES = 4L << 20;

    private static Path mountPoint;
    private static boolean mounted;

    @BeforeAll
    static void mountSmallTmpfs() throws Exception {
        Assumptions.assumeTrue(
                System.getProperty("os.name", "").toLowerCase().contains("linux"),
                "skipped: a small tmpfs can only be mounted on Linux");
        mountPoint = Files.createTempDirectory("pagecache-tmpfs-");
        Process p = new ProcessBuilder(
                        "mount", "-t", "tmpfs", "-o", "size=" + (FS_BYTES >> 20) + "m", "tmpfs", mountPoint.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        boolean done = p.waitFor(30, TimeUnit.SECONDS);
        mounted = done && p.exitValue() == 0;
        if (!mounted) {
            Files.deleteIfExists(mountPoint);
        }
        Assumptions.assumeTrue(
                mounted,
                "skipped: cannot mount a 4 MiB tmpfs here (needs root or CAP_SYS_ADMIN): "
                        + (done ? "mount exited with " + p.exitValue() + ": " + out : "mount did not finish"));
    }

    @AfterAll
    static void unmount() throws Exception {
        if (mounted) {
            Process p = new ProcessBuilder("umount", mountPoint.toString())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("umount " + mountPoint + " failed: " + out);
            }
            Files.deleteIfExists(mountPoint);
        }
    }

    private static byte[] readAll(PagedFile f) throws IOException {
        byte[] out = new byte[Math.toIntExact(f.size())];
        ByteBuffer dst = ByteBuffer.wrap(out);
        while (dst.hasRemaining() && f.read(dst.position(), dst) >= 0) {
            // until full
        }
        return out;
    }

    @Test
    void fullDiskIsReportedUntilSpaceIsFreedAndLosesNothing() throws Exception {
        Path filler = mountPoint.resolve("filler.bin");
        Path data = mountPoint.resolve("data.bin");
        Random r = new Random(42);
        byte[] early = new byte[256 * 1024];
        r.nextBytes(early);
        byte[] late = new byte[3 << 20];
        r.nextBytes(late);
        int reports = 0;
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(8L << 20)
                .tempPages(4)
                .frameWaitTimeout(Duration.ofSeconds(10))
                .build()) {
            PagedFile f =
                    cache.open(data, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            assertEquals(early.length, f.write(0, WriteSource.of(early)));
            f.sync();
            // fill the file system so that only a little room is left
            Files.write(filler, new byte[(int) (FS_BYTES - early.length - 512 * 1024)]);
            assertEquals(
                    late.length, f.write(early.length, WriteSource.of(late)), "buffered writes need no disk space");
            for (int i = 0; i < 4; i++) {
                assertThrows(IOException.class, f::flush, "flush #" + i + " on a full file system must fail");
                reports++;
                assertThrows(IOException.class, f::sync, "sync #" + i + " on a full file system must fail");
                reports++;
            }
            byte[] expected = new byte[early.length + late.length];
            System.arraycopy(early, 0, expected, 0, early.length);
            System.arraycopy(late, 0, expected, early.length, late.length);
            assertTrue(cache.stats().dirtyFrames() > 0, "unwritten pages must stay dirty: " + cache.stats());
            assertArrayEquals(expected, readAll(f), "the cache must keep every byte it could not write");
            byte[] onDisk = Files.readAllBytes(data);
            assertArrayEquals(
                    early, Arrays.copyOf(onDisk, early.length), "data synced before the disk filled was damaged");
            Files.delete(filler);
            try {
                f.flush();
            } catch (IOException e) {
                // the earlier failure may be reported once more
            }
            f.sync();
            f.close();
            assertArrayEquals(expected, Files.readAllBytes(data), "after space was freed every byte reached the disk");
            Figures.report(
                    "faults.fullDisk",
                    reports + " flush/sync calls on a full 4 MiB tmpfs all failed with an " + "exception; "
                            + expected.length + " bytes verified on disk after space was freed; losses 0");
        }
    }
}
