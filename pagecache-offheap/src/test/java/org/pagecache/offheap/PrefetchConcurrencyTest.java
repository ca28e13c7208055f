package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.store.FileChannelStore;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.testing.Threads;

/**
 * One thread's prefetches page in concurrently: the store holds every read until {@link Prefetcher#THREADS} of
 * them are in flight at once, which happens only if that many page-ins run in parallel (with fewer prefetch
 * threads the gate times out and the test fails). No timing is asserted: the gate either opens or does not.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrefetchConcurrencyTest {
    private static final int PAGE = 4096;
    private static final int N = Prefetcher.THREADS;

    @TempDir
    Path dir;

    /** Holds each read until {@code gate} has counted down to zero, for at most 10 s. */
    private static final class GateStore extends ForwardingStore {
        private final CountDownLatch gate;
        private final AtomicInteger inFlight;
        private final AtomicInteger maxInFlight;
        private final AtomicInteger timedOut;

        GateStore(
                FileChannelStore real,
                CountDownLatch gate,
                AtomicInteger inFlight,
                AtomicInteger maxInFlight,
                AtomicInteger timedOut) {
            super(real);
            this.gate = gate;
            this.inFlight = inFlight;
            this.maxInFlight = maxInFlight;
            this.timedOut = timedOut;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            try {
                gate.countDown();
                if (!gate.await(10, TimeUnit.SECONDS)) {
                    timedOut.incrementAndGet();
                }
                return super.read(dst, position);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the gate", e);
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    /**
     * @param range whether the pages are prefetched as one range (split across the threads) or one call per page
     *              (scattered pages, as a reader prefetching a batch of random pages does)
     */
    @ParameterizedTest(name = "range={0}")
    @ValueSource(booleans = {false, true})
    void prefetchesOfOneThreadAreInFlightAtOnce(boolean range) throws Exception {
        int pages = 4 * N;
        byte[] content = new byte[pages * PAGE];
        new Random(7).nextBytes(content);
        Path file = dir.resolve("data");
        Files.write(file, content);
        CountDownLatch gate = new CountDownLatch(N);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        AtomicInteger timedOut = new AtomicInteger();
        int[] chosen = new int[N];
        for (int i = 0; i < N; i++) {
            chosen[i] = range ? i : 2 * i + 1; // scattered: no two adjacent
        }
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(8L * N * PAGE)
                        .readAhead(0)
                        .storeFactory((path, options) -> new GateStore(
                                FileChannelStore.open(path, options), gate, inFlight, maxInFlight, timedOut))
                        .build();
                PagedFile f = cache.open(file, StandardOpenOption.READ)) {
            Threads.runAll(Duration.ofSeconds(60), List.of(() -> {
                long before = cache.stats().faults();
                if (range) {
                    f.prefetch(0, (long) N * PAGE);
                } else {
                    for (int p : chosen) {
                        f.prefetch((long) p * PAGE, PAGE);
                    }
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
                while (cache.stats().faults() - before < N && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                assertEquals(N, cache.stats().faults() - before, "every prefetched page paged in");
                assertEquals(
                        0,
                        timedOut.get(),
                        "reads that waited at the gate in vain: fewer than " + N
                                + " page-ins in flight at once (at most " + maxInFlight.get() + ")");
                assertEquals(N, maxInFlight.get(), "page-ins in flight at once");
                ByteBuffer one = ByteBuffer.allocate(PAGE);
                for (int p : chosen) {
                    one.clear();
                    assertEquals(PAGE, f.read((long) p * PAGE, one));
                    assertArrayEquals(Arrays.copyOfRange(content, p * PAGE, (p + 1) * PAGE), one.array(), "page " + p);
                }
                assertEquals(N, cache.stats().faults() - before, "the reads found the prefetched pages");
            }));
        }
    }
}
