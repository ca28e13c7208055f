package org.pagecache.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * What every benchmark shares: scratch files of pseudo-random bytes, precomputed random positions (so that
 * choosing a position costs the same, and allocates nothing, for every peer), and checks on the cache's
 * counters that prove a benchmark measured the path it claims to measure.
 *
 * <p>Scratch files go to a fresh directory under {@code -Dpagecache.bench.dir}, else the environment variable
 * {@code PAGECACHE_BENCH_DIR}, else {@code java.io.tmpdir}, and are deleted at the end of each trial.
 */
final class BenchSupport {

    /**
     * The page size of every benchmark: 4 KiB, or {@code -Dpagecache.bench.page} (for example 8192, passed to
     * the forks with {@code -jvmArgsAppend -Dpagecache.bench.page=8192}; the whole-page hit read then needs
     * {@code -p readSize=8192,64}).
     */
    static final int PAGE = Integer.getInteger("pagecache.bench.page", 4096);

    /** Number of precomputed positions per cursor; a power of two, so the cursor wraps with a mask. */
    static final int POSITIONS = 1 << 16;

    /** Mask of a cursor into a positions array of {@link #POSITIONS} entries. */
    static final int POSITION_MASK = POSITIONS - 1;

    private static final int FILL_CHUNK = 1 << 20;

    private BenchSupport() {}

    /** @return a fresh scratch directory */
    static Path scratchDir() throws IOException {
        String env = System.getenv("PAGECACHE_BENCH_DIR");
        Path base = Path.of(System.getProperty(
                "pagecache.bench.dir", env != null && !env.isEmpty() ? env : System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, "pagecache-bench-");
    }

    /** Deletes a scratch directory and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** Creates {@code file} with {@code size} pseudo-random bytes drawn from {@code seed}. */
    static Path randomFile(Path file, long size, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer chunk = ByteBuffer.allocateDirect(FILL_CHUNK);
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long written = 0;
            while (written < size) {
                chunk.clear();
                int n = (int) Math.min(FILL_CHUNK, size - written);
                chunk.limit(n);
                while (chunk.position() + Long.BYTES <= n) {
                    chunk.putLong(random.nextLong());
                }
                while (chunk.hasRemaining()) {
                    chunk.put((byte) random.nextInt());
                }
                chunk.flip();
                while (chunk.hasRemaining()) {
                    written += ch.write(chunk, written);
                }
            }
        }
        return file;
    }

    /** @return {@code size} pseudo-random bytes drawn from {@code seed} */
    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) random.nextInt();
        }
        return bytes;
    }

    /**
     * Random positions of reads or writes of {@code length} bytes that each stay inside one page: a random
     * page of {@code pages}, and in it a random offset (page-aligned when {@code length == PAGE}).
     *
     * @return {@link #POSITIONS} positions
     */
    static long[] randomPositions(long pages, int length, long seed) {
        if (length <= 0 || length > PAGE) {
            throw new IllegalArgumentException("length " + length + " must be in 1.." + PAGE);
        }
        SplittableRandom random = new SplittableRandom(seed);
        long[] positions = new long[POSITIONS];
        for (int i = 0; i < POSITIONS; i++) {
            long page = random.nextLong(pages);
            int offset = length == PAGE ? 0 : random.nextInt(PAGE - length + 1);
            positions[i] = page * PAGE + offset;
        }
        return positions;
    }

    /** @return a cache of {@code capacity} bytes of 4 KiB frames */
    static PageCache cache(long capacity) {
        return OffHeapPageCache.builder().pageSize(PAGE).capacity(capacity).build();
    }

    /** A cache whose dirty limit is {@code dirtyRatio} of its frames (1: no limit, no background write-back). */
    static PageCache cache(long capacity, double dirtyRatio) {
        OffHeapPageCache.Builder b =
                OffHeapPageCache.builder().pageSize(PAGE).capacity(capacity).dirtyRatio(dirtyRatio);
        return (dirtyRatio >= 1 ? b.dirtyBackgroundRatio(1) : b).build();
    }

    /** Reads every page of {@code file} once, so that all of them are resident. */
    static void touchAll(PagedFile file) throws IOException {
        ByteBuffer page = ByteBuffer.allocateDirect(PAGE);
        long size = file.size();
        for (long position = 0; position < size; position += PAGE) {
            page.clear();
            if (file.read(position, page) <= 0) {
                throw new IllegalStateException("no bytes at " + position + " of a file of " + size + " bytes");
            }
        }
    }

    /** Reads every page of a plain file once, so that the OS page cache holds it. */
    static void touchAll(FileChannel channel) throws IOException {
        ByteBuffer page = ByteBuffer.allocateDirect(PAGE);
        long size = channel.size();
        for (long position = 0; position < size; position += PAGE) {
            page.clear();
            channel.read(page, position);
        }
    }

    /** @return the difference of two snapshots' counters, as a snapshot whose gauges are those of {@code after} */
    static PageCacheStats delta(PageCacheStats before, PageCacheStats after) {
        return new PageCacheStats(
                after.hits() - before.hits(),
                after.faults() - before.faults(),
                after.evictions() - before.evictions(),
                after.writebacks() - before.writebacks(),
                after.writebackBatches() - before.writebackBatches(),
                after.tempPageCopies() - before.tempPageCopies(),
                after.directCopies() - before.directCopies(),
                after.fastPathHits() - before.fastPathHits(),
                after.fastPathFallbacks() - before.fastPathFallbacks(),
                after.sourceFaults() - before.sourceFaults(),
                after.lockWaits() - before.lockWaits(),
                after.lockWaitNanos() - before.lockWaitNanos(),
                after.frames(),
                after.freeFrames(),
                after.dirtyFrames(),
                after.pinnedFrames(),
                after.reclaimerFailures() - before.reclaimerFailures(),
                after.reopenHits() - before.reopenHits(),
                after.reopenDrops() - before.reopenDrops(),
                after.retainedFiles());
    }

    /**
     * Fails the trial unless {@code condition} holds. JMH reports an exception from a setup or tear-down
     * method as a failed benchmark, so a benchmark that did not measure what it claims never gets a score.
     */
    static void check(boolean condition, String what, PageCacheStats delta) {
        if (!condition) {
            throw new IllegalStateException(
                    "benchmark invariant broken: " + what + "; counters over the trial: " + delta);
        }
    }

    /** @return the simple name of the benchmark method, from JMH's fully qualified benchmark name */
    static String method(String benchmark) {
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }
}
