package org.pagecache.stress;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;

/**
 * The stress runner's thread dump, recorded with a hang. (The test trees of the other modules have theirs in
 * the offheap test-jar, {@code org.pagecache.offheap.Threads#dump}; this one is main code, which cannot use it.)
 */
final class ThreadDump {

    private ThreadDump() {}

    /** @return a dump of every thread with its full stack, held monitors and synchronizers */
    static String all() {
        StringBuilder sb = new StringBuilder();
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
