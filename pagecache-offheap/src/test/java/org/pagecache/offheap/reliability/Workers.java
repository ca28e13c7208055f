package org.pagecache.offheap.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.pagecache.offheap.testing.Threads;

/**
 * Runs test workers on real threads with a hard deadline. A worker that does not finish in time fails the test
 * with a dump of every thread's stack and held locks, so a deadlock is a failed test, never a hung build.
 */
final class Workers {

    /** A unit of work that may throw anything. */
    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    private Workers() {}

    /**
     * Starts every worker at once, waits for all of them until {@code deadlineNanos} ({@link System#nanoTime()}
     * based), and rethrows the first failure, with the others suppressed into it.
     *
     * @param name      thread name prefix (never {@code pagecache-}, which belongs to the cache's own threads)
     * @param works     the workers
     * @param deadlineNanos when to give up waiting
     * @param context   extra text for a failure message (a seed and a command plan), computed only on failure
     */
    static void runAll(String name, List<Work> works, long deadlineNanos, Supplier<String> context) {
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> first = new AtomicReference<>();
        List<Throwable> all = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < works.size(); i++) {
            Work work = works.get(i);
            Thread t = new Thread(
                    () -> {
                        try {
                            start.await();
                            work.run();
                        } catch (Throwable e) {
                            synchronized (all) {
                                all.add(e);
                            }
                            first.compareAndSet(null, e);
                        }
                    },
                    name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : threads) {
            long left = deadlineNanos - System.nanoTime();
            try {
                if (left > 0) {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + t.getName(), e);
            }
            if (t.isAlive()) {
                String dump = Threads.dump();
                for (Thread other : threads) {
                    other.interrupt();
                }
                throw new AssertionError(
                        "worker " + t.getName() + " did not finish before its deadline (hang or " + "deadlock)\n"
                                + context.get() + "\n" + dump,
                        first.get());
            }
        }
        Throwable failure = first.get();
        if (failure != null) {
            AssertionError error = new AssertionError(failure.toString() + "\n" + context.get(), failure);
            synchronized (all) {
                for (Throwable other : all) {
                    if (other != failure) {
                        error.addSuppressed(other);
                    }
                }
            }
            throw error;
        }
    }
}
