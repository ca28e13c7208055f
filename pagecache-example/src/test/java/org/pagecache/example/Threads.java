package org.pagecache.example;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Runs tasks on real threads with a deadline. A task that fails fails the test with its exception; a task still
 * running at the deadline fails the test with a dump of every thread (a hang is a failed test, never a hung build).
 */
public final class Threads {
    private Threads() {
    }

    /** A task that may throw. */
    @FunctionalInterface
    public interface Task {
        /** Runs the task. */
        void run() throws Exception;
    }

    /** Starts every task on its own thread and waits for all of them, up to {@code timeout}. */
    public static void runAll(Duration timeout, List<Task> tasks) {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Task task = tasks.get(i);
            Thread t = new Thread(() -> {
                try {
                    task.run();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "test-worker-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    t.join(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            if (t.isAlive()) {
                String dump = dump();
                threads.forEach(Thread::interrupt);
                throw new AssertionError("threads still running after " + timeout + " (a hang or a deadlock):\n" + dump);
            }
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("a worker failed: " + failures.peek(), failures.peek());
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }

    /** @return a dump of every thread with locks and stacks */
    public static String dump() {
        StringBuilder sb = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            sb.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null) {
                sb.append(" on ").append(info.getLockName());
            }
            sb.append('\n');
            for (StackTraceElement e : info.getStackTrace()) {
                sb.append("    at ").append(e).append('\n');
            }
        }
        return sb.toString();
    }
}
