package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pagecache.offheap.testing.Threads;

/** The per-thread counts behind stats(): exact sums, and cells of ended threads folded, not kept. */
class CountersTest {

    @Test
    void countsOfManyThreadsSumExactlyAndEndedThreadsLeaveNoCell() throws Exception {
        Counters counters = new Counters();
        int rounds = 10; // 10 x 40 threads: past the first sweep at 64 cells, several times
        for (int r = 0; r < rounds; r++) {
            List<Threads.Task> tasks = new ArrayList<>();
            for (int t = 0; t < 40; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 1000; i++) {
                        counters.hit();
                    }
                    counters.hits(5);
                    counters.fault();
                    counters.faults(2);
                    counters.directCopy();
                });
            }
            Threads.runAll(Duration.ofSeconds(30), tasks);
        }
        long threads = rounds * 40L;
        assertEquals(threads * 1005, counters.hits());
        assertEquals(threads * 3, counters.faults());
        assertEquals(threads, counters.directCopies());
        assertTrue(counters.cells() <= 2 * 64 + 40, "cells of ended threads are folded: " + counters.cells());
        counters.hit(); // this thread's own cell
        assertEquals(threads * 1005 + 1, counters.hits());
    }

    @Test
    void anotherThreadSeesTheCountsOfARunningThread() throws Exception {
        Counters counters = new Counters();
        java.util.concurrent.CountDownLatch counted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread t = new Thread(() -> {
            for (int i = 0; i < 123; i++) {
                counters.hit();
            }
            counted.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        try {
            assertTrue(counted.await(30, java.util.concurrent.TimeUnit.SECONDS), Threads.dump());
            assertEquals(123, counters.hits(), "the running thread's cell is summed");
        } finally {
            done.countDown();
            t.join(30_000);
        }
    }
}
