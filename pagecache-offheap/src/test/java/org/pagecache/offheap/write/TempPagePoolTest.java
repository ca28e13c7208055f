package org.pagecache.offheap.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.testing.Threads;

class TempPagePoolTest {
    private static final int PAGE = 4096;

    @Test
    void reservePagesAreDistinctAlignedAndOfOnePage() {
        try (TempPagePool pool = new TempPagePool(4, PAGE)) {
            List<MemorySegment> pages = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                MemorySegment p = pool.acquire();
                assertEquals(PAGE, p.byteSize());
                assertEquals(0, p.address() % PAGE, "page-aligned");
                for (MemorySegment q : pages) {
                    assertTrue(p.address() + PAGE <= q.address() || q.address() + PAGE <= p.address(), "overlap");
                }
                pages.add(p);
            }
            pages.forEach(pool::release);
        }
    }

    /** An empty reserve never makes a writer wait: a page is made on the side, and works like the others. */
    @Test
    void anEmptyReserveHandsOutAPageOnTheSide() {
        try (TempPagePool pool = new TempPagePool(2, PAGE)) {
            MemorySegment a = pool.acquire();
            MemorySegment b = pool.acquire();
            MemorySegment side = pool.acquire();
            assertEquals(PAGE, side.byteSize());
            side.set(ValueLayout.JAVA_LONG, PAGE - 8, 42);
            assertEquals(42, side.get(ValueLayout.JAVA_LONG, PAGE - 8));
            pool.release(a);
            assertSame(a, pool.acquire(), "a released page is handed out again");
            pool.release(b);
            pool.release(side);
            pool.release(a);
        }
    }

    @Test
    void closeFreesTheReserve() {
        TempPagePool pool = new TempPagePool(2, PAGE);
        MemorySegment p = pool.acquire();
        pool.release(p);
        pool.close();
        assertThrows(IllegalStateException.class, () -> p.get(ValueLayout.JAVA_BYTE, 0));
    }

    /** Many threads taking and giving back pages: no page is ever held by two at once. */
    @Test
    void noPageIsHeldTwiceUnderConcurrency() {
        try (TempPagePool pool = new TempPagePool(3, PAGE)) {
            Map<Long, Thread> held = java.util.Collections.synchronizedMap(new java.util.HashMap<>());
            List<Threads.Task> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        MemorySegment p = pool.acquire();
                        Thread other = held.putIfAbsent(p.address(), Thread.currentThread());
                        if (other != null) {
                            throw new AssertionError("page " + Long.toHexString(p.address()) + " held by " + other);
                        }
                        p.set(ValueLayout.JAVA_LONG, 0, Thread.currentThread().threadId());
                        if (p.get(ValueLayout.JAVA_LONG, 0)
                                != Thread.currentThread().threadId()) {
                            throw new AssertionError("another thread wrote the page");
                        }
                        held.remove(p.address());
                        pool.release(p);
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(60), tasks);
            assertTrue(held.isEmpty());
            assertNotSame(pool.acquire(), pool.acquire());
        }
    }
}
