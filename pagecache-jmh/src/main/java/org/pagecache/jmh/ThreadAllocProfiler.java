package org.pagecache.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Bytes allocated per operation by the threads that do the work: JMH's benchmark threads ({@code *-jmh-worker-*})
 * and the cache's own threads ({@code pagecache-*}, the reclaimer). Use with {@code -prof org.pagecache.jmh.ThreadAllocProfiler};
 * it reports {@value #METRIC}.
 *
 * <p>JMH's {@code -prof gc} reports {@code gc.alloc.rate.norm} from the allocation of <em>every</em> thread of the
 * forked JVM, including JMH's own control and result threads, which allocate a few hundred kilobytes a second
 * whatever the benchmark does; at a few million operations a second that reads as 0.1 to 1 byte per operation
 * even for a bare {@code MemorySegment.copy}. This profiler reads the per-thread counters of
 * {@link com.sun.management.ThreadMXBean#getThreadAllocatedBytes(long)} instead, so a path that allocates nothing
 * reads as zero.
 */
public final class ThreadAllocProfiler implements InternalProfiler {

    /** The name of the secondary result. */
    public static final String METRIC = "alloc.threads.norm";

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private Map<Long, Long> before = Map.of();

    @Override
    public String getDescription() {
        return "Bytes allocated per operation by the benchmark threads and the cache's threads";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        before = snapshot();
    }

    @Override
    public Collection<? extends Result<?>> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        Map<Long, Long> after = snapshot();
        long bytes = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            bytes += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        long ops = result.getMetadata().getAllOps();
        double perOp = ops == 0 ? Double.NaN : (double) bytes / ops;
        return List.of(new ScalarResult(METRIC, perOp, "B/op", AggregationPolicy.AVG));
    }

    private Map<Long, Long> snapshot() {
        Map<Long, Long> allocated = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            String name = info.getThreadName();
            if (name.contains("-jmh-worker-") || name.startsWith("pagecache-")) {
                long bytes = threads.getThreadAllocatedBytes(info.getThreadId());
                if (bytes >= 0) {
                    allocated.put(info.getThreadId(), bytes);
                }
            }
        }
        return allocated;
    }
}
