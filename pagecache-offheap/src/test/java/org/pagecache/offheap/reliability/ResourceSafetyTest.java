package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;
import org.pagecache.offheap.testing.ChildJvm;

/**
 * Thousands of open/close cycles of files and of whole caches must leave nothing behind: no off-heap memory (the
 * JDK's "direct" and "mapped" buffer pools, which count native segments too, and the process's resident set), no
 * threads (every thread a cache starts must be gone after its close), no file descriptors ({@code /proc/self/fd}).
 * A leak shows as growth between the middle and the end of the run as well as against the baseline, so a constant
 * offset (a JDK cache filled once) is told apart from a leak per cycle.
 */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class ResourceSafetyTest {

    private static final int PAGE = 4096;
    private static final long CACHE_BYTES = 4L << 20;

    @TempDir
    Path dir;

    /** The measurable resources of this process. */
    record Snapshot(
            long directBytes,
            long directCount,
            long mappedBytes,
            long mappedCount,
            long rssKiB,
            long vmKiB,
            long fds,
            long pagecacheThreads,
            long threads) {

        static Snapshot take() throws IOException, InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(20);
            }
            long db = 0, dc = 0, mb = 0, mc = 0;
            for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                if (pool.getName().equals("direct")) {
                    db = pool.getMemoryUsed();
                    dc = pool.getCount();
                } else if (pool.getName().equals("mapped")) {
                    mb = pool.getMemoryUsed();
                    mc = pool.getCount();
                }
            }
            long rss = -1;
            long vm = -1;
            Path status = Path.of("/proc/self/status");
            if (Files.exists(status)) {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
                        rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    } else if (line.startsWith("VmSize:")) {
                        vm = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            }
            long fds = -1;
            Path fdDir = Path.of("/proc/self/fd");
            if (Files.isDirectory(fdDir)) {
                try (Stream<Path> s = Files.list(fdDir)) {
                    fds = s.count();
                }
            }
            Set<Thread> all = Thread.getAllStackTraces().keySet();
            long named = all.stream()
                    .filter(t -> t.getName().startsWith("pagecache"))
                    .count();
            return new Snapshot(db, dc, mb, mc, rss, vm, fds, named, all.size());
        }

        @Override
        public String toString() {
            return "direct=" + directBytes + "B/" + directCount + " mapped=" + mappedBytes + "B/" + mappedCount
                    + " rss=" + rssKiB + "KiB vm=" + vmKiB + "KiB fds=" + fds + " pagecacheThreads=" + pagecacheThreads
                    + " threads=" + threads;
        }
    }

    private static PageCache newCache() {
        return OffHeapPageCache.builder()
                .pageSize(PAGE)
                .capacity(CACHE_BYTES)
                .tempPages(4)
                .frameWaitTimeout(Duration.ofSeconds(10))
                .build();
    }

    private static void exercise(PagedFile f, Random r) throws IOException {
        byte[] data = new byte[1 + r.nextInt(3 * PAGE)];
        r.nextBytes(data);
        long pos = r.nextInt(16 * PAGE);
        assertEquals(data.length, f.write(pos, WriteSource.of(data)));
        ByteBuffer back = ByteBuffer.allocate(data.length);
        assertEquals(data.length, f.read(pos, back));
        assertEquals(ByteBuffer.wrap(data), back.flip(), "read back what was written");
        try (MappedView view = f.map(pos, data.length)) {
            ByteBuffer viaView = ByteBuffer.allocate(data.length);
            assertEquals(data.length, view.read(0, viaView));
        }
        if (r.nextInt(8) == 0) {
            f.sync();
        }
    }

    /** Caches built and closed in a loop; the threads each cache starts must all be gone after its close. */
    private int cacheCycles(int cycles, Random r, List<String> threadNames) throws Exception {
        int leakedThreads = 0;
        for (int i = 0; i < cycles; i++) {
            Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
            PageCache cache = newCache();
            Set<Thread> started = new HashSet<>(Thread.getAllStackTraces().keySet());
            started.removeAll(before);
            try (PagedFile a = cache.open(
                            dir.resolve("c" + (i % 4) + ".bin"),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.READ,
                            StandardOpenOption.WRITE);
                    PagedFile b = cache.open(
                            dir.resolve("d" + (i % 4) + ".bin"),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.READ,
                            StandardOpenOption.WRITE)) {
                exercise(a, r);
                exercise(b, r);
                started.addAll(Thread.getAllStackTraces().keySet());
                started.removeAll(before);
            } finally {
                cache.close();
            }
            if (threadNames.isEmpty()) {
                started.forEach(t -> threadNames.add(t.getName()));
            }
            for (Thread t : started) {
                t.join(5_000);
                if (t.isAlive()) {
                    leakedThreads++;
                }
            }
        }
        return leakedThreads;
    }

    private static void fileCycles(PageCache cache, Path dir, int cycles, Random r) throws IOException {
        for (int i = 0; i < cycles; i++) {
            try (PagedFile f = cache.open(
                    dir.resolve("f" + (i % 20) + ".bin"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                exercise(f, r);
            }
        }
    }

    @Test
    void openCloseCyclesLeaveNoMemoryThreadsOrFileHandles() throws Exception {
        int fileCycles = Integer.getInteger("pagecache.resource.fileCycles", 5_000);
        int cacheCycles = Integer.getInteger("pagecache.resource.cacheCycles", 1_000);
        Random r = new Random(7);
        List<String> threadNames = new ArrayList<>();

        // warm up: class loading, JIT, the JDK's per-thread I/O buffers
        cacheCycles(20, r, threadNames);
        try (PageCache cache = newCache()) {
            fileCycles(cache, dir, 100, r);
        }
        Snapshot baseline = Snapshot.take();
        Snapshot whileOpen;
        try (PageCache probe = newCache()) {
            assertEquals(PAGE, probe.pageSize());
            whileOpen = Snapshot.take();
        }

        int leakedThreads = cacheCycles(cacheCycles / 2, r, threadNames);
        Snapshot mid = Snapshot.take();
        leakedThreads += cacheCycles(cacheCycles - cacheCycles / 2, r, threadNames);
        try (PageCache cache = newCache()) {
            fileCycles(cache, dir, fileCycles / 2, r);
            Snapshot midFiles = Snapshot.take();
            fileCycles(cache, dir, fileCycles - fileCycles / 2, r);
            Snapshot endFiles = Snapshot.take();
            assertTrue(
                    endFiles.fds() <= midFiles.fds(),
                    "file descriptors grow with file open/close cycles: " + midFiles + " -> " + endFiles);
            assertTrue(
                    endFiles.directBytes() <= midFiles.directBytes() + (64 << 10),
                    "direct memory grows with file open/close cycles: " + midFiles + " -> " + endFiles);
        }
        Snapshot end = Snapshot.take();

        String figures = "baseline " + baseline + "; one 4 MiB cache open " + whileOpen + "; after " + cacheCycles / 2
                + " cache cycles " + mid + "; after " + cacheCycles + " cache cycles (each 4 MiB, 2 files) and "
                + fileCycles + " file cycles " + end + "; threads a cache starts: " + threadNames
                + "; threads surviving close: " + leakedThreads;
        Figures.report("resources", figures);

        assertEquals(0, leakedThreads, "threads started by a cache outlived its close(): " + figures);
        assertEquals(0, end.pagecacheThreads(), "threads named pagecache* are left: " + figures);
        assertTrue(end.fds() >= 0 && end.fds() <= baseline.fds(), "file descriptors left open: " + figures);
        assertTrue(end.directBytes() <= baseline.directBytes() + (64 << 10), "direct memory left behind: " + figures);
        assertTrue(end.directBytes() <= mid.directBytes() + (64 << 10), "direct memory grows per cycle: " + figures);
        assertEquals(baseline.mappedCount(), end.mappedCount(), "mapped buffers left behind: " + figures);
        long totalAllocated = CACHE_BYTES * (cacheCycles + 2);
        assertTrue(
                end.rssKiB() < 0 || (end.rssKiB() - baseline.rssKiB()) * 1024 < 256L << 20,
                "resident memory grew by " + (end.rssKiB() - baseline.rssKiB()) + " KiB after allocating and freeing "
                        + (totalAllocated >> 20) + " MiB of caches: " + figures);
        assertTrue(
                end.vmKiB() < 0 || (end.vmKiB() - baseline.vmKiB()) * 1024 < 1L << 30,
                "virtual memory grew by " + (end.vmKiB() - baseline.vmKiB()) + " KiB after allocating and freeing "
                        + (totalAllocated >> 20) + " MiB of caches: " + figures);
    }

    /**
     * The JVM's native memory tracking (enabled in a child JVM, since it needs a start-up flag) counts the memory
     * behind {@code Arena} allocations exactly: it must rise by a cache's capacity while one is open, and be back
     * after a thousand caches were built, used and closed.
     */
    @Test
    void nativeMemoryTrackingSeesEveryCacheFreed() throws Exception {
        int cycles = Integer.getInteger("pagecache.resource.cacheCycles", 1_000);
        String java = ChildJvm.java();
        String cp = ChildJvm.classPath();
        Path out = dir.resolve("nmt.out");
        Process child = new ProcessBuilder(
                        java,
                        "-Xmx128m",
                        "-XX:NativeMemoryTracking=summary",
                        "-cp",
                        cp,
                        ResourceCycles.class.getName(),
                        dir.toString(),
                        Integer.toString(cycles),
                        Long.toString(CACHE_BYTES))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        boolean done = child.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            child.destroyForcibly();
        }
        String output = Files.readString(out);
        assertTrue(done && child.exitValue() == 0, "the child failed: " + output);
        String line = output.lines()
                .filter(l -> l.startsWith("NMT "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no NMT line: " + output));
        String[] v = line.split(" ");
        long before = Long.parseLong(v[1]);
        long whileOpen = Long.parseLong(v[2]);
        long after = Long.parseLong(v[3]);
        Figures.report(
                "resources.nmt",
                "native memory (NMT \"Other\", committed): " + before + " KiB before, "
                        + whileOpen + " KiB with one " + (CACHE_BYTES >> 20) + " MiB cache open, " + after
                        + " KiB after "
                        + cycles + " caches built, used and closed (" + (cycles * CACHE_BYTES >> 20)
                        + " MiB allocated in all)");
        assertTrue(
                whileOpen - before >= CACHE_BYTES / 1024,
                "NMT does not see the cache's memory, so it proves " + "nothing: " + line);
        assertTrue(
                after - before < 1024,
                "native memory left behind: " + (after - before) + " KiB after " + cycles + " cycles: " + line);
    }
}
