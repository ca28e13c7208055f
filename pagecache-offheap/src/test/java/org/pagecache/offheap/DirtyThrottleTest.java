package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.store.StoreFactory;
import org.pagecache.offheap.testing.Threads;

/** Dirty throttling: bounded dirty pages, background write-back in large writes, bounded interruptible waits. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DirtyThrottleTest {
    private static final int PAGE = 4096;
    private static final OpenOption[] RW = {StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE
    };

    @TempDir
    Path dir;

    /** A real store whose writes take {@code writeNanos} each (or wait for {@code gate}), counting them. */
    private static final class SlowStores implements StoreFactory {
        final long writeNanos;
        final AtomicInteger writes = new AtomicInteger();
        final AtomicLong pagesWritten = new AtomicLong();
        volatile CountDownLatch gate;

        SlowStores(long writeNanos) {
            this.writeNanos = writeNanos;
        }

        @Override
        public BackingStore open(Path file, Set<OpenOption> options) throws IOException {
            BackingStore real = StoreFactory.defaultFactory().open(file, options);
            return new ForwardingStore(real) {
                @Override
                public long write(ByteBuffer[] srcs, long position) throws IOException {
                    CountDownLatch g = gate;
                    if (g != null) {
                        try {
                            g.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    if (writeNanos > 0) {
                        LockSupport.parkNanos(writeNanos);
                    }
                    long n = real.write(srcs, position);
                    writes.incrementAndGet();
                    pagesWritten.addAndGet((n + PAGE - 1) / PAGE);
                    return n;
                }
            };
        }
    }

    /** Samples the cache's dirty frames until stopped; returns the largest seen. */
    private static Thread sampler(OffHeapPageCache cache, AtomicBoolean stop, AtomicLong max) {
        Thread t = new Thread(
                () -> {
                    while (!stop.get()) {
                        max.accumulateAndGet(cache.stats().dirtyFrames(), Math::max);
                        LockSupport.parkNanos(100_000);
                    }
                },
                "dirty-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static byte[] data(int pages, long seed) {
        byte[] b = new byte[pages * PAGE];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aWriterThatOutrunsTheStoreWaitsInsteadOfFillingTheCache() throws Exception {
        int frames = 256;
        SlowStores stores = new SlowStores(TimeUnit.MILLISECONDS.toNanos(1));
        Path file = dir.resolve("stream");
        byte[] data = data(4 * frames, 1);
        AtomicLong maxDirty = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity((long) frames * PAGE)
                        .dirtyRatio(0.25)
                        .dirtyBackgroundRatio(0.125)
                        .storeFactory(stores)
                        .build();
                PagedFile f = cache.open(file, RW)) {
            Thread sampler = sampler(cache, stop, maxDirty);
            for (int p = 0; p < 4 * frames; p++) {
                assertEquals(
                        PAGE,
                        f.write((long) p * PAGE, WriteSource.of(Arrays.copyOfRange(data, p * PAGE, (p + 1) * PAGE))));
            }
            stop.set(true);
            sampler.join(10_000);
            f.sync();
            assertTrue(cache.throttledWrites() > 0, "the writer waited for write-back");
            assertTrue(
                    maxDirty.get() <= 64 + 8,
                    "dirty pages stayed near the limit of 64 frames: at most " + maxDirty.get());
            assertTrue(cache.backgroundWritebacks() > 0, "background write-back wrote pages");
        }
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    @Test
    void backgroundWriteBackStartsBelowTheLimitInLargeWrites() throws Exception {
        int frames = 256;
        SlowStores stores = new SlowStores(0);
        Path file = dir.resolve("background");
        byte[] data = data(96, 2);
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity((long) frames * PAGE)
                        .dirtyRatio(0.5)
                        .dirtyBackgroundRatio(0.125)
                        .storeFactory(stores)
                        .build();
                PagedFile f = cache.open(file, RW)) {
            f.write(0, WriteSource.of(data)); // 96 dirty pages: over the background limit (32), under the limit (128)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((cache.stats().dirtyFrames() > 32 || cache.backgroundWritebacks() < 64)
                    && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(
                    cache.stats().dirtyFrames() <= 32,
                    "written back under the background limit without a" + " flush: "
                            + cache.stats().dirtyFrames() + " dirty");
            assertEquals(0, cache.throttledWrites(), "no writer waited: the limit was never reached");
            assertTrue(cache.backgroundWritebacks() >= 64, cache.backgroundWritebacks() + " pages written back");
            assertTrue(
                    stores.writes.get() * 8L <= stores.pagesWritten.get(),
                    "coalesced: " + stores.writes.get() + " store writes for " + stores.pagesWritten.get() + " pages");
            f.sync();
        }
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    @Test
    void anInterruptEndsTheWaitWithInterruptedIOException() throws Exception {
        int frames = 64;
        SlowStores stores = new SlowStores(0);
        stores.gate = new CountDownLatch(1); // write-back hangs until released
        Path file = dir.resolve("interrupted");
        byte[] data = data(frames, 3);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flagKept = new AtomicBoolean();
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity((long) frames * PAGE)
                        .dirtyRatio(0.25)
                        .dirtyBackgroundRatio(0.125)
                        .frameWaitTimeout(Duration.ofSeconds(60))
                        .storeFactory(stores)
                        .build();
                PagedFile f = cache.open(file, RW)) {
            Thread writer = new Thread(
                    () -> {
                        try {
                            f.write(0, WriteSource.of(data));
                        } catch (Throwable t) {
                            thrown.set(t);
                            flagKept.set(Thread.currentThread().isInterrupted());
                        }
                    },
                    "throttled-writer");
            writer.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (cache.throttledWrites() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, cache.throttledWrites(), "the writer is waiting for write-back");
            writer.interrupt();
            writer.join(10_000);
            if (writer.isAlive()) {
                System.err.println(Threads.dump());
            }
            assertTrue(!writer.isAlive(), "the interrupt ended the wait");
            assertTrue(thrown.get() instanceof InterruptedIOException, String.valueOf(thrown.get()));
            int transferred = ((InterruptedIOException) thrown.get()).bytesTransferred;
            assertTrue(
                    transferred > 0 && transferred < data.length && transferred % PAGE == 0,
                    "bytes written before the wait: " + transferred);
            assertTrue(flagKept.get(), "the interrupt flag stays set");
            stores.gate.countDown();
            f.sync();
            assertEquals(transferred, f.size(), "what the interrupted write wrote is there, nothing more");
            ByteBuffer back = ByteBuffer.allocate(transferred);
            f.read(0, back);
            assertArrayEquals(Arrays.copyOf(data, transferred), back.array());
        } finally {
            stores.gate.countDown();
        }
    }

    @Test
    void readersKeepGettingFramesWhileAWriterStreams() throws Exception {
        int frames = 256;
        SlowStores stores = new SlowStores(TimeUnit.MILLISECONDS.toNanos(2));
        Path written = dir.resolve("written");
        Path read = dir.resolve("read");
        byte[] content = data(512, 4);
        Files.write(read, content);
        AtomicLong maxDirty = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger readsDuringWrites = new AtomicInteger();
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity((long) frames * PAGE)
                        .readAhead(0)
                        .storeFactory(stores)
                        .build();
                PagedFile w = cache.open(written, RW);
                PagedFile r = cache.open(read, StandardOpenOption.READ)) {
            Thread sampler = sampler(cache, stop, maxDirty);
            byte[] page = new byte[PAGE];
            Threads.runAll(
                    Duration.ofSeconds(90),
                    List.of(
                            () -> {
                                try {
                                    for (int p = 0; p < 4 * frames; p++) {
                                        Arrays.fill(page, (byte) p);
                                        w.write((long) p * PAGE, WriteSource.of(page));
                                    }
                                } finally {
                                    writing.set(false);
                                }
                            },
                            () -> {
                                Random random = new Random(5);
                                ByteBuffer one = ByteBuffer.allocate(PAGE);
                                while (writing.get()) {
                                    int p = random.nextInt(512);
                                    one.clear();
                                    assertEquals(PAGE, r.read((long) p * PAGE, one));
                                    assertArrayEquals(
                                            Arrays.copyOfRange(content, p * PAGE, (p + 1) * PAGE), one.array());
                                    readsDuringWrites.incrementAndGet();
                                }
                            }));
            stop.set(true);
            sampler.join(10_000);
            long limit = (long) (frames * OffHeapPageCache.DEFAULT_DIRTY_RATIO);
            assertTrue(
                    maxDirty.get() <= limit + 8,
                    "dirty pages stayed near the default limit of " + limit + ": at most " + maxDirty.get());
            assertTrue(readsDuringWrites.get() > 0, "the reader read while the writer streamed");
            w.sync();
        }
    }

    @Test
    void builderValidatesTheRatios() {
        assertThrows(
                IllegalArgumentException.class, () -> OffHeapPageCache.builder().dirtyRatio(0));
        assertThrows(
                IllegalArgumentException.class, () -> OffHeapPageCache.builder().dirtyRatio(1.5));
        assertThrows(
                IllegalArgumentException.class, () -> OffHeapPageCache.builder().dirtyRatio(Double.NaN));
        assertThrows(
                IllegalArgumentException.class, () -> OffHeapPageCache.builder().dirtyBackgroundRatio(-0.1));
        assertThrows(
                IllegalArgumentException.class,
                () -> OffHeapPageCache.builder()
                        .dirtyRatio(0.2)
                        .dirtyBackgroundRatio(0.3)
                        .build());
    }

    /**
     * Writing again to a page that is already dirty adds no dirty page: writes that keep rewriting fewer pages
     * than the limit never wait, however many there are, and the estimate stays at the pages actually dirty.
     */
    @Test
    void rewritingDirtyPagesIsNotCountedAsNewDirtying() throws Exception {
        int frames = 64;
        Path file = dir.resolve("rewrite");
        byte[] page = data(1, 5);
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity((long) frames * PAGE)
                        .dirtyRatio(0.125)
                        .dirtyBackgroundRatio(0.125)
                        .build();
                PagedFile f = cache.open(file, RW)) {
            assertEquals(8, cache.dirtyThrottle().limit());
            for (int i = 0; i < 10_000; i++) {
                f.write((long) (i % 4) * PAGE, WriteSource.of(page));
            }
            assertEquals(0, cache.throttledWrites(), "writes that waited for write-back");
            assertTrue(
                    cache.dirtyThrottle().dirtyEstimate() <= 4,
                    "estimate " + cache.dirtyThrottle().dirtyEstimate() + " with 4 pages dirty");
            assertEquals(4, cache.stats().dirtyFrames());
        }
    }
}
