package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the {@link RandomizedHarness} in several shapes. Each case runs for {@code -Dpagecache.harness.seconds}
 * (3 by default) or, with {@code -Dpagecache.harness.ops=N}, N commands per thread; {@code -Dpagecache.harness.seed=N}
 * replays one seed in every case. Any discrepancy fails with the seed and the command plan.
 */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class RandomizedHarnessTest {

    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static Duration budget() {
        return Duration.ofMillis(
                (long) (Double.parseDouble(System.getProperty("pagecache.harness.seconds", "3")) * 1000));
    }

    private static long ops() {
        return Long.getLong("pagecache.harness.ops", 0L);
    }

    private static long seed(long caseSalt) {
        Long fixed = Long.getLong("pagecache.harness.seed");
        return fixed != null ? fixed : System.nanoTime() ^ (caseSalt * 0x9E3779B97F4A7C15L);
    }

    private RandomizedHarness.Result run(
            String name,
            int threads,
            int files,
            int pageSize,
            int capacityPages,
            int regionBytes,
            RandomizedHarness.Faults faults,
            long salt)
            throws Exception {
        RandomizedHarness.Config config = new RandomizedHarness.Config(
                seed(salt), threads, files, pageSize, capacityPages, regionBytes, budget(), ops(), faults);
        Figures.report(name, "start " + config);
        RandomizedHarness.Result result = new RandomizedHarness(config, dir).run();
        Figures.report(name, result.summary());
        assertTrue(result.commands() > 0, "no command ran");
        assertTrue(result.bytesVerified() > 0, "nothing was verified");
        return result;
    }

    /** Page-aligned regions, a cache much smaller than the files: eviction and write-back under every command. */
    @Test
    void alignedRegionsUnderEvictionMatchTheModel() throws Exception {
        RandomizedHarness.Result r = run("harness.aligned", 4, 3, PAGE, 12, 6 * PAGE, RandomizedHarness.Faults.NONE, 1);
        assertTrue(r.stats().evictions() > 0, "the cache was meant to evict: " + r.stats());
    }

    /**
     * Regions that are not page-aligned: neighbouring threads write different bytes of the same pages at once,
     * so a lost update or a torn page shows up as a model mismatch.
     */
    @Test
    void threadsSharingPagesLoseNoUpdate() throws Exception {
        run("harness.sharedPages", 4, 2, PAGE, 16, 5 * PAGE + PAGE / 2 + 13, RandomizedHarness.Faults.NONE, 2);
    }

    /**
     * The same with injected I/O faults under eviction: short reads and writes, page-ins that fail after scribbling
     * into the frame, write-backs that fail before writing or after a torn prefix.
     */
    @Test
    void injectedIoFaultsLoseNothingAcknowledged() throws Exception {
        RandomizedHarness.Result r =
                run("harness.ioFaults", 4, 3, PAGE, 12, 5 * PAGE + 777, RandomizedHarness.Faults.IO, 3);
        assertTrue(r.faults().values().stream().mapToLong(Long::longValue).sum() > 0, "no fault was injected");
    }

    /** All of that, and failing forces and truncates too. */
    @Test
    void injectedForceAndTruncateFaultsLoseNothingAcknowledged() throws Exception {
        RandomizedHarness.Result r =
                run("harness.allFaults", 4, 3, PAGE, 12, 5 * PAGE + 777, RandomizedHarness.Faults.ALL, 6);
        assertTrue(r.faults().values().stream().mapToLong(Long::longValue).sum() > 0, "no fault was injected");
    }

    /** Larger pages and a cache that holds most of the files. */
    @Test
    void largePagesRoomyCacheMatchTheModel() throws Exception {
        run("harness.largePages", 3, 2, 16 * 1024, 24, 3 * 16 * 1024 + 100, RandomizedHarness.Faults.NONE, 4);
    }

    /**
     * The everyday fault kinds run in CI by {@link #everydayFaultsLoseNothingAcknowledged}: all of them. A list of
     * kinds ({@code -Dpagecache.harness.everyday=INTERRUPT,UNLINK}) narrows a replay down.
     */
    static final String CI_EVERYDAY = "ALL";

    /** The fixed seeds of the everyday case; a random one is added to them, and printed. */
    private static final long[] EVERYDAY_SEEDS = {0x5EED0009L, 0x5EED0010L, 0x5EED0011L};

    /**
     * The everyday faults as weighted commands on top of the usual plan: interrupts of the workers' own calls,
     * {@code Error}s and {@code RuntimeException}s thrown by the store, handles, files and caches closed while a
     * helper thread works and holds page guards, delete/rename/re-create of files with open handles, and handles
     * through symlinks, hard links and {@code ..}. Runs each seed of {@code -Dpagecache.harness.seeds=N} (default 4:
     * three fixed seeds and one random, printed) with {@code -Dpagecache.harness.ops} commands per thread (default
     * 1000); {@code -Dpagecache.harness.everyday} picks the kinds (default: {@link #CI_EVERYDAY}).
     */
    @Test
    void everydayFaultsLoseNothingAcknowledged() throws Exception {
        Set<RandomizedHarness.Everyday> kinds =
                RandomizedHarness.Everyday.parse(System.getProperty("pagecache.harness.everyday", CI_EVERYDAY));
        long ops = ops() > 0 ? ops() : 1000;
        List<Long> seeds = new ArrayList<>();
        Long fixed = Long.getLong("pagecache.harness.seed");
        if (fixed != null) {
            seeds.add(fixed);
        } else {
            int count = Integer.getInteger("pagecache.harness.seeds", EVERYDAY_SEEDS.length + 1);
            long base = System.nanoTime() * 0x9E3779B97F4A7C15L;
            for (int i = 0; i < count; i++) {
                seeds.add(i < EVERYDAY_SEEDS.length ? EVERYDAY_SEEDS[i] : base + i * 0xBF58476D1CE4E5B9L);
            }
        }
        long commands = 0;
        long verified = 0;
        Map<String, Long> everyday = new TreeMap<>();
        Map<RandomizedHarness.Op, Long> byOp = new TreeMap<>();
        long started = System.nanoTime();
        for (int i = 0; i < seeds.size(); i++) {
            RandomizedHarness.Config config = new RandomizedHarness.Config(
                    seeds.get(i), 4, 3, PAGE, 12, 5 * PAGE + 777, budget(), ops, RandomizedHarness.Faults.NONE, kinds);
            Path runDir = Files.createDirectories(dir.resolve("seed-" + i));
            Figures.report("harness.everyday", "start " + (i + 1) + "/" + seeds.size() + " " + config);
            RandomizedHarness.Result r = new RandomizedHarness(config, runDir).run();
            Figures.report("harness.everyday", r.summary());
            assertTrue(
                    r.commands() > 0 && r.bytesVerified() > 0, "nothing ran or nothing was verified: " + r.summary());
            commands += r.commands();
            verified += r.bytesVerified();
            r.everyday().forEach((k, v) -> everyday.merge(k, v, Long::sum));
            r.ops().forEach((k, v) -> byOp.merge(k, v, Long::sum));
        }
        Figures.report(
                "harness.everyday",
                "TOTAL kinds=" + kinds + " seeds=" + seeds.size() + " commands=" + commands
                        + " bytesVerified=" + verified + " seconds=" + (System.nanoTime() - started) / 1_000_000_000.0
                        + " ops=" + byOp + " everyday=" + everyday + " divergences=0 lost=0 hangs=0");
        for (RandomizedHarness.Everyday kind : kinds) {
            long n = 0;
            for (RandomizedHarness.Op op : RandomizedHarness.Op.values()) {
                if (op.kind == kind) {
                    n += byOp.getOrDefault(op, 0L);
                }
            }
            assertTrue(n > 0, "no command of the everyday kind " + kind + " ran");
        }
    }

    /** One thread: the interleaving is fixed, so the seed replays the run exactly (same operation counts). */
    @Test
    void singleThreadRunIsReplayableFromItsSeed() throws Exception {
        long seed = seed(5);
        long ops = ops() > 0 ? ops() : 3_000;
        RandomizedHarness.Config config = new RandomizedHarness.Config(
                seed, 1, 2, PAGE, 8, 12 * PAGE, budget(), ops, RandomizedHarness.Faults.NONE);
        RandomizedHarness.Result first = new RandomizedHarness(config, Files.createDirectories(dir.resolve("a"))).run();
        RandomizedHarness.Result second =
                new RandomizedHarness(config, Files.createDirectories(dir.resolve("b"))).run();
        Figures.report("harness.replay", first.summary());
        assertEquals(first.ops(), second.ops(), "the same seed drew a different plan");
        assertEquals(first.bytesWritten(), second.bytesWritten(), "the same seed wrote different bytes");
    }
}
