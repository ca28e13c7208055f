package org.pagecache.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pagecache.example.RecordTableTest.value;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pagecache.api.PageCache;
import org.pagecache.api.SourceFaultException;
import org.pagecache.offheap.testing.Threads;

class ImportTest {
    private static final int PAGE = 4096;
    private static final int VALUE_SIZE = 48;
    private static final int RECORD = RecordTable.slotSize(VALUE_SIZE);
    /** The bytes {@link RecordTable#importRecords} stages per write call. */
    private static final long SLICE = 1 << 20;
    /** Keys of the records a table holds before an import. */
    private static final long EXISTING = 2_000;
    /** Keys of an import file start here. */
    private static final long FIRST_IMPORTED = 1_000_000;

    @TempDir
    Path dir;

    private static PageCache cache() {
        return RecordTableTest.cache(256); // 1 MiB: less than the input, the table and the staged copy together
    }

    /** Fills a table with {@link #EXISTING} records and returns them. */
    private static Map<Long, byte[]> fill(RecordTable table) throws IOException {
        Map<Long, byte[]> model = new HashMap<>();
        for (long key = 0; key < EXISTING; key++) {
            byte[] v = value(key, 0, VALUE_SIZE);
            table.put(key, v);
            model.put(key, v);
        }
        return model;
    }

    /** Writes an import file of {@code records} records with keys from {@link #FIRST_IMPORTED}, recording them. */
    private static void writeInput(Path input, int records, Map<Long, byte[]> model) throws IOException {
        try (ImportFile file = ImportFile.create(input, VALUE_SIZE)) {
            for (long key = FIRST_IMPORTED; key < FIRST_IMPORTED + records; key++) {
                byte[] v = value(key, 1, VALUE_SIZE);
                file.add(key, v);
                if (model != null) {
                    model.put(key, v);
                }
            }
        }
        assertEquals((long) records * RECORD, Files.size(input));
    }

    private static void assertTable(RecordTable table, Map<Long, byte[]> model, long importedKeys) throws IOException {
        for (long key = 0; key < EXISTING; key++) {
            assertArrayEquals(model.get(key), table.get(key), "key " + key);
        }
        for (long key = FIRST_IMPORTED; key < FIRST_IMPORTED + importedKeys; key++) {
            byte[] expected = model.get(key);
            if (expected == null) {
                assertNull(table.get(key), "key " + key + " of the failed import is visible");
            } else {
                assertArrayEquals(expected, table.get(key), "key " + key);
            }
        }
        assertEquals(model.size(), table.count());
    }

    private Set<String> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".import"))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void importsEveryRecordOfAMappedFileThroughTheFaultSafePath() throws IOException {
        Path tablePath = dir.resolve("t.db");
        Path input = dir.resolve("in.rec");
        Map<Long, byte[]> model;
        int records = 40_000; // 2.5 MB: three staging slices
        try (PageCache cache = cache();
                RecordTable table = RecordTable.create(cache, tablePath, 64, VALUE_SIZE)) {
            model = fill(table);
            try (ImportFile file = ImportFile.create(input, VALUE_SIZE)) {
                for (long key = FIRST_IMPORTED; key < FIRST_IMPORTED + records; key++) {
                    file.add(key, value(key, 1, VALUE_SIZE));
                    model.put(key, value(key, 1, VALUE_SIZE));
                }
                for (long key = 0; key < 100; key++) { // existing keys are replaced
                    file.add(key, value(key, 2, VALUE_SIZE));
                }
                file.add(7, value(7, 3, VALUE_SIZE)); // a repeated key ends with its last value
            }
            for (long key = 0; key < 100; key++) {
                model.put(key, value(key, key == 7 ? 3 : 2, VALUE_SIZE));
            }
            long tempCopies = cache.stats().tempPageCopies();
            List<Long> progress = new java.util.ArrayList<>();
            assertEquals(records + 101, table.importRecords(input, progress::add));
            assertEquals(List.of(SLICE, 2 * SLICE, Files.size(input)), progress);
            long pages = (Files.size(input) + PAGE - 1) / PAGE;
            assertTrue(
                    cache.stats().tempPageCopies() - tempCopies >= pages,
                    "every page of the mapped input went through a temporary page");
            assertTable(table, model, records);
            assertEquals(Set.of(), leftovers(), "the staging file is gone");
        }
        try (PageCache cache = cache();
                RecordTable table = RecordTable.open(cache, tablePath)) {
            assertTable(table, model, records);
        }
    }

    @Test
    void anEmptyInputImportsNothing() throws IOException {
        Path input = dir.resolve("empty.rec");
        Files.write(input, new byte[0]);
        try (PageCache cache = cache();
                RecordTable table = RecordTable.create(cache, dir.resolve("t.db"), 8, VALUE_SIZE)) {
            assertEquals(0, table.importRecords(input));
            assertEquals(0, table.count());
        }
    }

    @Test
    void aMalformedInputImportsNothing() throws IOException {
        Path input = dir.resolve("bad.rec");
        try (PageCache cache = cache();
                RecordTable table = RecordTable.create(cache, dir.resolve("t.db"), 8, VALUE_SIZE)) {
            Map<Long, byte[]> model = fill(table);
            writeInput(input, 1_000, null);
            try (FileChannel channel = FileChannel.open(input, StandardOpenOption.WRITE)) {
                // Record 600 claims a value longer than the table's values.
                channel.write(
                        ByteBuffer.allocate(4)
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                                .putInt(0, VALUE_SIZE + 1),
                        600L * RECORD + RecordLayout.SLOT_LENGTH);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.importRecords(input));
            assertTrue(
                    e.getMessage().contains("record 600") && e.getMessage().contains("value length 49"),
                    e.getMessage());
            assertTable(table, model, 1_000);

            try (FileChannel channel = FileChannel.open(input, StandardOpenOption.WRITE)) {
                channel.truncate(1_000L * RECORD - 1);
            }
            e = assertThrows(IllegalArgumentException.class, () -> table.importRecords(input));
            assertTrue(e.getMessage().contains("not a whole number"), e.getMessage());
            assertTable(table, model, 1_000);
            assertEquals(Set.of(), leftovers());
        }
    }

    /**
     * The input loses its tail while the import runs (after the first slice is staged): at a slice boundary the next
     * write throws {@link SourceFaultException}; inside a page the write comes back short. Either way the import
     * reports where it faulted and no record of it is visible, now or after a reopen.
     */
    @ParameterizedTest
    @ValueSource(longs = {2 * (1 << 20), (1 << 20) + 300_000 + 17})
    void anInputTruncatedDuringTheImportIsReportedAndNothingIsImported(long cut) throws IOException {
        Path tablePath = dir.resolve("t.db");
        Path input = dir.resolve("in.rec");
        Map<Long, byte[]> model;
        int records = 60_000; // 3.8 MB: four slices
        try (PageCache cache = cache();
                RecordTable table = RecordTable.create(cache, tablePath, 64, VALUE_SIZE)) {
            model = fill(table);
            writeInput(input, records, null);
            long faultsBefore = cache.stats().sourceFaults();
            ImportFaultException e = assertThrows(
                    ImportFaultException.class,
                    () -> table.importRecords(input, staged -> {
                        if (staged == SLICE) {
                            truncate(input, cut);
                        }
                    }));
            if (cut % SLICE == 0) {
                assertEquals(cut, e.offset(), e.getMessage());
            } else {
                // Usually the first page wholly past the new end; later if the kernel kept a large folio that
                // straddles the cut (its tail then reads as zeros), but always before the old end.
                assertTrue(
                        e.offset() >= cut && e.offset() < (long) records * RECORD && e.offset() % PAGE == 0,
                        e.getMessage());
            }
            if (e.offset() % SLICE == 0) {
                assertInstanceOf(SourceFaultException.class, e.getCause(), "a fault before any byte of a write");
            } else {
                assertNull(e.getCause(), "a short write");
            }
            assertEquals(input, e.input());
            assertTrue(e.getMessage().contains("nothing was imported"), e.getMessage());
            assertEquals(faultsBefore + 1, cache.stats().sourceFaults(), "the cache counted the source fault");
            assertTable(table, model, records);
            assertEquals(Set.of(), leftovers(), "the staging file is gone");

            // The cache and the table are fine: a good import works next.
            writeInput(input, 5_000, model);
            assertEquals(5_000, table.importRecords(input));
            assertTable(table, model, records);
        }
        try (PageCache cache = cache();
                RecordTable table = RecordTable.open(cache, tablePath)) {
            assertTable(table, model, records);
        }
    }

    /**
     * Another thread truncates the input at a random moment once the import has started: the import either
     * completes (the truncation came after the input was staged) with every record, or fails with the fault (or, if
     * the cut's tail read as zeros, as malformed) and no record of the input visible.
     */
    @Test
    void anInputTruncatedByAnotherThreadIsAllOrNothing() throws Exception {
        int rounds = 8;
        int faulted = 0;
        for (int round = 0; round < rounds; round++) {
            Path tablePath = dir.resolve("race" + round + ".db");
            Path input = dir.resolve("race" + round + ".rec");
            int records = 60_000; // 3.8 MB: four slices
            try (PageCache cache = RecordTableTest.cache(4096);
                    RecordTable table = RecordTable.create(cache, tablePath, 1024, VALUE_SIZE);
                    FileChannel truncator =
                            FileChannel.open(input, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                Map<Long, byte[]> model = fill(table);
                Map<Long, byte[]> imported = new HashMap<>(model);
                writeInput(input, records, imported);
                CountDownLatch started = new CountDownLatch(1);
                AtomicReference<Object> outcome = new AtomicReference<>();
                long delayNanos = ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(2));
                long cut = ThreadLocalRandom.current().nextLong(Files.size(input));
                Threads.runAll(
                        Duration.ofSeconds(60),
                        List.of(
                                () -> {
                                    try {
                                        outcome.set(table.importRecords(input, staged -> started.countDown()));
                                    } catch (ImportFaultException | IllegalArgumentException e) {
                                        outcome.set(e);
                                    } finally {
                                        started.countDown();
                                    }
                                },
                                () -> {
                                    assertTrue(started.await(30, TimeUnit.SECONDS), "the import never started");
                                    for (long end = System.nanoTime() + delayNanos; System.nanoTime() < end; ) {
                                        Thread.onSpinWait();
                                    }
                                    truncator.truncate(cut);
                                }));
                if (outcome.get() instanceof IllegalArgumentException e) {
                    // The cut fell inside a large folio the kernel kept: its tail read as zeros, with no fault.
                    assertTrue(e.getMessage().contains("malformed: flags 0"), e.getMessage());
                    assertTable(table, model, records);
                } else if (outcome.get() instanceof ImportFaultException e) {
                    faulted++;
                    assertTrue(
                            e.offset() >= SLICE && e.offset() >= cut, "faulted at " + e.offset() + ", cut at " + cut);
                    assertTable(table, model, records);
                } else {
                    assertEquals((long) records, outcome.get(), "the import finished");
                    assertTable(table, imported, records);
                }
                assertEquals(Set.of(), leftovers());
            }
        }
        System.out.println("imports that faulted: " + faulted + " of " + rounds);
    }

    private static void truncate(Path file, long size) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aMissingInputIsReportedAndLeavesNoStagingFile() throws IOException {
        try (PageCache cache = cache();
                RecordTable table = RecordTable.create(cache, dir.resolve("t.db"), 8, VALUE_SIZE)) {
            assertThrows(
                    java.nio.file.NoSuchFileException.class, () -> table.importRecords(dir.resolve("missing.rec")));
            assertEquals(Set.of(), leftovers());
            assertFalse(Files.exists(dir.resolve("missing.rec")));
        }
    }
}
