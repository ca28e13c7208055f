package org.pagecache.jmh.sim;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.jmh.sim.Policies.Policy;
import org.pagecache.jmh.sim.Traces.Trace;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * The eviction table: every trace family through the simulated reference policies and through the real cache
 * ({@code PagedFile.read} of one byte per access, hits and faults from {@code stats()}), hit ratios in percent.
 *
 * <p>System properties: {@code sim.frames} (4096), {@code sim.length} accesses per trace (1000000),
 * {@code sim.seed} (42), {@code sim.dir} (the JVM's temporary directory) for the sparse replay file.
 */
public final class TraceSim {
    private static final int PAGE = 4096;

    private TraceSim() {
    }

    /** One trace family built for a cache of {@code c} frames. */
    public static List<Trace> families(int c, int length, long seed) {
        List<Trace> t = new ArrayList<>();
        t.add(Traces.loop(c, 1.2, length));
        t.add(Traces.hotScan(c, 1, 16, length, seed));
        t.add(Traces.hotScan(c, 4, 16, length, seed + 1));
        t.add(Traces.zipf(c, 0.8, 16, length, seed + 2));
        t.add(Traces.zipf(c, 0.99, 16, length, seed + 3));
        t.add(Traces.moving(c, 16, length / 10, 0.1, length, seed + 4));
        t.add(Traces.btree(256, 0.9, length, seed + 5));
        return t;
    }

    /** Replays the trace through a fresh real cache of {@code c} frames of 4 KiB; returns hits and faults. */
    public static long[] replay(Trace trace, int c, Path file) throws IOException {
        try (OffHeapPageCache cache = OffHeapPageCache.builder().pageSize(PAGE).capacity((long) c * PAGE).build();
             PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            PageCacheStats before = cache.stats();
            for (int p : trace.pages()) {
                one.clear();
                f.read((long) p * PAGE, one);
            }
            PageCacheStats after = cache.stats();
            return new long[] {after.hits() - before.hits(), after.faults() - before.faults()};
        }
    }

    public static void main(String[] args) throws IOException {
        int c = Integer.getInteger("sim.frames", 4096);
        int length = Integer.getInteger("sim.length", 1_000_000);
        long seed = Long.getLong("sim.seed", 42);
        Path dir = Path.of(System.getProperty("sim.dir", System.getProperty("java.io.tmpdir")));
        List<Trace> traces = families(c, length, seed);
        int maxPages = traces.stream().mapToInt(Trace::filePages).max().orElse(1);
        Path file = Files.createTempFile(dir, "pagecache-sim", ".dat");
        try {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength((long) maxPages * PAGE); // sparse: holes read as zeros
            }
            String[] names = {"LRU", "CLOCK", "ARC", "S3-FIFO", "W-TinyLFU", "OPT", "cache"};
            List<IntFunction<Policy>> sims = List.of(Policies::lru, Policies::clock, Policies::arc,
                    k -> Policies.s3fifo(k, 0.1), Policies::caffeine);
            System.out.printf(Locale.ROOT, "%d frames, %d accesses per trace, seed %d; hit ratio %%%n", c, length, seed);
            StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "| %-34s |", "trace family"));
            StringBuilder rule = new StringBuilder("| " + "-".repeat(34) + " |");
            for (String n : names) {
                head.append(String.format(Locale.ROOT, " %9s |", n));
                rule.append(" ").append("-".repeat(9)).append(" |");
            }
            System.out.println(head);
            System.out.println(rule);
            double[] sum = new double[names.length];
            for (Trace t : traces) {
                double[] row = new double[names.length];
                for (int i = 0; i < sims.size(); i++) {
                    row[i] = 100.0 * Policies.run(sims.get(i).apply(c), t.pages()) / t.pages().length;
                }
                row[5] = 100.0 * Policies.opt(c, t.pages()) / t.pages().length;
                long[] hf = replay(t, c, file);
                row[6] = 100.0 * hf[0] / (hf[0] + hf[1]);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "| %-34s |", t.name()));
                for (int i = 0; i < row.length; i++) {
                    sum[i] += row[i];
                    line.append(String.format(Locale.ROOT, " %9.1f |", row[i]));
                }
                System.out.println(line);
            }
            StringBuilder avg = new StringBuilder(String.format(Locale.ROOT, "| %-34s |", "average"));
            for (double s : sum) {
                avg.append(String.format(Locale.ROOT, " %9.1f |", s / traces.size()));
            }
            System.out.println(avg);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
