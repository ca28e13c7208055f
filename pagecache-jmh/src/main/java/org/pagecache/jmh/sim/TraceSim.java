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
import org.pagecache.offheap.reclaim.QueuePolicy;

/**
 * The eviction table: every trace family through the simulated reference policies and through the real cache
 * ({@code PagedFile.read} of one byte per access, hits and faults from {@code stats()}), hit ratios in percent.
 *
 * <p>System properties: {@code sim.frames} (4096), {@code sim.length} accesses per trace (1000000),
 * {@code sim.seed} (42), {@code sim.dir} (the JVM's temporary directory) for the sparse replay file;
 * {@code sim.engine} (plain,engine): variants of the engine's own policy simulated over a frame table (see
 * {@link #tuning}); {@code sim.only} (any value): only those variants, no reference policies and no OPT;
 * {@code sim.noReplay} (true): no replay through the real cache.
 */
public final class TraceSim {
    private static final int PAGE = 4096;

    private TraceSim() {}

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
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity((long) c * PAGE)
                        .build();
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

    /**
     * A variant of the engine's policy by name: {@code engine} (what the cache uses), {@code plain} (S3-FIFO
     * without the frequency filter), or {@code s<percent>[g][r]} (small's share, filter ghosts, filter pages
     * referenced in small), e.g. {@code s10g}.
     */
    static QueuePolicy.Tuning tuning(String name) {
        switch (name) {
            case "engine":
                return QueuePolicy.Tuning.DEFAULT;
            case "plain":
                return QueuePolicy.Tuning.PLAIN;
            default:
                if (!name.matches("s\\d+g?r?(m\\d+)?a?")) {
                    throw new IllegalArgumentException(
                            "unknown policy variant " + name + " (engine, plain, or s<percent>[g][r])");
                }
                boolean adaptive = name.endsWith("a");
                String[] parts =
                        name.substring(1, name.length() - (adaptive ? 1 : 0)).split("m");
                int pct = Integer.parseInt(parts[0].replaceAll("\\D", ""));
                int margin = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
                return new QueuePolicy.Tuning(pct, parts[0].contains("g"), parts[0].contains("r"), margin, adaptive);
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
            String only = System.getProperty("sim.only", "");
            List<String> nameList = new ArrayList<>(List.of("LRU", "CLOCK", "ARC", "S3-FIFO", "W-TinyLFU"));
            List<IntFunction<Policy>> sims = new ArrayList<>(List.of(
                    Policies::lru, Policies::clock, Policies::arc, k -> Policies.s3fifo(k, 0.1), Policies::caffeine));
            if (!only.isEmpty()) {
                nameList.clear();
                sims.clear();
            }
            for (String v : System.getProperty("sim.engine", "plain,engine").split(",")) {
                if (v.isBlank()) {
                    continue;
                }
                nameList.add(v);
                QueuePolicy.Tuning tuning = tuning(v.trim());
                sims.add(k -> Policies.engine(k, tuning, Math.max(2, k / 32), Math.max(3, k / 16)));
            }
            nameList.add("OPT");
            nameList.add("cache");
            String[] names = nameList.toArray(String[]::new);
            int optAt = names.length - 2;
            boolean replay = !Boolean.getBoolean("sim.noReplay");
            System.out.printf(
                    Locale.ROOT, "%d frames, %d accesses per trace, seed %d; hit ratio %%%n", c, length, seed);
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
                    Policy p = sims.get(i).apply(c);
                    row[i] = 100.0 * Policies.run(p, t.pages()) / t.pages().length;
                    if (p instanceof AutoCloseable a) {
                        try {
                            a.close();
                        } catch (Exception ex) {
                            throw new IllegalStateException(ex);
                        }
                    }
                }
                row[optAt] = only.isEmpty() ? 100.0 * Policies.opt(c, t.pages()) / t.pages().length : Double.NaN;
                if (replay) {
                    long[] hf = replay(t, c, file);
                    row[optAt + 1] = 100.0 * hf[0] / (hf[0] + hf[1]);
                } else {
                    row[optAt + 1] = Double.NaN;
                }
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
