package org.pagecache.offheap.testing;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Runs tasks on real threads with a deadline. A task that fails fails the test with its exception; a task still
 * running at the deadline fails the test with a dump of every thread (a hang is a failed test, never a hung build).
 *
 * <p>Shared with other modules' tests through the offheap test jar. It has a package of its own: the test jar is on
 * the class path of modular tests (pagecache-example's), where a class in one of the engine module's packages would
 * be hidden by the module.
 */
public final class Threads {
    private Threads() {}

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
            Thread t = new Thread(
                    () -> {
                        try {
                            task.run();
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    },
                    "test-worker-" + i);
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
                throw new AssertionError(
                        "threads still running after " + timeout + " (a hang or a deadlock):\n" + dump);
            }
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("a worker failed: " + failures.peek(), failures.peek());
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }

    /**
     * The one thread dump of the test trees (offheap, example, anything on the offheap test-jar).
     *
     * @return every live thread's state, the lock it waits for and who owns it, its full stack with the monitors
     *     it holds at each frame, and the synchronizers it holds
     */
    public static String dump() {
        StringBuilder sb = new StringBuilder("Thread dump:\n");
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            sb.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null) {
                sb.append(" on ").append(info.getLockName());
            }
            if (info.getLockOwnerName() != null) {
                sb.append(" owned by \"").append(info.getLockOwnerName()).append('"');
            }
            sb.append('\n');
            StackTraceElement[] stack = info.getStackTrace();
            MonitorInfo[] monitors = info.getLockedMonitors();
            for (int i = 0; i < stack.length; i++) {
                sb.append("    at ").append(stack[i]).append('\n');
                for (MonitorInfo m : monitors) {
                    if (m.getLockedStackDepth() == i) {
                        sb.append("    - locked ").append(m).append('\n');
                    }
                }
            }
            for (LockInfo l : info.getLockedSynchronizers()) {
                sb.append("    - holds ").append(l).append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
