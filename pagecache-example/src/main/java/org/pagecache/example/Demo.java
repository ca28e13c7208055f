package org.pagecache.example;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * Runs {@link RecordTable} end to end and prints what it did: creates a table, imports records from a memory-mapped
 * file, updates some in place from several threads while others read, deletes some, commits, shows an import whose
 * input is truncated under it, closes, reopens with a fresh cache and checks every record.
 *
 * <pre>
 * java -jar pagecache-example/target/pagecache-example-0.1.0-SNAPSHOT-all.jar [directory [records]]
 * </pre>
 * The directory defaults to a new temporary one and is left in place; the exit status is 0 only if every check passed.
 */
public final class Demo {
    private static final int PAGE_SIZE = 4096;
    private static final long CACHE_BYTES = 4L << 20;
    private static final int VALUE_SIZE = 48;
    private static final int UPDATERS = 4;
    private static final int READERS = 2;

    private Demo() {}

    /**
     * @param args an optional directory (default: a new temporary one) and an optional number of records (50000)
     * @throws Exception if a step or a check fails
     */
    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("pagecache-example-");
        int records = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
        run(dir, records, System.out);
    }

    /**
     * Runs the demo in {@code dir}, which must not hold a table from an earlier run.
     *
     * @throws IllegalStateException if a check fails
     */
    static void run(Path dir, int records, PrintStream out) throws Exception {
        if (records < 1000) {
            throw new IllegalArgumentException("records " + records + " is less than 1000");
        }
        Files.createDirectories(dir);
        Path tablePath = dir.resolve("table.db");
        Path input = dir.resolve("input.rec");
        Path badInput = dir.resolve("truncated.rec");
        int updated = records / 2;
        int deleteEvery = 50;
        out.printf("pagecache example in %s%n", dir);

        try (PageCache cache = newCache()) {
            out.printf("cache     %d-byte pages, %d KiB of frames%n", cache.pageSize(), CACHE_BYTES >> 10);
            RecordTable table = RecordTable.create(cache, tablePath, Math.max(1, records / 45), VALUE_SIZE);
            out.printf(
                    "create    %s: %d buckets, values up to %d bytes, %d records a page%n",
                    tablePath.getFileName(), table.buckets(), table.valueSize(), table.recordsPerPage());

            writeInput(input, 0, records, 0);
            out.printf(
                    "write     %s: %,d records, %,d bytes (plain file I/O, outside the cache)%n",
                    input.getFileName(), records, Files.size(input));

            long t0 = System.nanoTime();
            long imported = table.importRecords(input);
            out.printf(
                    "import    %,d records from the mapped %s in %d ms (staged by the cache's fault-safe write)%n",
                    imported, input.getFileName(), ms(t0));
            table.flush();

            t0 = System.nanoTime();
            long reads = updateWhileReading(table, records, updated);
            out.printf(
                    "update    %,d records in place from %d threads while %d threads read %,d records: every read "
                            + "consistent, %d ms%n",
                    updated, UPDATERS, READERS, reads, ms(t0));

            int deleted = 0;
            for (int key = 0; key < records; key += deleteEvery) {
                deleted += table.delete(key) ? 1 : 0;
            }
            out.printf("delete    %,d records%n", deleted);

            t0 = System.nanoTime();
            table.commit();
            out.printf("commit    %,d records durable (sync) in %d ms%n", table.count(), ms(t0));

            writeInput(badInput, 10L * records, 40_000, 0);
            long countBefore = table.count();
            long cut = Files.size(badInput) / 2 + 100;
            try {
                // After the first slice is staged, the input loses its second half (and no longer ends on a page).
                table.importRecords(badInput, staged -> truncate(badInput, cut));
                throw new IllegalStateException("the import of a truncated input succeeded");
            } catch (ImportFaultException e) {
                check(
                        table.count() == countBefore && table.get(10L * records) == null,
                        "a failed import left records behind");
                out.printf(
                        "fault     %s truncated during its import:%n          %s%n          %s%n"
                                + "          the table still holds %,d records, none from it%n",
                        badInput.getFileName(),
                        e.getMessage(),
                        e.getCause() == null ? "(a short write)" : e.getCause(),
                        table.count());
            }
            printStats(out, cache.stats());
            table.close();
        }

        try (PageCache cache = newCache();
                RecordTable table = RecordTable.open(cache, tablePath)) {
            long t0 = System.nanoTime();
            long present = 0;
            for (int key = 0; key < records; key++) {
                byte[] value = table.get(key);
                byte[] expected = key % deleteEvery == 0 ? null : value(key, key < updated ? 1 : 0);
                check(
                        expected == null ? value == null : value != null && Arrays.equals(value, expected),
                        "key " + key + " reads " + (value == null ? "nothing" : new String(value, US_ASCII)));
                present += value == null ? 0 : 1;
            }
            check(present == table.count(), "count " + table.count() + " but " + present + " records found");
            out.printf(
                    "reopen    %s with a new cache: %,d records in %,d pages; all %,d keys checked in %d ms%n",
                    tablePath.getFileName(), table.count(), table.pages(), records, ms(t0));
            printStats(out, cache.stats());
        }
        out.println("ok");
    }

    private static PageCache newCache() {
        return OffHeapPageCache.builder()
                .pageSize(PAGE_SIZE)
                .capacity(CACHE_BYTES)
                .build();
    }

    static byte[] value(long key, int version) {
        return ("record " + key + " version " + version).getBytes(US_ASCII);
    }

    private static void writeInput(Path path, long firstKey, int records, int version) throws IOException {
        try (ImportFile file = ImportFile.create(path, VALUE_SIZE)) {
            for (long key = firstKey; key < firstKey + records; key++) {
                file.add(key, value(key, version));
            }
        }
    }

    /** Updates keys below {@code updated} from several threads while other threads read and check random keys. */
    private static long updateWhileReading(RecordTable table, int records, int updated) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        List<Thread> updaters = new ArrayList<>();
        for (int t = 0; t < UPDATERS; t++) {
            int first = t;
            updaters.add(Thread.ofPlatform()
                    .name("updater-" + t)
                    .start(() -> guarded(failure, () -> {
                        for (int key = first; key < updated; key += UPDATERS) {
                            table.put(key, value(key, 1));
                        }
                    })));
        }
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < READERS; t++) {
            readers.add(Thread.ofPlatform()
                    .name("reader-" + t)
                    .start(() -> guarded(failure, () -> {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        while (updaters.stream().anyMatch(Thread::isAlive)) {
                            int key = random.nextInt(records);
                            byte[] v = table.get(key);
                            check(
                                    v != null && (Arrays.equals(v, value(key, 0)) || Arrays.equals(v, value(key, 1))),
                                    "key " + key + " read as " + (v == null ? "nothing" : new String(v, US_ASCII)));
                            reads.incrementAndGet();
                        }
                    })));
        }
        for (Thread t : updaters) {
            t.join();
        }
        for (Thread t : readers) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a worker failed", failure.get());
        }
        return reads.get();
    }

    private interface Work {
        void run() throws Exception;
    }

    private static void guarded(AtomicReference<Throwable> failure, Work work) {
        try {
            work.run();
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    private static void truncate(Path file, long size) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void printStats(PrintStream out, PageCacheStats s) {
        out.printf(
                "stats     hits %,d, page-ins %,d (hit ratio %.3f), evictions %,d, write-backs %,d in %,d batches%n"
                        + "          copies: %,d through temporary pages (mapped sources), %,d direct; source faults %,d%n"
                        + "          lock waits %,d (%.1f ms); frames %,d: %,d free, %,d dirty, %,d pinned%n",
                s.hits(),
                s.faults(),
                s.hitRatio(),
                s.evictions(),
                s.writebacks(),
                s.writebackBatches(),
                s.tempPageCopies(),
                s.directCopies(),
                s.sourceFaults(),
                s.lockWaits(),
                s.lockWaitNanos() / 1e6,
                s.frames(),
                s.freeFrames(),
                s.dirtyFrames(),
                s.pinnedFrames());
    }

    private static void check(boolean condition, String failure) {
        if (!condition) {
            throw new IllegalStateException("check failed: " + failure);
        }
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
