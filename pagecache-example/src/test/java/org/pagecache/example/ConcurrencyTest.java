package org.pagecache.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.offheap.testing.Threads;

/**
 * Writers and readers on real threads against one table. Readers must never see a torn value, a value going back
 * to an older version, or a record that is never deleted disappearing; the table must end exactly as the writers
 * left it, and reopen so.
 */
class ConcurrencyTest {
    private static final int VALUE_SIZE = 40;
    private static final int WRITERS = 3;
    private static final int READERS = 3;
    private static final long RUN_NANOS = Duration.ofMillis(1200).toNanos();

    @TempDir
    Path dir;

    /** A few keys in one page: every write races with reads of the same page and often of the same record. */
    @Test
    void readersOfOneHotPageSeeWholeValuesThatNeverGoBack() throws IOException {
        run(24, 1, 64);
    }

    /** Long chains in shared buckets, in a cache a fraction of the table's size: pages move in and out under both. */
    @Test
    void readersAndWritersOfLongChainsStayConsistentUnderEviction() throws IOException {
        // 8 buckets of 73 records a page hold 6,000 keys in chains of about 10 pages; 48 frames hold a fraction.
        PageCacheStats stats = run(6_000, 8, 48);
        assertTrue(stats.evictions() > 100, "the table did not fit in the cache: " + stats);
    }

    /**
     * A value that proves itself: key, version, then bytes derived from both, with a length derived from both. A
     * torn read (part of one version, part of another) or a value from the wrong slot fails {@link #decode}.
     */
    static byte[] encode(long key, long version) {
        int length = 16 + Math.floorMod(key + version, VALUE_SIZE - 16 + 1);
        ByteBuffer b = ByteBuffer.allocate(length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(key)
                .putLong(version);
        while (b.hasRemaining()) {
            b.put((byte) (key ^ version * 31 ^ b.position()));
        }
        return b.array();
    }

    /** @return the version of a value of {@code key}, after checking every byte of it */
    static long decode(long key, byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if (value.length < 16 || b.getLong(0) != key) {
            throw new AssertionError("key " + key + " read a value of " + value.length + " bytes for key "
                    + (value.length >= 8 ? b.getLong(0) : "?"));
        }
        long version = b.getLong(8);
        if (!Arrays.equals(value, encode(key, version))) {
            throw new AssertionError(
                    "key " + key + " read a torn value of version " + version + ": " + Arrays.toString(value));
        }
        return version;
    }

    /** Sticky keys are never deleted: once a reader saw one, it must find it on every later read. */
    private static boolean sticky(long key) {
        return (key / WRITERS) % 2 == 0;
    }

    private PageCacheStats run(int keys, int buckets, int frames) throws IOException {
        Path path = dir.resolve("t.db");
        List<Map<Long, Long>> finals = new ArrayList<>();
        AtomicLong reads = new AtomicLong();
        AtomicLong found = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        PageCacheStats stats;
        try (PageCache cache = RecordTableTest.cache(frames);
                RecordTable table = RecordTable.create(cache, path, buckets, VALUE_SIZE)) {
            CountDownLatch writing = new CountDownLatch(WRITERS);
            List<Threads.Task> tasks = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Map<Long, Long> model = new HashMap<>(); // key -> last version put, or -1 if deleted last
                finals.add(model);
                tasks.add(() -> {
                    try {
                        writes.addAndGet(write(table, keys, writer, model));
                    } finally {
                        writing.countDown();
                    }
                });
            }
            for (int r = 0; r < READERS; r++) {
                int reader = r;
                tasks.add(() -> {
                    // Versions of a key only grow, so a reader that saw version v must never see an older one.
                    long[] seen = new long[keys];
                    SplittableRandom random = new SplittableRandom(100 + reader);
                    while (writing.getCount() > 0) {
                        int key = random.nextInt(keys);
                        byte[] value = table.get(key);
                        reads.incrementAndGet();
                        if (value == null) {
                            assertTrue(
                                    seen[key] == 0 || !sticky(key),
                                    "sticky key " + key + " vanished after version " + seen[key]);
                        } else {
                            long version = decode(key, value);
                            assertTrue(
                                    version >= seen[key],
                                    "key " + key + " went back from version " + seen[key] + " to " + version);
                            seen[key] = version;
                            found.incrementAndGet();
                        }
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(90), tasks);

            System.out.printf(
                    "%d keys in %d buckets, %d frames: %d writes, %d reads (%d found)%n",
                    keys, buckets, frames, writes.get(), reads.get(), found.get());
            assertTrue(
                    reads.get() > 1_000 && found.get() > 100, "readers ran: " + reads + " reads, " + found + " found");
            assertFinalState(table, finals);
            stats = cache.stats();
            System.out.println(stats);
        }
        try (PageCache cache = RecordTableTest.cache(frames);
                RecordTable table = RecordTable.open(cache, path)) {
            assertFinalState(table, finals);
        }
        return stats;
    }

    /**
     * Writer {@code writer} owns the keys {@code k} with {@code k % WRITERS == writer}, so every bucket is shared by
     * every writer. It puts (new versions, growing) and deletes (never a sticky key) at random, checking what each
     * call reports and recording the last thing it did to each key.
     *
     * @return the number of writes
     */
    private static long write(RecordTable table, int keys, int writer, Map<Long, Long> model) throws IOException {
        SplittableRandom random = new SplittableRandom(writer);
        long version = 0;
        long end = System.nanoTime() + RUN_NANOS;
        while (System.nanoTime() < end) {
            long key = random.nextInt(keys / WRITERS) * (long) WRITERS + writer;
            version++;
            if (!sticky(key) && random.nextInt(4) == 0) {
                assertEquals(model.getOrDefault(key, -1L) >= 0, table.delete(key), "delete of key " + key);
                model.put(key, -1L);
            } else {
                assertEquals(
                        model.getOrDefault(key, -1L) < 0, table.put(key, encode(key, version)), "put of key " + key);
                model.put(key, version);
            }
        }
        return version;
    }

    private static void assertFinalState(RecordTable table, List<Map<Long, Long>> finals) throws IOException {
        long present = 0;
        for (Map<Long, Long> model : finals) {
            for (Map.Entry<Long, Long> e : model.entrySet()) {
                if (e.getValue() < 0) {
                    assertNull(table.get(e.getKey()), "key " + e.getKey() + " was deleted last");
                } else {
                    assertArrayEquals(encode(e.getKey(), e.getValue()), table.get(e.getKey()), "key " + e.getKey());
                    present++;
                }
            }
        }
        assertEquals(present, table.count(), "count");
        assertTrue(present > 0, "writers filled the table");
    }
}
