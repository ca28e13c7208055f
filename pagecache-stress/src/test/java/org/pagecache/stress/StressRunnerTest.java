package org.pagecache.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.FileChannelStore;
import org.pagecache.offheap.store.StoreFactory;

/**
 * Runs the stress runner for a few seconds on small files: a clean run must pass with a well-formed JSON report;
 * a run over a store that corrupts page-ins or drops write-backs must fail.
 */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class StressRunnerTest {

    /** Every run here must end within this, or the test fails with a thread dump. */
    private static final long RUN_LIMIT_SECONDS = 180;

    private static final String[] SMALL = {
        "--cache-size",
        "1m",
        "--file-size",
        "2m",
        "--files",
        "3",
        "--writers",
        "2",
        "--readers",
        "2",
        "--source-files",
        "2",
        "--source-size",
        "1m",
    };

    @TempDir
    Path tmp;

    @Test
    void shortRunPassesAndWritesAJsonReport() throws Exception {
        Path json = tmp.resolve("report.json");
        Path dir = Files.createDirectories(tmp.resolve("run"));
        Result r = run(
                FileChannelStore.FACTORY,
                concat(
                        SMALL,
                        "--duration",
                        "4s",
                        "--seed",
                        "0x5eed",
                        "--dir",
                        dir.toString(),
                        "--json",
                        json.toString()));
        assertEquals(StressRunner.EXIT_PASSED, r.status, r.text());
        assertTrue(r.out.contains("verification     PASSED"), r.text());
        assertTrue(r.out.contains("write.mapped-buffer"), r.text());

        Map<String, Object> report = object(ReportJson.parse(Files.readString(json)));
        assertEquals(1L, report.get("schemaVersion"));
        assertEquals("PASSED", report.get("result"));
        assertEquals(Boolean.TRUE, report.get("passed"));
        assertEquals(0L, report.get("exitCode"));
        assertEquals("0x5eed", report.get("seed"));
        assertTrue(((String) report.get("replay")).contains("--seed 0x5eed"));
        assertEquals(Boolean.FALSE, report.get("filesKept"));
        double elapsed = ((Number) report.get("elapsedSeconds")).doubleValue();
        assertTrue(elapsed >= 3.9 && elapsed < 60, "elapsed " + elapsed);

        Map<String, Object> config = object(report.get("config"));
        assertEquals(2L, config.get("writers"));
        assertEquals(2L, config.get("readers"));
        assertEquals(1L << 20, config.get("cacheSize"));
        assertEquals(4096L, config.get("pageSize"));
        assertEquals(2L << 20, config.get("fileSize"));
        assertEquals(3L, config.get("files"));
        assertEquals(List.of("mapped-buffer", "mapped-segment", "view", "heap"), config.get("sources"));
        assertEquals(Boolean.TRUE, config.get("truncate"));
        assertEquals(dir.toString(), config.get("dir"));

        Map<String, Object> ops = object(report.get("operations"));
        long cacheOps = 0;
        for (OpKind kind : OpKind.values()) {
            Map<String, Object> op = object(ops.get(kind.label));
            long count = (Long) op.get("count");
            Map<String, Object> latency = object(op.get("latencyNanos"));
            for (String key : List.of("mean", "p50", "p90", "p99", "p999", "max")) {
                assertNotNull(latency.get(key), kind.label + " latency " + key);
            }
            if (kind != OpKind.SYNC) { // syncs come every 1-3 s per writer: not certain in 4 s
                assertTrue(count > 0, "no " + kind.label + " operations: " + r.text());
                assertTrue((Long) latency.get("p50") <= (Long) latency.get("max"));
            }
            if (kind.cacheOp) {
                cacheOps += count;
            }
        }
        assertEquals(cacheOps, report.get("cacheOperations"));

        Map<String, Object> faults = object(report.get("sourceFaults"));
        assertTrue((Long) faults.get("truncations") > 0, "the truncator never ran");
        assertTrue(
                (Long) faults.get("shortWrites") + (Long) faults.get("faultExceptions") > 0,
                "no write faulted on a truncated source: " + r.text());

        Map<String, Object> cache = object(report.get("cache"));
        for (String key : List.of(
                "hits",
                "faults",
                "hitRatio",
                "evictions",
                "writebacks",
                "writebackBatches",
                "tempPageCopies",
                "directCopies",
                "fastPathHits",
                "fastPathFallbacks",
                "sourceFaults",
                "lockWaits",
                "lockWaitNanos",
                "frames",
                "freeFrames",
                "dirtyFrames",
                "pinnedFrames")) {
            assertInstanceOf(Number.class, cache.get(key), "cache." + key);
        }
        assertEquals(256L, cache.get("frames"));
        assertTrue((Long) cache.get("evictions") > 0, "files 6x the cache but no eviction");
        assertTrue((Long) cache.get("faults") > 0);
        assertTrue((Long) cache.get("sourceFaults")
                >= (Long) faults.get("shortWrites") + (Long) faults.get("faultExceptions"));

        Map<String, Object> v = object(report.get("verification"));
        assertEquals(Boolean.TRUE, v.get("passed"));
        assertEquals(0L, v.get("mismatches"));
        assertEquals(0L, v.get("errors"));
        assertEquals(Boolean.FALSE, v.get("hung"));
        assertEquals(List.of(), v.get("failures"));
        long files = 3L * (2L << 20);
        assertEquals(files, v.get("finalCacheBytesVerified"), "the final pass checks every byte through the cache");
        assertEquals(files, v.get("finalDiskBytesVerified"), "the final pass checks every byte on disk");
        assertTrue((Long) v.get("liveBytesVerified") > 0);
        assertEquals((Long) v.get("liveBytesVerified") + 2 * files, v.get("bytesVerified"));
        assertInstanceOf(List.class, report.get("warnings"));

        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(
                    List.of(), left.toList(), "the run's files are deleted at the end (the directory existed before)");
        }
    }

    @Test
    void directIoRunPassesWithEveryCachedFileOpenedDirect() throws Exception {
        Path json = tmp.resolve("direct.json");
        Path dir = Files.createDirectories(tmp.resolve("direct"));
        AtomicInteger directOpens = new AtomicInteger();
        StoreFactory counting = (file, options) -> {
            if (options.contains(com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
                directOpens.incrementAndGet();
            }
            return FileChannelStore.FACTORY.open(file, options);
        };
        Result r = run(
                counting,
                concat(
                        SMALL,
                        "--duration",
                        "3s",
                        "--seed",
                        "0xd1",
                        "--dir",
                        dir.toString(),
                        "--json",
                        json.toString(),
                        "--direct-io"));
        assertEquals(StressRunner.EXIT_PASSED, r.status, r.text());
        assertTrue(r.out.contains("direct I/O on"), r.text());
        assertTrue(directOpens.get() >= 3, "every cached file had a direct descriptor: " + directOpens.get());
        Map<String, Object> report = object(ReportJson.parse(Files.readString(json)));
        assertEquals(Boolean.TRUE, object(report.get("config")).get("directIo"));
        assertEquals(Boolean.TRUE, object(report.get("verification")).get("passed"));
    }

    @Test
    void storeThatFlipsBytesOnPageInFailsTheRun() throws Exception {
        AtomicLong reads = new AtomicLong();
        AtomicInteger flipped = new AtomicInteger();
        StoreFactory flipping = (file, options) -> new DelegatingStore(FileChannelStore.open(file, options)) {
            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                int start = dst.position();
                int n = super.read(dst, position);
                if (n > 0 && reads.incrementAndGet() % 5 == 0) {
                    dst.put(start, (byte) (dst.get(start) ^ 0x5A));
                    flipped.incrementAndGet();
                }
                return n;
            }
        };
        Path json = tmp.resolve("flip.json");
        Path dir = tmp.resolve("flip");
        Result r = run(
                flipping,
                concat(SMALL, "--duration", "20s", "--seed", "77", "--dir", dir.toString(), "--json", json.toString()));
        assertTrue(flipped.get() > 0, "the store never flipped a byte");
        assertFailed(r, json, dir, "0x4d");
        Map<String, Object> v =
                object(object(ReportJson.parse(Files.readString(json))).get("verification"));
        assertTrue((Long) v.get("mismatches") > 0, r.text());
    }

    @Test
    void storeThatDropsWriteBacksFailsTheRun() throws Exception {
        AtomicLong writes = new AtomicLong();
        AtomicInteger dropped = new AtomicInteger();
        StoreFactory dropping = (file, options) -> new DelegatingStore(FileChannelStore.open(file, options)) {
            @Override
            public long write(ByteBuffer[] srcs, long position) throws IOException {
                if (writes.incrementAndGet() % 3 == 0) {
                    long n = 0;
                    for (ByteBuffer b : srcs) {
                        n += b.remaining();
                        b.position(b.limit());
                    }
                    dropped.incrementAndGet();
                    return n; // claims success, writes nothing
                }
                return super.write(srcs, position);
            }
        };
        Path json = tmp.resolve("drop.json");
        Path dir = tmp.resolve("drop");
        Result r = run(
                dropping,
                concat(SMALL, "--duration", "20s", "--seed", "99", "--dir", dir.toString(), "--json", json.toString()));
        assertTrue(dropped.get() > 0, "the store never dropped a write");
        assertFailed(r, json, dir, "0x63");
        Map<String, Object> v =
                object(object(ReportJson.parse(Files.readString(json))).get("verification"));
        assertTrue((Long) v.get("mismatches") > 0, r.text());
    }

    @Test
    void aStuckCacheIsReportedAsAHangWithAThreadDump() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong reads = new AtomicLong();
        StoreFactory stuck = (file, options) -> new DelegatingStore(FileChannelStore.open(file, options)) {
            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                if (reads.incrementAndGet() > 2_000) {
                    try {
                        release.await(); // a page-in that never completes
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.read(dst, position);
            }
        };
        Path json = tmp.resolve("hang.json");
        StressRunner.stopTimeoutSeconds = 3;
        try {
            Result r = run(
                    stuck,
                    concat(
                            SMALL,
                            "--duration",
                            "3s",
                            "--seed",
                            "5",
                            "--dir",
                            tmp.resolve("hang").toString(),
                            "--json",
                            json.toString()));
            System.out.println(r.text());
            assertEquals(StressRunner.EXIT_FAILED, r.status, r.text());
            assertTrue(r.out.contains("verification     FAILED") && r.out.contains("HUNG"), r.text());
            assertTrue(r.out.contains("did not stop within 3 s"), r.text());
            assertTrue(
                    r.out.contains("\"stress-writer-0\"") || r.out.contains("\"stress-reader-0\""),
                    "no thread dump: " + r.text());
            assertTrue(
                    r.out.contains("release.await") || r.out.contains("CountDownLatch.await"),
                    "the dump does not show where the threads are stuck: " + r.text());
            Map<String, Object> report = object(ReportJson.parse(Files.readString(json)));
            assertEquals("FAILED", report.get("result"));
            assertEquals(Boolean.TRUE, object(report.get("verification")).get("hung"));
        } finally {
            release.countDown();
            StressRunner.stopTimeoutSeconds = StressRunner.STOP_TIMEOUT_SECONDS;
        }
    }

    private static void assertFailed(Result r, Path json, Path dir, String seed) throws IOException {
        System.out.println(r.text()); // kept in the surefire report: what a failing run looks like
        assertEquals(StressRunner.EXIT_FAILED, r.status, r.text());
        assertTrue(r.out.contains("verification     FAILED"), r.text());
        assertTrue(r.out.contains("MISMATCH"), r.text());
        assertTrue(r.out.contains("seed             " + seed), "the seed is not printed: " + r.text());
        assertTrue(
                r.out.contains("replay with      scripts/stress.sh ") && r.out.contains("--seed " + seed),
                "no replay command: " + r.text());
        assertTrue(r.out.contains("files kept in    " + dir), r.text());
        try (Stream<Path> kept = Files.list(dir)) {
            assertFalse(kept.toList().isEmpty(), "a failed run keeps its files");
        }
        Map<String, Object> report = object(ReportJson.parse(Files.readString(json)));
        assertEquals("FAILED", report.get("result"));
        assertEquals(Boolean.FALSE, report.get("passed"));
        assertEquals(1L, report.get("exitCode"));
        assertEquals(seed, report.get("seed"));
        Map<String, Object> v = object(report.get("verification"));
        assertEquals(Boolean.FALSE, v.get("passed"));
        assertFalse(((List<?>) v.get("failures")).isEmpty());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o) {
        assertInstanceOf(Map.class, o);
        return (Map<String, Object>) o;
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private record Result(int status, String out, String err) {
        String text() {
            return "status " + status + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    /** Runs the runner on its own thread, bounded; a hang fails the test with a dump of every thread. */
    private static Result run(StoreFactory stores, String... args) throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int[] status = {-1};
        Thread t = new Thread(
                () -> status[0] = StressRunner.run(
                        args,
                        stores,
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        false),
                "stress-test-run");
        t.setDaemon(true);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(RUN_LIMIT_SECONDS));
        if (t.isAlive()) {
            fail("the stress run did not end within " + RUN_LIMIT_SECONDS + " s\n"
                    + out.toString(StandardCharsets.UTF_8) + "\n" + ThreadDump.all());
        }
        return new Result(status[0], out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A store that forwards everything to another. */
    private static class DelegatingStore implements BackingStore {
        private final BackingStore delegate;

        DelegatingStore(BackingStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return delegate.read(dst, position);
        }

        @Override
        public long write(ByteBuffer[] srcs, long position) throws IOException {
            return delegate.write(srcs, position);
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            delegate.truncate(size);
        }

        @Override
        public void force(boolean metadata) throws IOException {
            delegate.force(metadata);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
